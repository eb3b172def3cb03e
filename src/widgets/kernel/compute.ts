/**
 * What the widgets compute in the kernel, on the library's public seams: method maps, top-k
 * predictions, occlusion with partial maps, layer activations, filter visualizations. Results are host
 * arrays ready to send; every tensor made here is disposed here.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, LayerError, OptionError } from '../../errors';
import { forwardScores } from '../../models/forward';
import { listLayers } from '../../models/layers';
import type { Model } from '../../models/types';
import { checkInput, checkpoint, chunks, resolveTarget, rowSelector } from '../../methods/common';
import { layerActivations } from '../../methods/layer-activations';
import { windowSpans } from '../../methods/occlusion';
import { getMethod } from '../../methods/registry';
import { filterGallery } from '../../methods/activation-maximization';
import { byteArray, floatArray, type WireArray } from '../arrays';

/** Images [N,H,W,C] (C 1 or 3, values in `range`) as uint8 RGB pixels [N,H,W,3]. */
export async function toPixels(x: tf.Tensor4D, range: [number, number]): Promise<WireArray<'uint8'>> {
  const [n, h, w, c] = x.shape;
  if (c !== 1 && c !== 3) throw new InputError('widget', `images must have 1 or 3 channels to be shown, got ${c} (shape [${x.shape}])`);
  const d = await x.data();
  const out = new Uint8Array(n * h * w * 3);
  const scale = 255 / (range[1] - range[0]);
  for (let p = 0, q = 0; p < n * h * w; p++, q += 3) {
    for (let k = 0; k < 3; k++) {
      const v = Math.round((d[p * c + (c === 3 ? k : 0)] - range[0]) * scale);
      out[q + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return byteArray(out, [n, h, w, 3]);
}

/**
 * A method's map per image, [N,H,W] float32: maps as they come; input-shaped attributions summed over
 * channels (signed, as Captum's visualize_image_attr does for its heat map). Maps at another size than
 * the image (CAM without upsampling) are refused.
 */
export async function methodMaps(model: Model, x: tf.Tensor4D, method: string, options: Record<string, unknown>): Promise<Float32Array> {
  const entry = getMethod(method);
  const [, h, w] = x.shape;
  const r = await entry.run(model, x, options);
  try {
    const map = tf.tidy(() => (r.rank === 4 ? tf.sum(r, 3) : r));
    try {
      if (map.shape[1] !== h || map.shape[2] !== w) {
        throw new OptionError(method, `map of size ${map.shape[1]}×${map.shape[2]} does not match the image ${h}×${w}; use upsample: true`);
      }
      return Float32Array.from(await map.data());
    } finally {
      if (map !== r) map.dispose();
    }
  } finally {
    r.dispose();
  }
}

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

/**
 * The top `k` outputs per image with their scores (the model's own output, e.g. probabilities), and the
 * number of outputs.
 */
export async function topPredictions(model: Model, x: tf.Tensor4D, k: number, classes?: readonly string[]): Promise<{ top: Prediction[][]; outputs: number }> {
  const scores = tf.tidy(() => forwardScores('widget', model, x, { preSoftmax: false }));
  try {
    const [n, m] = scores.shape;
    const d = await scores.data();
    const top = Array.from({ length: n }, (_, i) => {
      const row = Array.from({ length: m }, (_, j) => j).sort((a, b) => d[i * m + b] - d[i * m + a]).slice(0, Math.min(k, m));
      return row.map((j) => ({ index: j, label: classes?.[j] ?? String(j), score: d[i * m + j] }));
    });
    return { top, outputs: m };
  } finally {
    scores.dispose();
  }
}

export const OCCLUSION_BASELINES = ['zeros', 'mean', 'blur'] as const;
export type OcclusionBaseline = (typeof OCCLUSION_BASELINES)[number];

/** The fill of occluded windows, [1,H,W,C] (or [1,1,1,C]): zeros, the image's channel means, or a Gaussian blur. */
export function occlusionBaseline(x: tf.Tensor4D, kind: OcclusionBaseline): tf.Tensor4D {
  return tf.tidy(() => {
    if (kind === 'zeros') return tf.zerosLike(x.slice([0, 0, 0, 0], [1, 1, 1, -1])) as tf.Tensor4D;
    if (kind === 'mean') return tf.mean(x, [1, 2], true) as tf.Tensor4D;
    // A separable Gaussian (sigma = 1/16 of the short side) by depthwise convolution.
    const [, h, w, c] = x.shape;
    const sigma = Math.max(1, Math.min(h, w) / 16);
    const r = Math.ceil(2 * sigma);
    const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
    const sum = taps.reduce((a, b) => a + b, 0);
    const k = tf.tensor1d(taps.map((t) => t / sum));
    const kx = tf.tile(tf.reshape(k, [1, 2 * r + 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const ky = tf.tile(tf.reshape(k, [2 * r + 1, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(x.slice([0, 0, 0, 0], [1, -1, -1, -1]), [[0, 0], [r, r], [r, r], [0, 0]], 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kx, 1, 'valid'), ky, 1, 'valid') as tf.Tensor4D;
  });
}

/** Clean score and target of one image, kept across occlusion reruns (patch size, stride, baseline). */
export interface OcclusionContext {
  x: tf.Tensor4D;
  target: number[] | ((o: tf.Tensor2D) => tf.Tensor);
  clean: tf.Tensor1D;
}

export async function occlusionContext(model: Model, x: tf.Tensor4D, target: number | undefined): Promise<OcclusionContext> {
  const where = 'occlusionExplorer';
  await checkInput(where, model, x);
  const t = await resolveTarget(where, model, x, target, {});
  const clean = tf.tidy(() => rowSelector(where, t, [0])(forwardScores(where, model, x, {}))) as tf.Tensor1D;
  return { x, target: t, clean };
}

export interface OcclusionRun {
  window: number;
  stride: number;
  baseline: tf.Tensor4D;
  batchSize: number;
  signal: AbortSignal;
  /** After each batch: the map so far (mean drop over the windows evaluated yet; 0 elsewhere). */
  onPartial(map: Float32Array, done: number, total: number): void;
}

/**
 * Occlusion of one image, Captum's conventions (as `occlusion()`): windows of `window` pixels every
 * `stride`, the last cropped at the border; a pixel's value is the mean score drop over the windows
 * covering it. Evaluated batch by batch, yielding to the event loop between batches; the partial map
 * after each batch counts only the windows evaluated so far. Returns the final map [H,W].
 */
export async function occlusionMap(model: Model, ctx: OcclusionContext, run: OcclusionRun): Promise<Float32Array> {
  const where = 'occlusionExplorer';
  const [, h, w] = ctx.x.shape;
  const rows = windowSpans(h, run.window, run.stride);
  const cols = windowSpans(w, run.window, run.stride);
  const total = rows.length * cols.length;
  const sum = new Float32Array(h * w);
  const count = new Float32Array(h * w);
  const clean = (await ctx.clean.data())[0];
  for (const [start, end] of chunks(total, run.batchSize)) {
    await checkpoint(where, run.signal);
    const ids = Array.from({ length: end - start }, (_, i) => start + i);
    const scores = tf.tidy(() => {
      const masks = ids.map((p) => {
        const [r0, r1] = rows[Math.floor(p / cols.length)], [c0, c1] = cols[p % cols.length];
        const m = new Float32Array(h * w);
        for (let y = r0; y < r1; y++) m.fill(1, y * w + c0, y * w + c1);
        return m;
      });
      const mask = tf.tensor4d(concat(masks), [ids.length, h, w, 1]);
      const occluded = tf.add(ctx.x, tf.mul(mask, tf.sub(run.baseline, ctx.x))) as tf.Tensor4D;
      return rowSelector(where, ctx.target, new Array(ids.length).fill(0))(forwardScores(where, model, occluded, {}));
    });
    const s = await scores.data();
    scores.dispose();
    ids.forEach((p, i) => {
      const [r0, r1] = rows[Math.floor(p / cols.length)], [c0, c1] = cols[p % cols.length];
      const drop = clean - s[i];
      for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) { sum[y * w + x] += drop; count[y * w + x] += 1; }
    });
    const map = new Float32Array(h * w);
    for (let i = 0; i < map.length; i++) map[i] = count[i] > 0 ? sum[i] / count[i] : 0;
    run.onPartial(map, end, total);
  }
  const map = new Float32Array(h * w);
  for (let i = 0; i < map.length; i++) map[i] = count[i] > 0 ? sum[i] / count[i] : 0;
  return map;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export interface LayerChoice {
  name: string;
  shape: number[];
}

/** Layers whose output is 4-D ([N,h,w,c]), with their shapes for one image of `x`'s size. */
export function layersWith4D(model: Model): LayerChoice[] {
  return listLayers(model)
    .filter((l) => l.outputShape !== null && l.outputShape.length === 4)
    .map((l) => ({ name: l.name, shape: (l.outputShape as (number | null)[]).slice(1).map((d) => d ?? -1) }));
}

/** One layer's activations for one image as channel maps [C,h,w]. */
export async function channelMaps(model: Model, x: tf.Tensor4D, layer: string): Promise<WireArray<'float32'>> {
  const [a] = await layerActivations(model, x, { layers: [layer] });
  try {
    if (a.activation.rank !== 4) throw new LayerError('activationGallery', `layer "${layer}" has output shape [${a.activation.shape}]; pick a layer with a 4-D output`);
    const t = tf.tidy(() => tf.transpose(a.activation.slice([0, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]), [2, 0, 1]));
    const data = Float32Array.from(await t.data());
    const shape = t.shape;
    t.dispose();
    return floatArray(data, shape);
  } finally {
    tf.dispose([a.activation, a.mean, a.max, a.min, a.std]);
  }
}

/** Filter visualizations (activation maximization, all at once) of some channels, as uint8 RGB [K,h,w,3]. */
export async function filterImages(model: Model, layer: string, channels: number[], options: { steps: number; size?: number; signal: AbortSignal; onStep?: (step: number) => void }): Promise<WireArray<'uint8'>> {
  const images = await filterGallery(model, layer, {
    channels, steps: options.steps, signal: options.signal,
    ...(options.size ? { size: [options.size, options.size] as [number, number] } : {}),
    onStep: (e) => options.onStep?.(e.step),
  });
  try {
    // Stretch each image to [0, 1] for display.
    const shown = tf.tidy(() => {
      const lo = tf.min(images, [1, 2, 3], true), hi = tf.max(images, [1, 2, 3], true);
      return tf.div(tf.sub(images, lo), tf.maximum(tf.sub(hi, lo), 1e-12)) as tf.Tensor4D;
    });
    try {
      return await toPixels(shown, [0, 1]);
    } finally {
      shown.dispose();
    }
  } finally {
    images.dispose();
  }
}
