/**
 * Expected Gradients (Erion, Janizek, Sturmfels, Lundberg and Lee 2021, "Improving performance of deep
 * learning models with axiomatic attribution priors and expected gradients"): Integrated Gradients with
 * the baseline drawn from a reference set and the path point drawn at random,
 *
 *   EG(x) = E_{b ~ D, α ~ U(0,1)} [ (x − b) · ∂F(b + α(x − b))/∂x ],
 *
 * estimated with `samples` draws per item. It is GradientShap without input noise (and computed by the
 * same loop, ./gradient-shap, with `stdevs` 0); on a linear model F(x) = w·x it is w · (x − E[b]).
 * Captum has no method of this name (its GradientShap with `stdevs=0` is the same estimator). The
 * default distribution is `'zeros'` (then EG is IG with random points); pass reference images as
 * `baselines` `[B,H,W,C]` (the paper draws them from the training set). `samples` defaults to 50 (our
 * choice; the paper's attributions use more draws where they can afford them).
 *
 * A partial result (`onPartial`) is the sum over the draws done so far divided by `samples`, item by item.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { BaselineDistribution, BASELINES_TYPE } from './baseline-distribution';
import { BATCH_SIZE, COMMON_OPTIONS, CommonOptions, LoopOptions, checkModel } from './common';
import { runGradientShap } from './gradient-shap';
import { extendSpecs, resolveOptions } from './options';

/** A partial Expected Gradients result: see the module comment. */
export type ExpectedGradientsPartial = tf.Tensor4D;

export interface ExpectedGradientsOptions extends CommonOptions, Omit<LoopOptions<ExpectedGradientsPartial>, 'workers'> {
  /** The reference distribution. Default `zeros`. */
  baselines?: BaselineDistribution;
  /** Draws (reference, α) per item. Default 50. */
  samples?: number;
  /** Seed of the draws. Default (also `null`): a random seed. */
  seed?: number | null;
}

/** expectedGradients' own defaults (besides target and preSoftmax). */
export const EXPECTED_GRADIENTS_DEFAULTS = {
  baselines: 'zeros' as BaselineDistribution,
  samples: 50,
  seed: null as number | null,
  batchSize: 32,
};

export const EXPECTED_GRADIENTS_OPTIONS = extendSpecs(COMMON_OPTIONS, EXPECTED_GRADIENTS_DEFAULTS, {
  baselines: { ...BASELINES_TYPE, description: "reference distribution: 'zeros', 'minMax' (each item's smallest and largest value), a number or B reference images" },
  samples: { type: 'integer', min: 1, max: 100000, description: 'draws of (reference, α) per item' },
  seed: { type: 'integer', description: 'seed of the draws', defaultText: 'random' },
  batchSize: BATCH_SIZE,
});

/**
 * Expected Gradients, input-shaped `[N,H,W,C]`. The caller owns the result. Options:
 * EXPECTED_GRADIENTS_OPTIONS (defaults in EXPECTED_GRADIENTS_DEFAULTS), plus `onProgress`, `onPartial`
 * and `signal`.
 */
export async function expectedGradients(model: Model, input: tf.Tensor, options: ExpectedGradientsOptions = {}): Promise<tf.Tensor4D> {
  const where = 'expectedGradients';
  checkModel(where, model);
  const o = resolveOptions(where, EXPECTED_GRADIENTS_OPTIONS, options);
  return runGradientShap(model, input, o, { where, baselines: o.baselines, samples: o.samples, stdevs: 0, seed: o.seed, batchSize: o.batchSize });
}
