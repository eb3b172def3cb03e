/**
 * Gradient of the explained score with respect to the input (Simonyan, Vedaldi and Zisserman 2014,
 * "Deep Inside Convolutional Networks"), gradient × input (Shrikumar et al. 2016), and the saliency map
 * (the gradient reduced over channels).
 */
import * as tf from '@tensorflow/tfjs';
import { forwardScores } from '../models/forward';
import { withGradientRules, ReluRule } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { checkInput, checkModel, CommonOptions, oneOf, ScoreSelector, checkedSelector } from './common';

/**
 * ∂score/∂input for a batch, with the ReLU rule given (sync; use inside tf.tidy or dispose the result).
 * Each item's score depends on its own input only, so the gradient of the summed scores is the per-item
 * gradient.
 */
export function inputGradient(
  where: string, model: Model, x: tf.Tensor4D, select: ScoreSelector, options: { preSoftmax?: boolean; relu?: ReluRule },
): tf.Tensor4D {
  return withGradientRules({ relu: options.relu ?? 'standard' }, () =>
    tf.tidy(() => {
      const g = tf.grad((xi: tf.Tensor) => tf.sum(select(forwardScores(where, model, xi as tf.Tensor4D, options))));
      return g(x) as tf.Tensor4D;
    }),
  );
}

export type VanillaGradientOptions = CommonOptions;

/**
 * ∂score/∂input, input-shaped `[N,H,W,C]`. The caller owns the result.
 *
 * Options: `target` (default: the argmax class, or the only output), `preSoftmax` (default true).
 */
export async function vanillaGradient(model: Model, input: tf.Tensor, options: VanillaGradientOptions = {}): Promise<tf.Tensor4D> {
  const where = 'vanillaGradient';
  checkModel(where, model);
  const x = await checkInput(where, model, input);
  return inputGradient(where, model, x, checkedSelector(where, model, x, options), options);
}

/** Gradient × input (Shrikumar et al. 2016), input-shaped. The caller owns the result. */
export async function gradientTimesInput(model: Model, input: tf.Tensor, options: VanillaGradientOptions = {}): Promise<tf.Tensor4D> {
  const where = 'gradientTimesInput';
  checkModel(where, model);
  const x = await checkInput(where, model, input);
  const select = checkedSelector(where, model, x, options);
  return tf.tidy(() => tf.mul(inputGradient(where, model, x, select, options), x) as tf.Tensor4D);
}

export const CHANNEL_REDUCTIONS = ['maxAbs', 'sumAbs', 'l2', 'signed'] as const;
export type ChannelReduction = (typeof CHANNEL_REDUCTIONS)[number];

/**
 * Reduces an input-shaped attribution `[N,H,W,C]` over channels to `[N,H,W]`:
 * `maxAbs` max_c |g| (Simonyan et al., keras-vis), `sumAbs` Σ_c |g|, `l2` sqrt(Σ_c g²), `signed` Σ_c g.
 * Sync; the caller owns the result.
 */
export function reduceChannels(g: tf.Tensor4D, reduce: ChannelReduction): tf.Tensor3D {
  return tf.tidy(() => {
    switch (reduce) {
      case 'maxAbs':
        return tf.max(tf.abs(g), 3) as tf.Tensor3D;
      case 'sumAbs':
        return tf.sum(tf.abs(g), 3) as tf.Tensor3D;
      case 'l2':
        return tf.sqrt(tf.sum(tf.square(g), 3)) as tf.Tensor3D;
      case 'signed':
        return tf.sum(g, 3) as tf.Tensor3D;
    }
  });
}

export interface SaliencyMapOptions extends CommonOptions {
  /** How channels are combined; default `maxAbs` (Simonyan et al. 2014). */
  reduce?: ChannelReduction;
}

/**
 * The saliency map of Simonyan et al.: the input gradient reduced over channels, `[N,H,W]`.
 * The caller owns the result.
 */
export async function saliencyMap(model: Model, input: tf.Tensor, options: SaliencyMapOptions = {}): Promise<tf.Tensor3D> {
  const where = 'saliencyMap';
  checkModel(where, model);
  const reduce = oneOf(where, 'reduce', options.reduce ?? 'maxAbs', CHANNEL_REDUCTIONS);
  const x = await checkInput(where, model, input);
  const select = checkedSelector(where, model, x, options);
  return tf.tidy(() => reduceChannels(inputGradient(where, model, x, select, options), reduce));
}
