/**
 * XRAI (Kapishnikov, Bolukbasi, Viégas and Terry 2019, "XRAI: Better Attributions Through Regions"), as
 * PAIR saliency's `XRAI` (`saliency/core/xrai.py`):
 *
 * 1. Integrated Gradients against two baselines, the item's smallest and its largest value ("black and
 *    white"), averaged; PAIR's IG rule: `steps` points α = 0, 1/(steps − 1), …, 1, each weighing 1/steps.
 * 2. The attribution of a pixel: the largest over its channels.
 * 3. Segments: Felzenszwalb's segmentation (./segmentation/felzenszwalb) of the image rescaled to
 *    [−1, 1] and resized to 224×224, at scales 50, 100, 150, 250, 500 and 1200 (σ 0.8, segments of at
 *    least 150 pixels), each label map resized back (nearest), each segment dilated by a disk of radius 5.
 * 4. Greedy region growth (`algorithm: 'full'`): repeatedly add the segment whose pixels not yet chosen
 *    have the highest mean attribution (segments adding fewer than 50 new pixels are dropped), until the
 *    chosen area exceeds `areaThreshold` or none is left; each added region's pixels get that mean
 *    (its gain), and pixels left over get their own mean. `'fast'` ranks the segments once by their mean
 *    attribution and adds them in that order (PAIR's `_xrai_fast`; it ignores `areaThreshold`).
 *
 * The result `[N,H,W]` is XRAI's attribution mask: higher means a more important region. Defaults as
 * PAIR's XRAIParameters: 100 steps, areaThreshold 1, algorithm 'full'. Departures: the image is resized
 * to 224×224 bilinearly (PAIR: skimage's bicubic resize with anti-aliasing), so segments can differ
 * slightly; gains within 1e-5 (relative) of each other are ties, the first segment winning (PAIR compares
 * exactly), so that backends agree; PAIR's batch_size is `batchSize` here (IG points per gradient pass).
 * A constant image is segmented as one region (PAIR divides by zero there).
 *
 * A partial result (`onPartial`, during the IG part) is the channel-wise maximum of the averaged IG
 * attribution of the path points done so far, before any segmentation; progress counts IG points.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget } from './common';
import { igEvaluator } from './integrated-gradients';
import { checkpoint, runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';
import { felzenszwalbGraph, segmentGraph } from './segmentation/felzenszwalb';
import { effectiveSignal } from '../signal';

export const XRAI_ALGORITHMS = ['full', 'fast'] as const;
export type XraiAlgorithm = (typeof XRAI_ALGORITHMS)[number];

/** A partial XRAI result: see the module comment. */
export type XraiPartial = tf.Tensor3D;

export interface XraiOptions extends CommonOptions, Omit<LoopOptions<XraiPartial>, 'workers'> {
  /** Integrated Gradients points per baseline. Default 100 (PAIR's). */
  steps?: number;
  /** Fraction of the image the greedy growth covers before it stops ('full' only). Default 1. */
  areaThreshold?: number;
  /** 'full' (greedy, overlap-aware) or 'fast' (segments ranked once). Default `full`. */
  algorithm?: XraiAlgorithm;
}

/** xrai's own defaults (besides target and preSoftmax): PAIR's XRAIParameters. */
export const XRAI_DEFAULTS = {
  steps: 100,
  areaThreshold: 1,
  algorithm: 'full' as XraiAlgorithm,
  batchSize: 32,
};

export const XRAI_OPTIONS = extendSpecs(COMMON_OPTIONS, XRAI_DEFAULTS, {
  steps: { type: 'integer', min: 1, max: 10000, description: 'Integrated Gradients points per baseline (black and white)' },
  areaThreshold: { type: 'number', min: 0, max: 1, description: "fraction of the image covered before the greedy growth stops ('full')" },
  algorithm: { type: 'choice', choices: XRAI_ALGORITHMS, description: "'full': greedy growth over overlapping segments; 'fast': segments ranked once" },
  batchSize: BATCH_SIZE,
});

const SCALES = [50, 100, 150, 250, 500, 1200];
const SEGMENT_SIGMA = 0.8;
const SEGMENT_SIZE = 224;
const MIN_SEGMENT = 150;
const DILATION = 5;
const MIN_PIXEL_DIFF = 50;
/** Relative difference below which two gains are a tie. */
const TIE = 1e-5;

/**
 * The image XRAI segments: one item `[h, w, c]` rescaled to [−1, 1] (a constant image: 0) and resized to
 * 224×224 bilinearly with half-pixel centres, in float64 JavaScript (so that every backend segments alike).
 */
export function segmentationImage(item: ArrayLike<number>, h: number, w: number, c: number): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < item.length; i++) {
    lo = Math.min(lo, item[i]);
    hi = Math.max(hi, item[i]);
  }
  const range = hi - lo;
  const s = SEGMENT_SIZE;
  const out = new Float32Array(s * s * c);
  const axis = (size: number) => Array.from({ length: s }, (_, o) => {
    const v = Math.max(0, ((o + 0.5) * size) / s - 0.5);
    const i0 = Math.min(size - 1, Math.floor(v));
    return [i0, Math.min(size - 1, i0 + 1), v - i0] as const;
  });
  const [ys, xs] = [axis(h), axis(w)];
  const at = (y: number, x: number, ch: number) => (range > 0 ? (2 * (item[(y * w + x) * c + ch] - lo)) / range - 1 : 0);
  for (let oy = 0; oy < s; oy++) {
    const [y0, y1, fy] = ys[oy];
    for (let ox = 0; ox < s; ox++) {
      const [x0, x1, fx] = xs[ox];
      for (let ch = 0; ch < c; ch++) {
        const top = at(y0, x0, ch) * (1 - fx) + at(y0, x1, ch) * fx;
        const bottom = at(y1, x0, ch) * (1 - fx) + at(y1, x1, ch) * fx;
        out[(oy * s + ox) * c + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/**
 * PAIR's XRAI segments of one image `[h, w, c]`: Felzenszwalb at six scales on the image rescaled to
 * [−1, 1] and resized to 224×224 (`resized`, `[224, 224, c]`), labels resized back by nearest pixel,
 * each segment dilated by a disk of radius 5. Returns each segment's pixel indices (row-major, h × w).
 */
export function xraiSegments(resized: Float32Array, c: number, h: number, w: number): Int32Array[] {
  const s = SEGMENT_SIZE;
  const disk: [number, number][] = [];
  for (let dy = -DILATION; dy <= DILATION; dy++) for (let dx = -DILATION; dx <= DILATION; dx++) if (dy * dy + dx * dx <= DILATION * DILATION) disk.push([dy, dx]);
  const srcY = Array.from({ length: h }, (_, y) => Math.min(s - 1, Math.floor(((y + 0.5) * s) / h)));
  const srcX = Array.from({ length: w }, (_, x) => Math.min(s - 1, Math.floor(((x + 0.5) * s) / w)));
  const out: Int32Array[] = [];
  const mark = new Int32Array(h * w).fill(-1);
  let stamp = 0;
  const graph = felzenszwalbGraph(resized, s, s, c, SEGMENT_SIGMA);
  for (const scale of SCALES) {
    const big = segmentGraph(graph, { scale, minSize: MIN_SEGMENT });
    const labels = new Int32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels[y * w + x] = big[srcY[y] * s + srcX[x]];
    // Pixels per label, in label order (labels absent after resizing give no segment, as an all-false mask adds nothing).
    const count = Math.max(...labels) + 1;
    const members: number[][] = Array.from({ length: count }, () => []);
    labels.forEach((l, p) => members[l].push(p));
    for (const px of members) {
      if (px.length === 0) continue;
      const dilated: number[] = [];
      for (const p of px) {
        const y = Math.floor(p / w);
        const x = p % w;
        for (const [dy, dx] of disk) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (mark[q] !== stamp) {
            mark[q] = stamp;
            dilated.push(q);
          }
        }
      }
      stamp++;
      out.push(Int32Array.from(dilated));
    }
  }
  return out;
}

/** PAIR's `_xrai` (full) or `_xrai_fast` on one attribution map `attr` (h × w) and its segments. */
export function xraiRegions(attr: Float32Array, segments: Int32Array[], algorithm: XraiAlgorithm, areaThreshold: number): Float32Array {
  const size = attr.length;
  const out = new Float64Array(size).fill(-Infinity);
  const current = new Uint8Array(size);
  let covered = 0;
  const gainOf = (seg: Int32Array): [number, number] => {
    let sum = 0;
    let cnt = 0;
    for (const p of seg) {
      if (current[p]) continue;
      sum += attr[p];
      cnt++;
    }
    return [cnt === 0 ? -Infinity : sum / cnt, cnt];
  };
  const take = (seg: Int32Array, gain: number) => {
    for (const p of seg) {
      if (current[p]) continue;
      current[p] = 1;
      out[p] = gain;
      covered++;
    }
  };
  if (algorithm === 'full') {
    let remaining = segments.map((_, i) => i);
    while (covered / size <= areaThreshold) {
      let best = -1;
      let bestGain = -Infinity;
      const kept: number[] = [];
      for (const i of remaining) {
        const [gain, cnt] = gainOf(segments[i]);
        if (cnt < MIN_PIXEL_DIFF) continue;
        kept.push(i);
        // Gains within float32 rounding of the best count as ties (the first wins, as PAIR's strict >), so
        // that backends whose gradients differ in the last bits grow the same regions.
        if (best < 0 || gain > bestGain + TIE * Math.abs(bestGain)) {
          bestGain = gain;
          best = i;
        }
      }
      remaining = kept;
      if (remaining.length === 0) break;
      // Every gain is a finite mean here, so a best segment exists (PAIR's strict > picks the first).
      take(segments[best], bestGain);
      remaining = remaining.filter((i) => i !== best);
    }
  } else {
    const ranked = segments.map((seg, i) => {
      let sum = 0;
      for (const p of seg) sum += attr[p];
      return { i, gain: seg.length ? sum / seg.length : -Infinity };
    }).sort((a, b) => (Math.abs(b.gain - a.gain) <= TIE * Math.max(Math.abs(a.gain), Math.abs(b.gain)) ? a.i - b.i : b.gain - a.gain));
    for (const { i } of ranked) {
      const [gain, cnt] = gainOf(segments[i]);
      if (cnt < MIN_PIXEL_DIFF) continue;
      take(segments[i], gain);
    }
  }
  let restSum = 0;
  let restCount = 0;
  for (let p = 0; p < size; p++) {
    if (out[p] === -Infinity) {
      restSum += attr[p];
      restCount++;
    }
  }
  const rest = restCount ? restSum / restCount : 0;
  return Float32Array.from(out, (v) => (v === -Infinity ? rest : v));
}

/**
 * XRAI attribution masks, `[N,H,W]`. The caller owns the result. Options: XRAI_OPTIONS (defaults in
 * XRAI_DEFAULTS), plus `onProgress`, `onPartial` and `signal`.
 */
export async function xrai(model: Model, input: tf.Tensor, options: XraiOptions = {}): Promise<tf.Tensor3D> {
  const where = 'xrai';
  checkModel(where, model);
  const o = resolveOptions(where, XRAI_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const [n, h, w, c] = x.shape;
  const d = h * w * c;
  const steps = o.steps;
  const resolved = await resolveTarget(where, model, x, o.target, o);
  // PAIR's IG points: numpy's linspace(0, 1, steps), each weighing 1/steps.
  const alphas = Array.from({ length: steps }, (_, k) => (steps === 1 ? 0 : k / (steps - 1)));
  const weights = new Array<number>(steps).fill(1 / steps);
  // Items 0..n−1 against their minimum, n..2n−1 against their maximum.
  const [flatX, flatB] = tf.tidy(() => {
    const flat = x.reshape([n, d]);
    const ones = tf.ones([n, d]);
    return [tf.concat([flat, flat]), tf.concat([tf.mul(ones, tf.min(flat, 1, true)), tf.mul(ones, tf.max(flat, 1, true))])] as tf.Tensor2D[];
  });
  const target = typeof resolved === 'function' ? resolved : [...resolved, ...resolved];
  let attr: tf.Tensor3D;
  try {
    attr = await runBatches({
      where, total: 2 * n * steps, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: tf.zeros([2 * n, d]) as tf.Tensor2D,
      evaluate: igEvaluator(model, { flatX, flatB }, { where, n: 2 * n, steps, alphas, weights, shape: [h, w, c], target, preSoftmax: o.preSoftmax }),
      fold: (acc, g) => tf.add(acc, g) as tf.Tensor2D,
      finish: (acc) => tf.tidy(() => {
        const ig = tf.mul(tf.sub(flatX, flatB), acc).reshape([2, n, h, w, c]);
        return tf.max(tf.mean(ig, 0), 3) as tf.Tensor3D;
      }),
    });
  } finally {
    tf.dispose([flatX, flatB]);
  }
  try {
    const [av, xv] = [(await attr.data()) as Float32Array, (await x.data()) as Float32Array];
    const out = new Float32Array(n * h * w);
    const signal = effectiveSignal(o.signal);
    for (let i = 0; i < n; i++) {
      await checkpoint(where, signal);
      const segments = xraiSegments(segmentationImage(xv.subarray(i * d, (i + 1) * d), h, w, c), c, h, w);
      out.set(xraiRegions(av.subarray(i * h * w, (i + 1) * h * w), segments, o.algorithm, o.areaThreshold), i * h * w);
    }
    return tf.tensor3d(out, [n, h, w]);
  } finally {
    attr.dispose();
  }
}
