/**
 * Gradient of the explained score with respect to the input (Simonyan, Vedaldi and Zisserman 2014,
 * "Deep Inside Convolutional Networks"), gradient × input (Shrikumar et al. 2016), and the saliency map
 * (the gradient reduced over channels).
 */
import * as tf from '@tensorflow/tfjs';
import { forwardScores } from '../models/forward';
import { withGradientRules, ReluRule } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_DEFAULTS, COMMON_OPTIONS, CommonOptions, ScoreSelector, checkedSelector } from './common';
import { extendSpecs, OptionSpecs, resolveOptions } from './options';

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
    { where, model },
  );
}

export type VanillaGradientOptions = CommonOptions;

/** The options of vanillaGradient, gradientTimesInput, guidedBackprop and deconvnet: target and preSoftmax. */
export const GRADIENT_OPTIONS = COMMON_OPTIONS;

/**
 * What the public gradient methods share: checks the model, options and input, fixes the target, then
 * `then(x, ∂score/∂x, options)` (sync, inside a tidy) makes the result. The caller owns the result.
 */
export async function gradientMethod<D extends object, O extends CommonOptions, R extends tf.Tensor>(
  where: string, model: Model, input: tf.Tensor, options: O, specs: OptionSpecs<D & typeof COMMON_DEFAULTS>, relu: ReluRule,
  then: (x: tf.Tensor4D, g: tf.Tensor4D, o: D & typeof COMMON_DEFAULTS) => R,
): Promise<R> {
  checkModel(where, model);
  const o = resolveOptions(where, specs, options);
  const x = await checkInput(where, model, input);
  const select = checkedSelector(where, model, x, o);
  return tf.tidy(() => then(x, inputGradient(where, model, x, select, { preSoftmax: o.preSoftmax, relu }), o));
}

/**
 * ∂score/∂input, input-shaped `[N,H,W,C]`. The caller owns the result. Options: GRADIENT_OPTIONS
 * (target, preSoftmax).
 */
export function vanillaGradient(model: Model, input: tf.Tensor, options: VanillaGradientOptions = {}): Promise<tf.Tensor4D> {
  return gradientMethod('vanillaGradient', model, input, options, GRADIENT_OPTIONS, 'standard', (_, g) => g);
}

/** Gradient × input (Shrikumar et al. 2016), input-shaped. The caller owns the result. */
export function gradientTimesInput(model: Model, input: tf.Tensor, options: VanillaGradientOptions = {}): Promise<tf.Tensor4D> {
  return gradientMethod('gradientTimesInput', model, input, options, GRADIENT_OPTIONS, 'standard', (x, g) => tf.mul(g, x) as tf.Tensor4D);
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

/** saliencyMap's own defaults (besides target and preSoftmax). */
export const SALIENCY_MAP_DEFAULTS = { reduce: 'maxAbs' as ChannelReduction };

export const SALIENCY_MAP_OPTIONS = extendSpecs(COMMON_OPTIONS, SALIENCY_MAP_DEFAULTS, {
  reduce: { type: 'choice', choices: CHANNEL_REDUCTIONS, description: 'how channels are combined: max |g|, Σ |g|, ‖g‖₂ or Σ g' },
});

/**
 * The saliency map of Simonyan et al.: the input gradient reduced over channels, `[N,H,W]`.
 * The caller owns the result.
 */
export function saliencyMap(model: Model, input: tf.Tensor, options: SaliencyMapOptions = {}): Promise<tf.Tensor3D> {
  return gradientMethod('saliencyMap', model, input, options, SALIENCY_MAP_OPTIONS, 'standard', (_, g, o) => reduceChannels(g, o.reduce));
}
