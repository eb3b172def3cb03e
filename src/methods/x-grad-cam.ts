/**
 * XGrad-CAM (Fu et al. 2020, "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of
 * CNNs"): each channel weighted by its gradient averaged with the channel's own activation as weights,
 *
 *   w_c = Σ_ij (A_c(i,j) / (Σ_ab A_c(a,b) + ε)) · ∂y/∂A_c(i,j),   map = ReLU( Σ_c w_c A_c ).
 *
 * As pytorch-grad-cam's XGradCAM: ε = 1e-7 is added to the channel sum (no sign guard), and the ReLU is
 * applied to the map (`relu`, default true). Upsampling as the other CAM variants; no min-max scaling.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type XGradCamOptions = CamOptions;

const EPSILON = 1e-7;

/** XGrad-CAM's channel weights, `[N,1,1,c]`. */
export const xGradCamWeights: CamVariant = {
  needsGradient: true,
  weigh: ({ gradient, activation }) =>
    tf.tidy(() => {
      const sumA = tf.add(tf.sum(activation, [1, 2], true), EPSILON);
      return tf.sum(tf.div(tf.mul(gradient as tf.Tensor4D, activation), sumA), [1, 2], true) as tf.Tensor4D;
    }),
};

/**
 * XGrad-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function xGradCam(model: Model, input: tf.Tensor4D, options: XGradCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('xGradCam', xGradCamWeights, model, input, options);
}
