/**
 * Layer Integrated Gradients, as Captum's `LayerIntegratedGradients`: Integrated Gradients in the space
 * of a layer's output y, from its value on the baseline y′ = y(x′) to its value on the input y = y(x),
 *
 *   LIG(x) = (y − y′) · ∫₀¹ ∂F/∂y (y′ + α(y − y′)) dα ≈ (y − y′) · Σ_k w_k ∂F/∂y at y′ + α_k(y − y′),
 *
 * where F runs the rest of the network on the interpolated layer output (and, where paths bypass the
 * layer, on the input x itself, as Captum's hook feeds the original inputs). Points and weights are
 * Integrated Gradients' (Captum's; `gaussLegendre`, 50 steps by default). Completeness: the attributions
 * sum to F(y, x) − F(y′, x) per item, which is F(x) − F(x′) when every path goes through the layer.
 * Shaped like the layer's output `[N, ...]`.
 */
import * as tf from '@tensorflow/tfjs';
import { withGradientRules } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { integrationPoints } from './integrated-gradients';
import { LAYER_PATH_OPTIONS, LayerPathOptions, prepareLayerPath, rowsOf, runLayerRows, sumIntoItems } from './layer-path';

export type LayerIntegratedGradientsOptions = LayerPathOptions;

/** layerIntegratedGradients' options: the layer and Integrated Gradients' path options. */
export const LAYER_IG_OPTIONS = LAYER_PATH_OPTIONS;

/**
 * Layer Integrated Gradients, shaped like the layer's output `[N, ...]`. The caller owns the result.
 * Options: LAYER_IG_OPTIONS (target, preSoftmax, layer, baseline, blurSigma, steps, method, batchSize),
 * plus `onProgress`, `onPartial` (Σ_k w_k ∂F/∂y of the rows done so far, not yet times y − y′) and `signal`.
 */
export async function layerIntegratedGradients(model: Model, input: tf.Tensor, options: LayerIntegratedGradientsOptions = {}): Promise<tf.Tensor> {
  const p = await prepareLayerPath('layerIntegratedGradients', model, input, options);
  const split = p.adapter.split(p.layer);
  const [y, yb] = tf.tidy(() => [split.head(p.x), split.head(p.base)]);
  try {
    const { alphas, weights } = integrationPoints(p.options.method, p.options.steps);
    const steps = alphas.length;
    const integral = await runLayerRows(p, steps, y.shape.slice(1), (start, end) => tf.tidy(() => {
      const items = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / steps));
      const k = Array.from({ length: end - start }, (_, i) => (start + i) % steps);
      const ones = y.shape.slice(1).map(() => 1);
      const a = tf.tensor1d(k.map((i) => alphas[i])).reshape([-1, ...ones]);
      const w = tf.tensor1d(k.map((i) => weights[i])).reshape([-1, ...ones]);
      const yr = rowsOf(y, items);
      const ybr = rowsOf(yb, items);
      const points = tf.add(ybr, tf.mul(a, tf.sub(yr, ybr)));
      const xs = split.needsInput ? rowsOf(p.x, items) : undefined;
      const select = p.select(items);
      const g = withGradientRules({ relu: 'standard' }, () => tf.grad((t: tf.Tensor) => tf.sum(select(split.tail(t, xs, p.options))))(points), { where: p.where, model: p.adapter.model });
      return sumIntoItems(tf.mul(g, w), items, p.x.shape[0]);
    }));
    try {
      return tf.tidy(() => tf.mul(tf.sub(y, yb), integral));
    } finally {
      integral.dispose();
    }
  } finally {
    tf.dispose([y, yb, p.base]);
  }
}
