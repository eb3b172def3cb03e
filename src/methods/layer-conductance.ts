/**
 * Layer conductance (Dhamdhere, Sundararajan and Yan 2018, "How Important Is a Neuron?"), as Captum's
 * `LayerConductance`: the flow of Integrated Gradients through each unit y_j of a layer,
 *
 *   Cond_j(x) = ∫₀¹ ∂F/∂y_j · ∂y_j/∂α dα ≈ Σ_{k<n} ∂F/∂y_j(α_k) · (y_j(α_{k+1}) − y_j(α_k)),
 *
 * on the straight input path x′ + α(x − x′), with Captum's n + 1 points α_0 … α_n of the quadrature rule
 * (`gaussLegendre` by default, 50 steps; its step sizes are not used: the differences of the layer's
 * outputs between consecutive points stand for them, as Captum does). Summed over the layer's units,
 * conductance approximates F(x) − F(x′) (what Integrated Gradients' attributions sum to) when every path
 * from the input to the output goes through the layer; with Gauss–Legendre points the end points α_0 and
 * α_n are not 0 and 1, so the sum is a little short of it, as in Captum. Shaped like the layer's output.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { integrationPoints } from './integrated-gradients';
import { LAYER_PATH_OPTIONS, LayerPathOptions, layerGradientAt, layerShapeOf, pathPoints, prepareLayerPath, runLayerRows, sumIntoItems } from './layer-path';

export type LayerConductanceOptions = LayerPathOptions;

/** layerConductance's options: the layer and Integrated Gradients' path options. */
export const LAYER_CONDUCTANCE_OPTIONS = LAYER_PATH_OPTIONS;

/**
 * Layer conductance, shaped like the layer's output `[N, ...]`. The caller owns the result. Options:
 * LAYER_CONDUCTANCE_OPTIONS (target, preSoftmax, layer, baseline, blurSigma, steps, method, batchSize),
 * plus `onProgress`, `onPartial` (the rows done so far) and `signal`.
 */
export async function layerConductance(model: Model, input: tf.Tensor, options: LayerConductanceOptions = {}): Promise<tf.Tensor> {
  const p = await prepareLayerPath('layerConductance', model, input, options);
  try {
    const { alphas } = integrationPoints(p.options.method, p.options.steps + 1);
    const here = alphas.slice(0, -1);
    const next = alphas.slice(1);
    const split = p.adapter.split(p.layer);
    return await runLayerRows(p, here.length, layerShapeOf(p), (start, end) => {
      const a = pathPoints(p, here, start, end);
      const b = pathPoints(p, next, start, end);
      try {
        return tf.tidy(() => {
          const { activation, gradient } = layerGradientAt(p, a.points, a.items);
          const after = split.head(b.points);
          return sumIntoItems(tf.mul(gradient, tf.sub(after, activation)), a.items, p.x.shape[0]);
        });
      } finally {
        tf.dispose([a.points, b.points]);
      }
    });
  } finally {
    p.base.dispose();
  }
}
