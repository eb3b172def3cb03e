/**
 * Max-sensitivity (Yeh et al. 2019), with Captum's definition (`captum.metrics.sensitivity_max`): the
 * largest relative change of the explanation under small perturbations of the input,
 *
 *   SENS_MAX(Φ, x) = max_{δ} ‖Φ(x + δ) − Φ(x)‖ / ‖Φ(x)‖
 *
 * over `samples` perturbations (Captum's `n_perturb_samples`, default 10) drawn as Captum's
 * `default_perturb_func` does: δ uniform in [−r, r] per input value, r = `radius` (default 0.02). The norm
 * is Frobenius over the whole explanation of an item (Captum's default `norm_ord='fro'`; other norms are
 * not offered); an explanation of norm 0 divides by 1, as Captum does. Lower is more robust; an
 * explanation that does not depend on the input (the gradient of a linear model) scores 0.
 *
 * The explanation is a registry method by name (any of METHOD_NAMES) with `methodOptions`, or a function
 * `(model, x, {target, preSoftmax}) => Promise<Tensor>`. The target of each item is fixed on the clean
 * input and passed to every call, as Captum passes its `target` kwarg (default here: the argmax class).
 *
 * Long-running: perturbations go through the batch loop (`batchSize` perturbed copies of the batch per
 * explanation call), with `onProgress`, `signal` and `onPartial` (the maximum so far, `[N]`).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget } from '../methods/common';
import type { AttributionFunction } from '../methods/smooth-grad';
import { runBatches } from '../methods/loop';
import { checkChoice, extendSpecs, resolveOptions } from '../methods/options';
import { getMethod, METHOD_NAMES } from '../methods/registry';

export interface SensitivityMaxOptions extends CommonOptions, LoopOptions<tf.Tensor1D> {
  /** Perturbations per item. Default 10 (Captum's n_perturb_samples). */
  samples?: number;
  /** Half-width of the uniform perturbation (L∞ radius), input units. Default 0.02 (Captum's perturb_radius). */
  radius?: number;
  /** Options of a method named by string. */
  methodOptions?: Record<string, unknown>;
  /** Seed of the perturbations. Default (also `null`): a random seed. */
  seed?: number | null;
}

export const SENSITIVITY_MAX_DEFAULTS = { samples: 10, radius: 0.02, seed: null as number | null, batchSize: 1 };

export const SENSITIVITY_MAX_OPTIONS = extendSpecs(COMMON_OPTIONS, SENSITIVITY_MAX_DEFAULTS, {
  samples: { type: 'integer', min: 1, max: 100000, description: 'perturbations per item' },
  radius: { type: 'number', min: 0, exclusiveMin: true, description: 'δ uniform in [−radius, radius] per input value' },
  seed: { type: 'integer', description: 'perturbation seed', defaultText: 'random' },
  batchSize: { type: 'integer', min: 1, description: 'perturbed copies of the batch per explanation call' },
});

/** An explanation function from a registry name (checked, OptionError listing the names) or a function. */
export function explainer(where: string, method: unknown, methodOptions: Record<string, unknown> | undefined): AttributionFunction {
  if (typeof method === 'function') return method as AttributionFunction;
  const name = checkChoice(where, 'method', method, METHOD_NAMES);
  const entry = getMethod(name);
  return (m, xi, opts) => entry.run(m, xi, { ...methodOptions, ...opts });
}

/** Max-sensitivity per item of an explanation method at inputs `[N,H,W,C]`; see the module comment. */
export async function sensitivityMax(model: Model, input: tf.Tensor, method: string | AttributionFunction, options: SensitivityMaxOptions = {}): Promise<number[]> {
  const where = 'sensitivityMax';
  checkModel(where, model);
  const o = resolveOptions(where, SENSITIVITY_MAX_OPTIONS, options);
  const explain = explainer(where, method, o.methodOptions);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const targetFor = (copies: number) => (typeof resolved === 'function' ? resolved : Array.from({ length: copies * n }, (_, r) => resolved[r % n]));
  const e0 = await explain(model, x, { target: resolved, preSoftmax: o.preSoftmax });
  if (!(e0 instanceof tf.Tensor) || e0.shape[0] !== n) {
    tf.dispose(e0 instanceof tf.Tensor ? [e0] : []);
    throw new InputError(where, `the explanation must be a tf.Tensor with one row per item (${n})`);
  }
  const flat0 = tf.tidy(() => e0.reshape([n, -1]));
  e0.dispose();
  const norm0 = tf.tidy(() => {
    const v = tf.norm(flat0, 'euclidean', 1);
    return tf.where(tf.equal(v, 0), tf.onesLike(v), v);
  });
  try {
    const result = await runBatches<tf.Tensor1D, tf.Tensor1D | null, tf.Tensor1D>({
      where, total: o.samples, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: null,
      evaluate: async (s0, s1) => {
        const count = s1 - s0;
        const perturbed = tf.tidy(() =>
          tf.concat(Array.from({ length: count }, (_, k) => tf.add(x, tf.randomUniform(x.shape, -o.radius, o.radius, 'float32', seed + s0 + k)))) as tf.Tensor4D,
        );
        let e: tf.Tensor;
        try {
          e = await explain(model, perturbed, { target: targetFor(count), preSoftmax: o.preSoftmax });
        } finally {
          perturbed.dispose();
        }
        return tf.tidy(() => {
          const diff = tf.sub(e.reshape([count, n, -1]), flat0);
          e.dispose();
          return tf.max(tf.div(tf.norm(diff, 'euclidean', 2), norm0), 0) as tf.Tensor1D;
        });
      },
      fold: (acc, batch) => (acc ? (tf.maximum(acc, batch) as tf.Tensor1D) : batch),
      finish: (acc) => (acc as tf.Tensor1D).clone(),
    });
    const values = Array.from(await result.data());
    result.dispose();
    return values;
  } finally {
    tf.dispose([flat0, norm0]);
  }
}
