/**
 * SmoothGrad (Smilkov et al. 2017): the mean of a gradient method's attributions over noisy copies of the
 * input, x + N(0, σ²) with σ = `noise` × (max(x) − min(x)) of each item (default 0.15, the paper's
 * "noise level"). `type`: `smoothGrad` (mean), `smoothGradSquared` (mean of squares, SmoothGrad² of Hooker
 * et al. 2019) or `varGrad` (variance, Adebayo et al. 2018), as Captum's NoiseTunnel `nt_type`.
 *
 * `method` wraps any gradient method: the built-in ones by name run as large batches of noisy copies;
 * `integratedGradients` or a function `(model, x, options) => Promise<Tensor>` run once per sample. As in
 * Captum, gradient × input multiplies by the noisy input. The target of each item is fixed on the clean
 * input. Deterministic for a given `seed` (the noise does not depend on `batchSize`).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import type { ReluRule } from '../models/gradient-rules';
import type { Model } from '../models/types';
import {
  checkInput, checkModel, checkpoint, CommonOptions, effectiveSignal, LoopOptions, nonNegative, oneOf, positiveInt, resolveTarget, rowSelector,
} from './common';
import { inputGradient } from './gradient';
import { integratedGradients, IntegratedGradientsOptions } from './integrated-gradients';

export const SMOOTHGRAD_TYPES = ['smoothGrad', 'smoothGradSquared', 'varGrad'] as const;
export type SmoothGradType = (typeof SMOOTHGRAD_TYPES)[number];

export const SMOOTHGRAD_METHODS = ['vanillaGradient', 'gradientTimesInput', 'guidedBackprop', 'deconvnet', 'integratedGradients'] as const;
export type AttributionFunction = (model: Model, x: tf.Tensor4D, options: CommonOptions) => Promise<tf.Tensor>;

export interface SmoothGradOptions extends CommonOptions, LoopOptions {
  /** Number of noisy copies. Default 50 (Smilkov et al.). */
  samples?: number;
  /** Noise standard deviation as a fraction of each item's value range. Default 0.15. */
  noise?: number;
  /** Aggregation. Default `smoothGrad`. */
  type?: SmoothGradType;
  /** The gradient method to smooth: a name from SMOOTHGRAD_METHODS or a function. Default `vanillaGradient`. */
  method?: (typeof SMOOTHGRAD_METHODS)[number] | AttributionFunction;
  /** Options for `integratedGradients` when it is the wrapped method (steps, baseline, method...). */
  methodOptions?: IntegratedGradientsOptions;
  /** Seed of the noise. Default: a random seed. */
  seed?: number;
}

const RELU_RULE: Record<string, ReluRule> = { vanillaGradient: 'standard', gradientTimesInput: 'standard', guidedBackprop: 'guided', deconvnet: 'deconvnet' };

/** SmoothGrad of a gradient method, input-shaped `[N,H,W,C]`. The caller owns the result. */
export async function smoothGrad(model: Model, input: tf.Tensor, options: SmoothGradOptions = {}): Promise<tf.Tensor4D> {
  const where = 'smoothGrad';
  checkModel(where, model);
  const samples = positiveInt(where, 'samples', options.samples ?? 50, 100000);
  const noise = nonNegative(where, 'noise', options.noise ?? 0.15);
  const type = oneOf(where, 'type', options.type ?? 'smoothGrad', SMOOTHGRAD_TYPES);
  const batchSize = positiveInt(where, 'batchSize', options.batchSize ?? 16);
  const method = options.method ?? 'vanillaGradient';
  if (typeof method !== 'function') oneOf(where, 'method', method, SMOOTHGRAD_METHODS);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isFinite(seed)) throw new OptionError(where, `seed must be a finite number, got ${seed}`);
  const signal = effectiveSignal(options.signal);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const resolved = await resolveTarget(where, model, x, options.target, options);

  // σ per item: noise × (max − min) over that item's values.
  const sigma = tf.tidy(() => {
    const flat = x.reshape([n, -1]);
    return tf.mul(tf.sub(tf.max(flat, 1), tf.min(flat, 1)), noise).reshape([n, 1, 1, 1]);
  });
  const totals: { sum: tf.Tensor | null; sq: tf.Tensor | null } = { sum: null, sq: null };
  /** Adds per-item sums of attributions (and of their squares) over some samples; takes ownership. */
  const add = (g: tf.Tensor, gSq: tf.Tensor | null) => {
    const s0 = totals.sum, q0 = totals.sq;
    totals.sum = s0 ? tf.add(s0, g) : g;
    if (s0) tf.dispose([s0, g]);
    if (gSq) {
      totals.sq = q0 ? tf.add(q0, gSq) : gSq;
      if (q0) tf.dispose([q0, gSq]);
    }
  };
  const noisy = (s: number) => tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed + s), sigma)) as tf.Tensor4D);

  try {
    if (typeof method === 'string' && method in RELU_RULE) {
      // Whole samples per pass when they fit, else parts of one sample's batch.
      const perPass = Math.max(1, Math.floor(batchSize / n));
      const itemChunk = Math.min(n, batchSize);
      for (let s0 = 0; s0 < samples; s0 += perPass) {
        await checkpoint(where, signal);
        const count = Math.min(perPass, samples - s0);
        // The noisy copies of this pass, made once and sliced per part when the batch is split by items.
        const copies = Array.from({ length: count }, (_, k) => noisy(s0 + k));
        try {
          for (let i0 = 0; i0 < n; i0 += itemChunk) {
            const i1 = Math.min(n, i0 + itemChunk);
            const whole = i0 === 0 && i1 === n;
            const [g, gSq] = tf.tidy(() => {
              const batch = tf.concat(whole ? copies : copies.map((c) => c.slice([i0, 0, 0, 0], [i1 - i0, -1, -1, -1]))) as tf.Tensor4D;
              const rows = Array.from({ length: count * (i1 - i0) }, (_, r) => i0 + (r % (i1 - i0)));
              let grads: tf.Tensor = inputGradient(where, model, batch, rowSelector(where, resolved, rows), { ...options, relu: RELU_RULE[method] });
              if (method === 'gradientTimesInput') grads = tf.mul(grads, batch);
              // Sum over the samples of this pass, item by item; pad to the whole batch when this is a part.
              const perSample = grads.reshape([count, i1 - i0, ...x.shape.slice(1)]);
              const pad = (t: tf.Tensor) => (whole ? t : tf.pad(t, [[i0, n - i1], [0, 0], [0, 0], [0, 0]]));
              const gs = pad(tf.sum(perSample, 0));
              return type === 'smoothGrad' ? [gs] : [gs, pad(tf.sum(tf.square(perSample), 0))];
            });
            add(g, gSq ?? null);
          }
        } finally {
          tf.dispose(copies);
        }
        options.onProgress?.(Math.min(samples, s0 + count), samples);
      }
    } else {
      const fn: AttributionFunction =
        typeof method === 'function'
          ? method
          : (m, xi, o) => integratedGradients(m, xi, { ...options.methodOptions, ...o, onProgress: undefined });
      for (let s = 0; s < samples; s++) {
        await checkpoint(where, signal);
        const xi = noisy(s);
        try {
          const g = await fn(model, xi, { target: resolved, preSoftmax: options.preSoftmax });
          add(g, type === 'smoothGrad' ? null : tf.square(g));
        } finally {
          xi.dispose();
        }
        options.onProgress?.(s + 1, samples);
      }
    }
    return tf.tidy(() => {
      const mean = tf.div(totals.sum as tf.Tensor, samples);
      if (type === 'smoothGrad') return mean as tf.Tensor4D;
      const meanSq = tf.div(totals.sq as tf.Tensor, samples);
      return (type === 'smoothGradSquared' ? meanSq : tf.relu(tf.sub(meanSq, tf.square(mean)))) as tf.Tensor4D;
    });
  } finally {
    tf.dispose([sigma, ...[totals.sum, totals.sq].filter((t): t is tf.Tensor => t !== null)]);
  }
}
