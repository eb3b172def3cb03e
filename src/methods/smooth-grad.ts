/**
 * SmoothGrad (Smilkov et al. 2017): the mean of a gradient method's attributions over noisy copies of the
 * input, x + N(0, σ²) with σ = `noise` × (max(x) − min(x)) of each item (default 0.15, the paper's
 * "noise level"). `type`: `smoothGrad` (mean), `smoothGradSquared` (mean of squares, SmoothGrad² of Hooker
 * et al. 2019) or `varGrad` (variance, Adebayo et al. 2018), as Captum's NoiseTunnel `nt_type`.
 *
 * `method` wraps any method of the registry by name, as Captum's NoiseTunnel wraps any attribution, or a
 * function `(model, x, options) => Promise<Tensor>`. A method that is one input gradient under a ReLU
 * rule (its entry's `reluRule`: vanillaGradient, gradientTimesInput, guidedBackprop, deconvnet) runs as
 * large batches of noisy copies; any other runs once per sample, with `methodOptions`. As in Captum,
 * gradient × input multiplies by the noisy input. The target of each item is fixed on the clean input.
 * Deterministic for a given `seed` (the noise does not depend on `batchSize`).
 *
 * A partial result (`onPartial`) is the aggregate (`type`) over the samples done so far, shaped as the
 * final result.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, POOL_DEFAULTS, POOL_TYPES, resolveTarget, rowSelector } from './common';
import { MethodInfo, WRAPPABLE_METHODS, WrappableMethod } from './entries';
import { inputGradient } from './gradient';
import type { PoolJob } from '../pool';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

export const SMOOTHGRAD_TYPES = ['smoothGrad', 'smoothGradSquared', 'varGrad'] as const;
export type SmoothGradType = (typeof SMOOTHGRAD_TYPES)[number];

/** The methods SmoothGrad wraps by name: every registry method but SmoothGrad itself. */
export const SMOOTHGRAD_METHODS = Object.keys(WRAPPABLE_METHODS) as WrappableMethod[];
export type AttributionFunction = (model: Model, x: tf.Tensor4D, options: CommonOptions) => Promise<tf.Tensor>;

/** A partial SmoothGrad result: the aggregate over the samples done so far (see the module comment). */
export type SmoothGradPartial = tf.Tensor;

export interface SmoothGradOptions extends CommonOptions, LoopOptions<SmoothGradPartial> {
  /** Number of noisy copies. Default 50 (Smilkov et al.). */
  samples?: number;
  /** Noise standard deviation as a fraction of each item's value range. Default 0.15. */
  noise?: number;
  /** Aggregation. Default `smoothGrad`. */
  type?: SmoothGradType;
  /** The method to smooth: a name from SMOOTHGRAD_METHODS or a function. Default `vanillaGradient`. */
  method?: WrappableMethod | AttributionFunction;
  /** Options of the wrapped method when it runs once per sample (IG's steps, occlusion's window, ...). */
  methodOptions?: Record<string, unknown>;
  /** Seed of the noise. Default (also `null`): a random seed. */
  seed?: number | null;
}

/** smoothGrad's own defaults (besides target and preSoftmax). */
export const SMOOTH_GRAD_DEFAULTS = {
  samples: 50,
  noise: 0.15,
  type: 'smoothGrad' as SmoothGradType,
  method: 'vanillaGradient' as WrappableMethod | AttributionFunction,
  seed: null as number | null,
  batchSize: 16,
  ...POOL_DEFAULTS,
};

export const SMOOTH_GRAD_OPTIONS = extendSpecs(COMMON_OPTIONS, SMOOTH_GRAD_DEFAULTS, {
  samples: { type: 'integer', min: 1, max: 100000, description: 'noisy copies' },
  noise: { type: 'number', min: 0, description: 'noise σ as a fraction of each item’s value range' },
  type: { type: 'choice', choices: SMOOTHGRAD_TYPES, description: 'mean, mean of squares, or variance of the attributions' },
  method: { type: 'choice', choices: SMOOTHGRAD_METHODS, orFunction: true, description: 'method to smooth (any registry method, or a function)' },
  seed: { type: 'integer', description: 'noise seed', defaultText: 'random' },
  batchSize: { ...BATCH_SIZE, description: 'noisy copies per gradient pass (methods with a ReLU rule)' },
  ...POOL_TYPES,
});

/** Sums over the samples done of the attributions (and of their squares), per item. */
type Sums = { sum: tf.Tensor | null; sq: tf.Tensor | null };
const add = (a: tf.Tensor | null, b: tf.Tensor | null) => (a && b ? tf.add(a, b) : (a ?? b));

type SmoothGradParams = {
  where: string; n: number; seed: number; squares: boolean; batchSize: number; preSoftmax: boolean;
  target: number[] | ((output: tf.Tensor2D) => tf.Tensor);
  /** The wrapped method's name (a function only in process). */
  method: WrappableMethod | AttributionFunction;
  methodOptions: Record<string, unknown>;
};

/** Whether a value is plain data (no tensors, functions or class instances), which a worker can receive. */
function isPlainData(v: unknown): boolean {
  if (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every(isPlainData);
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every(isPlainData);
  return false;
}

/**
 * SmoothGrad's batch evaluator (in process and in pool workers, see ../pool): samples [s0, s1), as the
 * sums of their attributions (and squares) per item. A method with a ReLU rule runs the noisy copies as
 * large gradient batches (split by items when one sample's copies exceed `batchSize`); any other runs
 * once per sample.
 */
export function smoothGradEvaluator(model: Model, { x, sigma }: { x: tf.Tensor4D; sigma: tf.Tensor }, p: SmoothGradParams) {
  const { where, n, seed, squares, batchSize, target: resolved } = p;
  const noisy = (s: number) => tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed + s), sigma)) as tf.Tensor4D);
  const entry: MethodInfo | null = typeof p.method === 'function' ? null : WRAPPABLE_METHODS[p.method];
  if (entry?.reluRule) {
    const relu = entry.reluRule;
    const itemChunk = Math.min(n, batchSize);
    return (s0: number, s1: number): Sums => {
      const count = s1 - s0;
      // The noisy copies of this pass, made once and sliced per part when the batch is split by items.
      const copies = Array.from({ length: count }, (_, k) => noisy(s0 + k));
      let sums: Sums = { sum: null, sq: null };
      try {
        for (let i0 = 0; i0 < n; i0 += itemChunk) {
          const i1 = Math.min(n, i0 + itemChunk);
          const whole = i0 === 0 && i1 === n;
          const [g, gSq] = tf.tidy(() => {
            const batch = tf.concat(whole ? copies : copies.map((c) => c.slice([i0, 0, 0, 0], [i1 - i0, -1, -1, -1]))) as tf.Tensor4D;
            const rows = Array.from({ length: count * (i1 - i0) }, (_, r) => i0 + (r % (i1 - i0)));
            let grads: tf.Tensor = inputGradient(where, model, batch, rowSelector(where, resolved, rows), { preSoftmax: p.preSoftmax, relu });
            if (entry.multipliesByInput) grads = tf.mul(grads, batch);
            // Sum over the samples of this pass, item by item; pad to the whole batch when this is a part.
            const perSample = grads.reshape([count, i1 - i0, ...x.shape.slice(1)]);
            const pad = (t: tf.Tensor) => (whole ? t : tf.pad(t, [[i0, n - i1], [0, 0], [0, 0], [0, 0]]));
            const gs = pad(tf.sum(perSample, 0));
            return squares ? [gs, pad(tf.sum(tf.square(perSample), 0))] : [gs];
          });
          const next = { sum: add(sums.sum, g), sq: add(sums.sq, gSq ?? null) };
          tf.dispose([sums.sum, sums.sq, g, gSq].filter((t): t is tf.Tensor => t != null && t !== next.sum && t !== next.sq));
          sums = next;
        }
        return sums;
      } catch (e) {
        tf.dispose([sums.sum, sums.sq].filter((t): t is tf.Tensor => t !== null));
        throw e;
      } finally {
        tf.dispose(copies);
      }
    };
  }
  const fn: AttributionFunction = entry ? (m, xi, opts) => entry.run(m, xi, { ...p.methodOptions, ...opts }) : (p.method as AttributionFunction);
  return async (s: number): Promise<Sums> => {
    const xi = noisy(s);
    try {
      const g = await fn(model, xi, { target: resolved, preSoftmax: p.preSoftmax });
      return { sum: g, sq: squares ? tf.square(g) : null };
    } finally {
      xi.dispose();
    }
  };
}

/** SmoothGrad of a method, shaped as that method's result. The caller owns the result. */
export async function smoothGrad(model: Model, input: tf.Tensor, options: SmoothGradOptions = {}): Promise<tf.Tensor> {
  const where = 'smoothGrad';
  checkModel(where, model);
  const o = resolveOptions(where, SMOOTH_GRAD_OPTIONS, options);
  const { samples, noise, type, batchSize, method } = o;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const entry: MethodInfo | null = typeof method === 'function' ? null : WRAPPABLE_METHODS[method];

  // σ per item: noise × (max − min) over that item's values.
  const sigma = tf.tidy(() => {
    const flat = x.reshape([n, -1]);
    return tf.mul(tf.sub(tf.max(flat, 1), tf.min(flat, 1)), noise).reshape([n, 1, 1, 1]);
  });
  const squares = type !== 'smoothGrad';
  const params: SmoothGradParams = {
    where, n, seed, squares, target: resolved, preSoftmax: o.preSoftmax, batchSize,
    method: entry ? (method as WrappableMethod) : (method as AttributionFunction), methodOptions: o.methodOptions ?? {},
  };
  const sendable = typeof resolved === 'function' ? 'a target function cannot be sent to a worker'
    : !entry ? 'a function method cannot be sent to a worker'
    : !entry.reluRule && !isPlainData(params.methodOptions) ? 'methodOptions holding tensors or functions cannot be sent to a worker'
    : undefined;
  const job: PoolJob = { kind: 'smoothGrad', model, tensors: { x, sigma }, params, inProcess: sendable };

  try {
    return await runBatches({
      where, total: samples, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      // Whole samples per pass when they fit (methods with a ReLU rule), else one sample per batch.
      batchSize: entry?.reluRule ? Math.max(1, Math.floor(batchSize / n)) : 1,
      initial: { sum: null, sq: null } as Sums,
      evaluate: smoothGradEvaluator(model, { x, sigma }, params),
      pool: { job, workers: o.workers },
      fold: (acc: Sums, batch: Sums): Sums => ({ sum: add(acc.sum, batch.sum), sq: add(acc.sq, batch.sq) }),
      finish: ({ sum, sq }: Sums, done: number): tf.Tensor =>
        tf.tidy(() => {
          const mean = tf.div(sum as tf.Tensor, done);
          if (type === 'smoothGrad') return mean;
          const meanSq = tf.div(sq as tf.Tensor, done);
          return type === 'smoothGradSquared' ? meanSq : tf.relu(tf.sub(meanSq, tf.square(mean)));
        }),
    });
  } finally {
    sigma.dispose();
  }
}
