/**
 * Grad-CAM++ (Chattopadhyay et al. 2018, "Grad-CAM++: Improved Visual Explanations for Deep Convolutional
 * Networks"), in the closed form the paper derives for an exponential score S = exp(y) and a network that
 * is piecewise linear in A (so ∂²y/∂A² = 0): with g = ∂y/∂A,
 *
 *   α_c(i,j) = g² / (2 g² + Σ_ab A_c(a,b) · g³),   w_c = Σ_ij α_c(i,j) · ReLU(g(i,j)),
 *   map = ReLU( Σ_c w_c A_c ).
 *
 * As pytorch-grad-cam does: the ReLU is applied to ∂y/∂A rather than ∂S/∂A = exp(y)·∂y/∂A (a positive
 * factor per item, which only scales the map), ε = 1e-6 is added to the denominator, and α = 0 where g = 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type GradCamPlusPlusOptions = CamOptions;

const EPSILON = 1e-6;

/** Grad-CAM++'s channel weights, `[N,1,1,c]`. */
export const gradCamPlusPlusWeights: CamVariant = {
  needsGradient: true,
  weigh: ({ gradient, activation }) =>
    tf.tidy(() => {
      const g = gradient as tf.Tensor4D;
      const g2 = tf.square(g);
      const g3 = tf.mul(g2, g);
      const sumA = tf.sum(activation, [1, 2], true);
      const alpha = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), EPSILON));
      const alphaNonZero = tf.where(tf.notEqual(g, 0), alpha, tf.zerosLike(alpha));
      return tf.sum(tf.mul(alphaNonZero, tf.relu(g)), [1, 2], true) as tf.Tensor4D;
    }),
};

/**
 * Grad-CAM++ map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function gradCamPlusPlus(model: Model, input: tf.Tensor4D, options: GradCamPlusPlusOptions = {}): Promise<tf.Tensor3D> {
  return runCam('gradCamPlusPlus', gradCamPlusPlusWeights, model, input, options);
}
