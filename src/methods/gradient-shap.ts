/**
 * GradientShap (Lundberg and Lee 2017, "A Unified Approach to Interpreting Model Predictions"; SHAP's
 * GradientExplainer), as Captum's `GradientShap` (multiply_by_inputs=True): for each item and each of
 * `samples` draws, a noisy input x̃ = x + N(0, stdevs²), a baseline b drawn uniformly from the
 * distribution (`baselines`) and α ~ U(0, 1); the attribution is the mean over the draws of
 *
 *   ∂F(b + α(x̃ − b))/∂x · (x̃ − b).
 *
 * Its expectation is Integrated Gradients averaged over the baselines (and the noise): on a linear
 * model F(x) = w·x it is w · (x − E[b]) exactly. Defaults as Captum's: 5 samples, stdevs 0 (absolute, not
 * relative to the input's range as SmoothGrad's `noise`). Departures: Captum requires a baseline
 * distribution; here the default is `'zeros'` (one all-zero baseline), and `'minMax'` gives each item its
 * own two constant baselines (see ./baseline-distribution). The draws come from `seed` (Captum uses
 * numpy's and torch's global generators, and draws for each item anew); draw s is the same for every
 * item, so an item gets the same attributions alone as in a batch, whatever `batchSize`. No convergence
 * delta (Captum returns one per draw).
 *
 * A partial result (`onPartial`) is the sum over the draws done so far divided by `samples`; draws run
 * item by item, so earlier items are complete and later ones 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { mulberry32 } from '../random';
import { BaselineDistribution, Baselines, BASELINES_TYPE, checkBaselines, oneHotRows } from './baseline-distribution';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector } from './common';
import { inputGradient } from './gradient';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

/** A partial GradientShap result: see the module comment. */
export type GradientShapPartial = tf.Tensor4D;

export interface GradientShapOptions extends CommonOptions, Omit<LoopOptions<GradientShapPartial>, 'workers'> {
  /** The baseline distribution. Default `zeros`. */
  baselines?: BaselineDistribution;
  /** Draws (noisy input, baseline, α) per item. Default 5 (Captum's n_samples). */
  samples?: number;
  /** Standard deviation of the Gaussian noise added to the input, in input units. Default 0 (Captum's). */
  stdevs?: number;
  /** Seed of the draws. Default (also `null`): a random seed. */
  seed?: number | null;
}

/** gradientShap's own defaults (besides target and preSoftmax). */
export const GRADIENT_SHAP_DEFAULTS = {
  baselines: 'zeros' as BaselineDistribution,
  samples: 5,
  stdevs: 0,
  seed: null as number | null,
  batchSize: 32,
};

export const GRADIENT_SHAP_OPTIONS = extendSpecs(COMMON_OPTIONS, GRADIENT_SHAP_DEFAULTS, {
  baselines: { ...BASELINES_TYPE, description: "baseline distribution: 'zeros', 'minMax' (each item's smallest and largest value), a number or B baselines" },
  samples: { type: 'integer', min: 1, max: 100000, description: 'draws of (noisy input, baseline, α) per item (Captum’s n_samples)' },
  stdevs: { type: 'number', min: 0, description: 'σ of the Gaussian noise added to the input, in input units (Captum’s stdevs)' },
  seed: { type: 'integer', description: 'seed of the draws', defaultText: 'random' },
  batchSize: BATCH_SIZE,
});

/** What the GradientShap loop needs, shared with Expected Gradients (which has no noise). */
export interface ShapSettings {
  where: string;
  baselines: unknown;
  samples: number;
  stdevs: number;
  seed: number | null;
  batchSize: number;
}

/**
 * The GradientShap loop: rows r = i·samples + s (item i, draw s); draw s (a uniform number that picks the
 * baseline among the item's, then α, from `seed` in that order; its noise seeded by seed + 1 + s) is the
 * same for every item. The caller owns the result.
 */
export async function runGradientShap(model: Model, input: tf.Tensor, options: CommonOptions & Omit<LoopOptions<tf.Tensor4D>, 'workers'>, s: ShapSettings): Promise<tf.Tensor4D> {
  const { where, samples, stdevs } = s;
  checkModel(where, model);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const d = x.size / n;
  const shape = x.shape.slice(1);
  const resolved = await resolveTarget(where, model, x, options.target, options);
  const table: Baselines = await checkBaselines(where, s.baselines, x);
  const seed = s.seed ?? Math.floor(Math.random() * 2 ** 31);
  // Draw s (a uniform number for the baseline, then α) is the same for every item, so that an item alone
  // gets the draws it gets in a batch.
  const next = mulberry32(seed);
  const draws = Array.from({ length: samples }, () => [next(), next()]);
  const total = n * samples;
  const pick = new Array<number>(total);
  const alpha = new Array<number>(total);
  for (let r = 0; r < total; r++) {
    const from = table.choices[Math.floor(r / samples)];
    const [u, a] = draws[r % samples];
    pick[r] = from[Math.min(from.length - 1, Math.floor(u * from.length))];
    alpha[r] = a;
  }
  const k = table.rows.shape[0];
  const flatX = x.reshape([n, d]) as tf.Tensor2D;
  try {
    return await runBatches({
      where, total, batchSize: s.batchSize, signal: options.signal, onProgress: options.onProgress, onPartial: options.onPartial,
      initial: tf.zeros([n, d]) as tf.Tensor2D,
      evaluate: (start: number, end: number): tf.Tensor2D => tf.tidy(() => {
        const rows = end - start;
        const item = Array.from({ length: rows }, (_, i) => Math.floor((start + i) / samples));
        let xs = tf.matMul(oneHotRows(item, n), flatX);
        if (stdevs > 0) {
          const noise = Array.from({ length: rows }, (_, i) => tf.randomNormal([1, d], 0, stdevs, 'float32', seed + 1 + ((start + i) % samples)));
          xs = tf.add(xs, tf.concat(noise));
        }
        const bs = tf.matMul(oneHotRows(pick.slice(start, end), k), table.rows);
        const a = tf.tensor2d(alpha.slice(start, end), [rows, 1]);
        const points = tf.add(bs, tf.mul(a, tf.sub(xs, bs))).reshape([rows, ...shape]) as tf.Tensor4D;
        const g = inputGradient(where, model, points, rowSelector(where, resolved, item), { preSoftmax: options.preSoftmax }).reshape([rows, d]);
        const w = new Float32Array(n * rows);
        item.forEach((i, r) => {
          w[i * rows + r] = 1 / samples;
        });
        return tf.matMul(tf.tensor2d(w, [n, rows]), tf.mul(g, tf.sub(xs, bs))) as tf.Tensor2D;
      }),
      fold: (acc, b) => tf.add(acc, b) as tf.Tensor2D,
      finish: (acc) => acc.reshape(x.shape) as tf.Tensor4D,
    });
  } finally {
    tf.dispose([flatX, table.rows]);
  }
}

/**
 * GradientShap attributions, input-shaped `[N,H,W,C]`. The caller owns the result. Options:
 * GRADIENT_SHAP_OPTIONS (defaults in GRADIENT_SHAP_DEFAULTS), plus `onProgress`, `onPartial` and `signal`.
 */
export async function gradientShap(model: Model, input: tf.Tensor, options: GradientShapOptions = {}): Promise<tf.Tensor4D> {
  const where = 'gradientShap';
  checkModel(where, model);
  const o = resolveOptions(where, GRADIENT_SHAP_OPTIONS, options);
  return runGradientShap(model, input, o, { where, baselines: o.baselines, samples: o.samples, stdevs: o.stdevs, seed: o.seed, batchSize: o.batchSize });
}
