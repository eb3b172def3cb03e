/**
 * DeepDream (Mordvintsev, Olah and Tyka 2015, "Inceptionism"; the deepdream.ipynb and TensorFlow tutorial
 * recipe): gradient ascent on the input to amplify what chosen layers already see, over several scales
 * ("octaves"), smallest first, carrying the detail added at each scale up to the next. Each step shifts the
 * image circularly by a random offset before the gradient and shifts the gradient back, so that the edges
 * of the model's view (and of tiles) fall somewhere else every step and leave no seams.
 *
 * Objective: Σ_layers weight · mean(activation²) (the notebook's L2 objective; its gradient is the
 * activation itself). Step: x ← clip(x + stepSize · g / mean|g|, 0, 1) on the image in [0, 1] (the
 * notebook's normalized step), so `stepSize` is in units of the image range.
 *
 * A model with a fixed input size sees each octave's image resized to that size (bilinear, differentiable);
 * a model that takes any size sees it as it is. `tileSize` splits large images into tiles, each its own
 * forward pass, to bound memory.
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { InputError, OptionError } from '../errors';
import { resolveModel } from '../models/adapter';
import { withGradientRules } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { effectiveSignal } from '../signal';
import { checkInput, checkModel } from './common';
import { checkpoint } from './loop';
import { checkInteger, checkNumber } from './options';
import type { StepCallback } from './optimize/loop';
import { checkPreset, fromModelInput, PreprocessPreset, toModelInput } from './optimize/preprocess';
import { createRng } from './optimize/rng';
import { checkLayer, checkSeed, layerHead } from './optimize/setup';

export interface DeepDreamOptions {
  /** Layers to amplify, each with its weight: `{conv3: 1, conv4: 0.5}`. Required. */
  layers: Record<string, number>;
  /** Number of scales. Default 3. */
  octaves?: number;
  /** Size ratio between successive octaves (> 0). Default 1.4. */
  octaveScale?: number;
  /** Gradient steps per octave. Default 10. */
  steps?: number;
  /** Step size in units of the [0, 1] image range (> 0). Default 0.01. */
  stepSize?: number;
  /** Largest random circular shift in pixels, each axis (0: none). Default tileSize / 2, or 16 without tiles. */
  jitter?: number;
  /**
   * Compute the gradient in tiles of about this many pixels (each axis split into round(size / tileSize)
   * equal parts). Default: the whole image at once.
   */
  tileSize?: number;
  /** Seed of the random shifts. Default 0. */
  seed?: number;
  /** The model's preprocessing of an RGB image in [0, 1]: `unit`, `symmetric`, `caffe`, `torch`. Default `unit`. */
  preprocess?: PreprocessPreset;
  /** Progress: after every step, with `octave`; `step` counts across octaves. */
  onStep?: StepCallback;
  /** Include the current image (at the octave's size) every this many steps (0: never). Default 0. */
  imageEvery?: number;
  /** Stops the work with a CancelledError (name "AbortError"). Default: the kernel's signal. */
  signal?: AbortSignal;
}

/** Circular shift by (dy, dx) with slices and concatenation (no gather). Sync, caller owns the result. */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    let y: tf.Tensor4D = x;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    if (sy > 0) y = tf.concat([tf.slice(y, [0, h - sy, 0, 0], [-1, sy, -1, -1]), tf.slice(y, [0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
    if (sx > 0) y = tf.concat([tf.slice(y, [0, 0, w - sx, 0], [-1, -1, sx, -1]), tf.slice(y, [0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
    return sy === 0 && sx === 0 ? tf.clone(x) : y;
  });
}

/** The model's input dims `[N,H,W,C]` with null for unknown ones, or null when not known at all. */
function inputDims(model: Model): (number | null)[] | null {
  const dims = resolveModel('deepDream', model).inputShape();
  return dims && dims.length === 4 ? dims : null;
}

/**
 * Tile boundaries [start, end) along one axis: round(size / tile) tiles of nearly equal size (at least one),
 * so that no tile is a sliver too small for the model's pooling.
 */
function tiles(size: number, tile: number): [number, number][] {
  const k = Math.max(1, Math.round(size / tile));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) out.push([Math.round((i * size) / k), Math.round(((i + 1) * size) / k)]);
  return out;
}

/**
 * Dreams on `image` (model input `[N,H,W,C]`); returns the dreamed input, same shape, in the model's input
 * range (per `preprocess`). The caller owns it.
 */
export async function deepDream(model: Model, image: tf.Tensor4D, options: DeepDreamOptions): Promise<tf.Tensor4D> {
  const where = 'deepDream';
  await ready();
  checkModel(where, model);
  if (options === null || typeof options !== 'object' || options.layers === null || typeof options.layers !== 'object') {
    throw new OptionError(where, 'options.layers must be an object of layer names and weights, e.g. {conv3: 1}');
  }
  const entries = Object.entries(options.layers);
  if (entries.length === 0) throw new OptionError(where, 'options.layers is empty; name at least one layer, e.g. {conv3: 1}');
  const layers = entries.map(([name, weight]) => {
    checkLayer(where, model, name);
    if (typeof weight !== 'number' || !Number.isFinite(weight)) throw new OptionError(where, `weight of layer "${name}" must be a finite number, got ${JSON.stringify(weight)}`);
    return { head: layerHead(model, name), weight };
  });
  const octaves = checkInteger(where, 'octaves', options.octaves ?? 3, { min: 1 });
  const octaveScale = checkNumber(where, 'octaveScale', options.octaveScale ?? 1.4, { min: 0, exclusiveMin: true });
  const steps = checkInteger(where, 'steps', options.steps ?? 10, { min: 1 });
  const stepSize = checkNumber(where, 'stepSize', options.stepSize ?? 0.01, { min: 0, exclusiveMin: true });
  const tileSize = options.tileSize === undefined ? null : checkInteger(where, 'tileSize', options.tileSize, { min: 1 });
  const jitter = Math.floor(checkNumber(where, 'jitter', options.jitter ?? (tileSize ? Math.floor(tileSize / 2) : 16), { min: 0 }));
  const seed = checkSeed(where, options.seed);
  const imageEvery = Math.floor(checkNumber(where, 'imageEvery', options.imageEvery ?? 0, { min: 0 }));
  const signal = effectiveSignal(options.signal);
  const x0 = await checkInput(where, null, image);
  const [n, h, w, c] = x0.shape;
  const preset = checkPreset(where, options.preprocess ?? 'unit', c);
  const dims = inputDims(model);
  if (dims && dims[3] !== null && dims[3] !== c) throw new InputError(where, `the image has ${c} channels, the model takes ${dims[3]}`);
  const fixed: [number, number] | null = dims && dims[1] !== null && dims[2] !== null ? [dims[1], dims[2]] : null;
  const sizes: [number, number][] = [];
  for (let o = 0; o < octaves; o++) {
    const f = Math.pow(octaveScale, octaves - 1 - o);
    sizes.push([Math.max(2, Math.round(h / f)), Math.max(2, Math.round(w / f))]);
  }
  const rng = createRng(seed);

  /** Σ weight · mean(a²) per item for an image in [0, 1]; sync, differentiable. */
  const objective = (img: tf.Tensor4D): tf.Tensor1D => {
    const sized = fixed && (img.shape[1] !== fixed[0] || img.shape[2] !== fixed[1]) ? tf.image.resizeBilinear(img, fixed, false, true) : img;
    const x = toModelInput(sized, preset);
    let total: tf.Tensor1D | null = null;
    for (const { head, weight } of layers) {
      const a = head(x);
      const axes = a.shape.map((_, i) => i).slice(1);
      const term = tf.mul(tf.mean(tf.square(a), axes), weight) as tf.Tensor1D;
      total = total ? (tf.add(total, term) as tf.Tensor1D) : term;
    }
    return total as tf.Tensor1D;
  };

  /** Gradient of the objective (tile by tile) and its area-weighted mean value. */
  const gradient = (img: tf.Tensor4D): [tf.Tensor4D, tf.Tensor] =>
    withGradientRules({}, () =>
      tf.tidy(() => {
        const [, ih, iw] = img.shape;
        const t = tileSize ?? Math.max(ih, iw);
        const rows: tf.Tensor4D[] = [];
        let value: tf.Tensor = tf.scalar(0);
        for (const [y0, y1] of tiles(ih, t)) {
          const row: tf.Tensor4D[] = [];
          for (const [x0_, x1] of tiles(iw, t)) {
            const tile = tf.slice(img, [0, y0, x0_, 0], [-1, y1 - y0, x1 - x0_, -1]);
            const { value: v, grad } = tf.valueAndGrad((p: tf.Tensor) => tf.sum(objective(p as tf.Tensor4D)))(tile);
            value = tf.add(value, tf.mul(v, ((y1 - y0) * (x1 - x0_)) / (ih * iw * n)));
            row.push(grad as tf.Tensor4D);
          }
          rows.push(row.length === 1 ? row[0] : tf.concat(row, 2));
        }
        return [rows.length === 1 ? rows[0] : tf.concat(rows, 1), value];
      }),
      { where, model },
    );

  const base = tf.tidy(() => tf.clipByValue(fromModelInput(x0, preset), 0, 1) as tf.Tensor4D);
  let detail: tf.Tensor4D | null = null;
  let img: tf.Tensor4D | null = null;
  let baseO: tf.Tensor4D | null = null;
  let step = 0;
  try {
    for (let o = 0; o < octaves; o++) {
      const size = sizes[o];
      const scaled: tf.Tensor4D = tf.tidy(() => (size[0] === h && size[1] === w ? tf.clone(base) : tf.image.resizeBilinear(base, size, false, true)));
      baseO = scaled;
      const carried = detail;
      const start: tf.Tensor4D = tf.tidy(() => (carried ? tf.add(scaled, tf.image.resizeBilinear(carried, size, false, true)) : tf.clone(scaled)));
      if (img) img.dispose();
      img = start;
      for (let s = 0; s < steps; s++) {
        await checkpoint(where, signal);
        step++;
        const dy = jitter > 0 ? rng.int(-jitter, jitter) : 0;
        const dx = jitter > 0 ? rng.int(-jitter, jitter) : 0;
        const rolled = roll(img, dy, dx);
        const [g, value] = gradient(rolled);
        rolled.dispose();
        for (const { head } of layers) head.release();
        const current: tf.Tensor4D = img;
        const next = tf.tidy(() => {
          const back = roll(g, -dy, -dx);
          const norm = tf.add(tf.mean(tf.abs(back), [1, 2, 3], true), 1e-8);
          return tf.clipByValue(tf.add(current, tf.mul(tf.div(back, norm), stepSize)), 0, 1) as tf.Tensor4D;
        });
        g.dispose();
        img.dispose();
        img = next;
        const objectiveValue = (await value.data())[0];
        value.dispose();
        if (options.onStep) {
          const withImage = imageEvery > 0 && (step % imageEvery === 0 || step === octaves * steps);
          const shown = withImage ? tf.tidy(() => toModelInput(next, preset)) : undefined;
          try {
            await options.onStep({ step, objective: objectiveValue, octave: o, image: shown });
          } finally {
            shown?.dispose();
          }
        }
      }
      const current: tf.Tensor4D = img;
      const nextDetail = tf.tidy(() => tf.sub(current, scaled) as tf.Tensor4D);
      scaled.dispose();
      baseO = null;
      detail?.dispose();
      detail = nextDetail;
    }
    const result = img as tf.Tensor4D;
    return tf.tidy(() => toModelInput(result, preset));
  } finally {
    for (const { head } of layers) head.release();
    tf.dispose([base, detail, img, baseO].filter((t): t is tf.Tensor4D => t !== null));
  }
}
