/**
 * Blur Integrated Gradients (Xu, Venugopalan and Sundararajan 2020, "Attribution in Scale and Space"), as
 * PAIR saliency's `BlurIG` (`saliency/core/blur_ig.py`): the path runs from the input blurred with a
 * Gaussian of σ_max to the input itself, γ(σ) = blur(x, σ), and
 *
 *   BlurIG(x) = −Σ_{k<steps} (σ_{k+1} − σ_k) · ∂F/∂x(γ(σ_k)) · (γ(σ_k + h) − γ(σ_k)) / h,
 *
 * a left Riemann sum over σ_k = k·σ_max/steps (or, with `sqrt`, σ_k = √(k·maxSigma/steps): PAIR's
 * formula, so that path ends at σ = √maxSigma) with the path's derivative by a forward difference of
 * step h = `gradStep`. Completeness: Σ BlurIG ≈ F(x) − F(blur(x, σ_last)), σ_last = maxSigma (or
 * √maxSigma with `sqrt`), to the quadrature's accuracy. The blur is scipy's
 * `gaussian_filter(x, [σ, σ, 0], mode='constant')`: a kernel truncated at 4σ (radius ⌊4σ + 0.5⌋),
 * normalized, zeros outside the image, channels apart; σ = 0 is the input.
 *
 * PAIR's defaults: maxSigma 50, 100 steps, gradStep 0.01, sqrt false. Departure: PAIR's batched loop
 * weighs every step of a batch by the step size of the batch's last step (the same when `sqrt` is off,
 * its default); here each step has its own. Items run together; `batchSize` path points per gradient pass.
 *
 * A partial result (`onPartial`) is the sum over the path points done so far; points run item by item.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector } from './common';
import { inputGradient } from './gradient';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

/** A partial Blur IG result: see the module comment. */
export type BlurIgPartial = tf.Tensor4D;

export interface BlurIgOptions extends CommonOptions, Omit<LoopOptions<BlurIgPartial>, 'workers'> {
  /** σ in pixels of the most blurred image, where the path starts. Default 50 (PAIR's max_sigma). */
  maxSigma?: number;
  /** Points on the path. Default 100. */
  steps?: number;
  /** Step in σ of the path's finite-difference derivative. Default 0.01. */
  gradStep?: number;
  /** Space σ as √(k·maxSigma/steps) instead of k·maxSigma/steps. Default false. */
  sqrt?: boolean;
}

/** blurIg's own defaults (besides target and preSoftmax): PAIR's. */
export const BLUR_IG_DEFAULTS = {
  maxSigma: 50,
  steps: 100,
  gradStep: 0.01,
  sqrt: false,
  batchSize: 32,
};

export const BLUR_IG_OPTIONS = extendSpecs(COMMON_OPTIONS, BLUR_IG_DEFAULTS, {
  maxSigma: { type: 'number', min: 0, exclusiveMin: true, description: 'σ in pixels of the most blurred image, where the path starts (PAIR’s max_sigma)' },
  steps: { type: 'integer', min: 1, max: 10000, description: 'points on the path' },
  gradStep: { type: 'number', min: 0, exclusiveMin: true, description: 'step in σ of the finite-difference derivative of the path' },
  sqrt: { type: 'boolean', description: 'σ_k = √(k·maxSigma/steps) (PAIR’s sqrt) instead of k·maxSigma/steps' },
  batchSize: BATCH_SIZE,
});

/**
 * The 1-D matrix of scipy's gaussian_filter along an axis of `size` pixels with mode 'constant' and
 * truncate 4: row i holds the weights of the pixels j within the kernel's radius. σ = 0 is the identity.
 */
export function blurMatrix(size: number, sigma: number): Float32Array {
  const m = new Float32Array(size * size);
  if (sigma === 0) {
    for (let i = 0; i < size; i++) m[i * size + i] = 1;
    return m;
  }
  const radius = Math.floor(4 * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let t = -radius; t <= radius; t++) {
    w[t + radius] = Math.exp(-0.5 * (t * t) / (sigma * sigma));
    sum += w[t + radius];
  }
  for (let i = 0; i < size; i++) {
    for (let j = Math.max(0, i - radius); j <= Math.min(size - 1, i + radius); j++) m[i * size + j] = w[j - i + radius] / sum;
  }
  return m;
}

/** x `[1,H,W,C]` blurred with σ (scipy's gaussian_filter, mode 'constant', channels apart). Sync, in a tidy. */
export function blurImage(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma === 0) return x.clone();
  const [, h, w, c] = x.shape;
  return tf.tidy(() => {
    const bh = tf.tensor2d(blurMatrix(h, sigma), [h, h]);
    const bw = tf.tensor2d(blurMatrix(w, sigma), [w, w]);
    const rowsDone = tf.matMul(bh, x.reshape([h, w * c])).reshape([h, w, c]);
    const cols = tf.matMul(bw, tf.transpose(rowsDone, [1, 0, 2]).reshape([w, h * c])).reshape([w, h, c]);
    return tf.transpose(cols, [1, 0, 2]).reshape([1, h, w, c]) as tf.Tensor4D;
  });
}

/** The σ of each path point, k = 0..steps (PAIR's schedule). */
export function blurSigmas(maxSigma: number, steps: number, sqrt: boolean): number[] {
  return Array.from({ length: steps + 1 }, (_, k) => (sqrt ? Math.sqrt((k * maxSigma) / steps) : (k * maxSigma) / steps));
}

/**
 * Blur IG attributions, input-shaped `[N,H,W,C]`. The caller owns the result. Options: BLUR_IG_OPTIONS
 * (defaults in BLUR_IG_DEFAULTS), plus `onProgress`, `onPartial` and `signal`.
 */
export async function blurIg(model: Model, input: tf.Tensor, options: BlurIgOptions = {}): Promise<tf.Tensor4D> {
  const where = 'blurIg';
  checkModel(where, model);
  const o = resolveOptions(where, BLUR_IG_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const d = x.size / n;
  const shape = x.shape.slice(1);
  const steps = o.steps;
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const sigmas = blurSigmas(o.maxSigma, steps, o.sqrt);
  const items = Array.from({ length: n }, (_, i) => tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
  try {
    return await runBatches({
      where, total: n * steps, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: tf.zeros([n, d]) as tf.Tensor2D,
      evaluate: (start: number, end: number): tf.Tensor2D => tf.tidy(() => {
        const rows = end - start;
        const item = Array.from({ length: rows }, (_, r) => Math.floor((start + r) / steps));
        const step = Array.from({ length: rows }, (_, r) => (start + r) % steps);
        const points: tf.Tensor4D[] = [];
        const slopes: tf.Tensor4D[] = [];
        for (let r = 0; r < rows; r++) {
          const s = sigmas[step[r]];
          const p = blurImage(items[item[r]], s);
          points.push(p);
          // −(σ_{k+1} − σ_k) · dγ/dσ: the sign makes the path run from the blurred image to the input.
          const scale = -(sigmas[step[r] + 1] - s) / o.gradStep;
          slopes.push(tf.mul(tf.sub(blurImage(items[item[r]], s + o.gradStep), p), scale) as tf.Tensor4D);
        }
        const batch = tf.concat(points) as tf.Tensor4D;
        const g = inputGradient(where, model, batch, rowSelector(where, resolved, item), { preSoftmax: o.preSoftmax });
        const contrib = tf.mul(g, tf.concat(slopes)).reshape([rows, d]);
        const w = new Float32Array(n * rows);
        item.forEach((i, r) => {
          w[i * rows + r] = 1;
        });
        return tf.matMul(tf.tensor2d(w, [n, rows]), contrib) as tf.Tensor2D;
      }),
      fold: (acc, b) => tf.add(acc, b) as tf.Tensor2D,
      finish: (acc) => acc.reshape([n, ...shape]) as tf.Tensor4D,
    });
  } finally {
    tf.dispose(items);
  }
}
