/**
 * Internal influence (Leino et al. 2018, "Influence-Directed Explanations for Deep Convolutional
 * Networks"), as Captum's `InternalInfluence`: the gradient of the explained score with respect to a
 * layer's output, integrated along the straight path from the baseline to the input,
 *
 *   II(x) = ∫₀¹ ∂F/∂y (y(x′ + α(x − x′))) dα ≈ Σ_k w_k ∂F/∂y at x′ + α_k(x − x′),
 *
 * with Integrated Gradients' points and weights (Captum's, `gaussLegendre` by default, 50 steps). Shaped
 * like the layer's output `[N, ...]`; not multiplied by anything (Captum's multiplies_by_inputs is False).
 * Default layer: the last with a 4-D output; default target: the argmax class of x.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { integrationPoints } from './integrated-gradients';
import { LAYER_PATH_OPTIONS, LayerPathOptions, layerGradientAt, layerShapeOf, pathPoints, prepareLayerPath, runLayerRows, sumIntoItems } from './layer-path';

export type InternalInfluenceOptions = LayerPathOptions;

/** internalInfluence's options: the layer and Integrated Gradients' path options. */
export const INTERNAL_INFLUENCE_OPTIONS = LAYER_PATH_OPTIONS;

/**
 * Internal influence, shaped like the layer's output `[N, ...]`. The caller owns the result. Options:
 * INTERNAL_INFLUENCE_OPTIONS (target, preSoftmax, layer, baseline, blurSigma, steps, method, batchSize),
 * plus `onProgress`, `onPartial` (the rows done so far) and `signal`.
 */
export async function internalInfluence(model: Model, input: tf.Tensor, options: InternalInfluenceOptions = {}): Promise<tf.Tensor> {
  const p = await prepareLayerPath('internalInfluence', model, input, options);
  try {
    const { alphas, weights } = integrationPoints(p.options.method, p.options.steps);
    return await runLayerRows(p, alphas.length, layerShapeOf(p), (start, end) => {
      const { points, items, steps } = pathPoints(p, alphas, start, end);
      try {
        return tf.tidy(() => {
          const { activation, gradient } = layerGradientAt(p, points, items);
          activation.dispose();
          const w = tf.tensor1d(steps.map((k) => weights[k])).reshape([-1, ...gradient.shape.slice(1).map(() => 1)]);
          return sumIntoItems(tf.mul(gradient, w), items, p.x.shape[0]);
        });
      } finally {
        points.dispose();
      }
    });
  } finally {
    p.base.dispose();
  }
}
