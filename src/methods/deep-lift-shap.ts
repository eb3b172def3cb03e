/**
 * DeepLiftShap (Lundberg and Lee 2017, "A Unified Approach to Interpreting Model Predictions"), as
 * Captum's `DeepLiftShap`: DeepLift (rescale rule, ./deep-lift, Captum's conventions) of each item
 * against every baseline of a distribution, averaged over the baselines:
 *
 *   DeepLiftShap(x) = (1/B) Σ_b DeepLift(x; baseline b).
 *
 * As Captum, each input is repeated once per baseline (`repeat_interleave`) and the pairs run through
 * DeepLift together (here `batchSize` pairs at a time, each pair a DeepLift batch of 2). On a linear model
 * it is w · (x − mean of the baselines). Departures: Captum asserts that the distribution holds more than
 * one baseline; here one is allowed (then DeepLiftShap is DeepLift). The default distribution is
 * `'minMax'` (each item's smallest and largest value, two baselines; Captum requires one to be given).
 * No convergence delta (Captum returns one per input and baseline). DeepLift's own limits hold: a
 * softmax inside the network is a GradientError.
 *
 * A partial result (`onPartial`) is the sum of the DeepLift attributions over the baselines done so far,
 * divided by the item's number of baselines; pairs run item by item.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { BaselineDistribution, BASELINES_TYPE, checkBaselines, oneHotRows } from './baseline-distribution';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget } from './common';
import { deepLift } from './deep-lift';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

/** A partial DeepLiftShap result: see the module comment. */
export type DeepLiftShapPartial = tf.Tensor4D;

export interface DeepLiftShapOptions extends CommonOptions, Omit<LoopOptions<DeepLiftShapPartial>, 'workers'> {
  /** The baseline distribution. Default `minMax`. */
  baselines?: BaselineDistribution;
}

/** deepLiftShap's own defaults (besides target and preSoftmax). */
export const DEEP_LIFT_SHAP_DEFAULTS = {
  baselines: 'minMax' as BaselineDistribution,
  batchSize: 16,
};

export const DEEP_LIFT_SHAP_OPTIONS = extendSpecs(COMMON_OPTIONS, DEEP_LIFT_SHAP_DEFAULTS, {
  baselines: { ...BASELINES_TYPE, description: "baseline distribution: 'zeros', 'minMax' (each item's smallest and largest value), a number or B baselines" },
  batchSize: { ...BATCH_SIZE, description: '(input, baseline) pairs per DeepLift pass (each pair is two model inputs)' },
});

/**
 * DeepLiftShap attributions, input-shaped `[N,H,W,C]`. The caller owns the result. Options:
 * DEEP_LIFT_SHAP_OPTIONS (defaults in DEEP_LIFT_SHAP_DEFAULTS), plus `onProgress`, `onPartial` and `signal`.
 */
export async function deepLiftShap(model: Model, input: tf.Tensor, options: DeepLiftShapOptions = {}): Promise<tf.Tensor4D> {
  const where = 'deepLiftShap';
  checkModel(where, model);
  const o = resolveOptions(where, DEEP_LIFT_SHAP_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const d = x.size / n;
  const shape = x.shape.slice(1);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const table = await checkBaselines(where, o.baselines, x);
  // Pairs in Captum's order: item by item, each with every baseline it draws from.
  const item: number[] = [];
  const pick: number[] = [];
  table.choices.forEach((from, i) => from.forEach((j) => {
    item.push(i);
    pick.push(j);
  }));
  const k = table.rows.shape[0];
  const flatX = x.reshape([n, d]) as tf.Tensor2D;
  try {
    return await runBatches({
      where, total: item.length, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: tf.zeros([n, d]) as tf.Tensor2D,
      evaluate: async (start: number, end: number): Promise<tf.Tensor2D> => {
        const rows = end - start;
        const items = item.slice(start, end);
        const [xs, bs] = tf.tidy(() => [
          tf.matMul(oneHotRows(items, n), flatX).reshape([rows, ...shape]),
          tf.matMul(oneHotRows(pick.slice(start, end), k), table.rows).reshape([rows, ...shape]),
        ]);
        try {
          const target = typeof resolved === 'function' ? resolved : items.map((i) => resolved[i]);
          const a = await deepLift(model, xs, { target, preSoftmax: o.preSoftmax, baseline: bs });
          return tf.tidy(() => {
            const w = new Float32Array(n * rows);
            items.forEach((i, r) => {
              w[i * rows + r] = 1 / table.choices[i].length;
            });
            const out = tf.matMul(tf.tensor2d(w, [n, rows]), a.reshape([rows, d])) as tf.Tensor2D;
            a.dispose();
            return out;
          });
        } finally {
          tf.dispose([xs, bs]);
        }
      },
      fold: (acc, b) => tf.add(acc, b) as tf.Tensor2D,
      finish: (acc) => acc.reshape(x.shape) as tf.Tensor4D,
    });
  } finally {
    tf.dispose([flatX, table.rows]);
  }
}
