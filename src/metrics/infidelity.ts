/**
 * Infidelity (Yeh et al. 2019), with Captum's definition (`captum.metrics.infidelity`): for perturbations
 * I and perturbed inputs x − I,
 *
 *   INFD(Φ, f, x) = E_I[(Iᵀ Φ(x) − (f(x) − f(x − I)))²]
 *
 * estimated as the mean over `samples` perturbations (Captum's `n_perturb_samples`, default 10). With
 * `normalize: true` the attribution is first scaled by the β that minimizes it, β = E[IᵀΦ · Δf] / E[(IᵀΦ)²]
 * (Captum's `normalize`; a zero denominator counts as 1, as Captum's safe_div). Lower is better; the
 * gradient of a linear model scores 0.
 *
 * Where this departs from Captum: Captum has no default `perturb_func`; here I ~ N(0, σ²) per input value,
 * σ = `noise` (default 0.003, the σ of the example in Captum's docstring), seeded per sample. Captum needs
 * attributions shaped as the input; here a map `[N,H,W]` is also accepted and counts as the same
 * attribution in every channel. f is the target's score, before a final softmax unless `preSoftmax: false`
 * (the same default as the methods, so that a method's attribution is checked against the score it
 * explained); the target of each item is fixed on the clean input.
 *
 * Long-running: perturbations go through the batch loop (`batchSize` per pass, each N inputs), with
 * `onProgress`, `signal` and `onPartial` (the infidelity over the samples so far, `[N]`).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector } from '../methods/common';
import { runBatches } from '../methods/loop';
import { checkFinite, extendSpecs, resolveOptions } from '../methods/options';

export interface InfidelityOptions extends CommonOptions, LoopOptions<tf.Tensor1D> {
  /** Perturbations per item. Default 10 (Captum's n_perturb_samples). */
  samples?: number;
  /** σ of the Gaussian perturbation, in input units. Default 0.003. */
  noise?: number;
  /** Scale the attribution by the best β first (Captum's `normalize`). Default false. */
  normalize?: boolean;
  /** Seed of the perturbations. Default (also `null`): a random seed. */
  seed?: number | null;
}

export const INFIDELITY_DEFAULTS = { samples: 10, noise: 0.003, normalize: false, seed: null as number | null, batchSize: 16 };

export const INFIDELITY_OPTIONS = extendSpecs(COMMON_OPTIONS, INFIDELITY_DEFAULTS, {
  samples: { type: 'integer', min: 1, max: 1000000, description: 'perturbations per item' },
  noise: { type: 'number', min: 0, exclusiveMin: true, description: 'σ of the Gaussian perturbation I (input units)' },
  normalize: { type: 'boolean', description: 'scale the attribution by the β that minimizes infidelity (Captum’s normalize)' },
  seed: { type: 'integer', description: 'perturbation seed', defaultText: 'random' },
  batchSize: { ...BATCH_SIZE, description: 'perturbations per forward pass (each N inputs)' },
});

/** Infidelity of `attributions` (`[N,H,W,C]` as the input, or a map `[N,H,W]`) per item; see the module comment. */
export async function infidelity(model: Model, input: tf.Tensor, attributions: tf.Tensor, options: InfidelityOptions = {}): Promise<number[]> {
  const where = 'infidelity';
  checkModel(where, model);
  const o = resolveOptions(where, INFIDELITY_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const [n, h, w, c] = x.shape;
  if (!(attributions instanceof tf.Tensor) || attributions.isDisposed) throw new InputError(where, 'attributions must be a tf.Tensor (not disposed)');
  const a = attributions;
  const shapeOk = (a.rank === 4 && a.shape.every((d, i) => d === x.shape[i])) || (a.rank === 3 && a.shape.every((d, i) => d === x.shape[i]));
  if (!shapeOk) throw new InputError(where, `attributions of shape [${a.shape}] must be shaped as the input [${x.shape}] or as a map [${[n, h, w]}]`);
  if (a.dtype !== 'float32') throw new InputError(where, `attributions must be float32, but got ${a.dtype}`);
  await checkFinite(where, 'attributions', a);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const all = Array.from({ length: n }, (_, i) => i);
  const fx = tf.tidy(() => rowSelector(where, resolved, all)(forwardScores(where, model, x, o)));
  const attr = tf.tidy(() => (a.rank === 3 ? tf.tile(a.reshape([n, h, w, 1]), [1, 1, 1, c]) : a.clone()));
  try {
    // Per item, sums over the samples of (IᵀΦ)², IᵀΦ·Δf, Δf² and (IᵀΦ − Δf)²: rows of a [4, N] state.
    const sums = await runBatches<tf.Tensor2D, tf.Tensor2D | null, tf.Tensor2D>({
      where, total: o.samples, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress,
      onPartial: o.onPartial && ((s, done, total) => {
        const partial = finalize(s, done, o.normalize);
        try {
          return o.onPartial?.(partial, done, total);
        } finally {
          partial.dispose();
        }
      }),
      initial: null,
      evaluate: (s0, s1) =>
        tf.tidy(() => {
          const count = s1 - s0;
          const perturbations = tf.concat(Array.from({ length: count }, (_, k) => tf.randomNormal(x.shape, 0, o.noise, 'float32', seed + s0 + k)));
          const perturbed = tf.sub(tf.tile(x, [count, 1, 1, 1]), perturbations) as tf.Tensor4D;
          const rows = Array.from({ length: count * n }, (_, r) => r % n);
          const fPert = rowSelector(where, resolved, rows)(forwardScores(where, model, perturbed, o));
          const delta = tf.sub(tf.tile(fx, [count]), fPert).reshape([count, n]);
          const dot = tf.sum(tf.mul(tf.tile(attr, [count, 1, 1, 1]), perturbations), [1, 2, 3]).reshape([count, n]);
          return tf.stack([tf.square(dot), tf.mul(dot, delta), tf.square(delta), tf.square(tf.sub(dot, delta))].map((t) => tf.sum(t, 0))) as tf.Tensor2D;
        }),
      fold: (acc, batch) => (acc ? (tf.add(acc, batch) as tf.Tensor2D) : batch),
      finish: (acc) => (acc as tf.Tensor2D).clone(),
    });
    const out = finalize(sums, o.samples, o.normalize);
    sums.dispose();
    const values = Array.from(await out.data());
    out.dispose();
    return values;
  } finally {
    tf.dispose([fx, attr]);
  }
}

/** The infidelity `[N]` from the [4, N] sums over `done` samples. */
function finalize(sums: tf.Tensor2D, done: number, normalize: boolean): tf.Tensor1D {
  return tf.tidy(() => {
    const [aa, ad, dd, diff] = tf.unstack(sums);
    if (!normalize) return tf.div(diff, done) as tf.Tensor1D;
    const beta = tf.div(ad, tf.where(tf.equal(aa, 0), tf.onesLike(aa), aa));
    return tf.div(tf.add(tf.sub(tf.mul(tf.square(beta), aa), tf.mul(tf.mul(beta, ad), 2)), dd), done) as tf.Tensor1D;
  });
}
