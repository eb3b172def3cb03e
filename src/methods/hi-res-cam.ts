/**
 * HiResCAM (Draelos and Carin 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks") and element-wise Grad-CAM (pytorch-grad-cam's GradCAMElementWise):
 * the gradient multiplies the activation position by position instead of being averaged first,
 *
 *   HiResCAM:            map = ReLU( Σ_c ∂y/∂A_c(i,j) · A_c(i,j) ),
 *   element-wise Grad-CAM: map = ReLU( Σ_c ReLU(∂y/∂A_c(i,j) · A_c(i,j)) ).
 *
 * As pytorch-grad-cam's HiResCAM and GradCAMElementWise (with the final ReLU an option, `relu`, default
 * true, as its `np.maximum(cam, 0)`); LayerCAM differs from HiResCAM by a ReLU on the gradient alone.
 * On a network whose layer feeds global average pooling then a dense layer, HiResCAM equals Grad-CAM.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type HiResCamOptions = CamOptions;

/** HiResCAM's weights: the gradient at each position, `[N,h,w,c]`. */
export const hiResCamWeights: CamVariant = {
  needsGradient: true,
  weigh: ({ gradient }) => tf.clone(gradient as tf.Tensor4D),
};

/** Element-wise Grad-CAM's map: Σ_c ReLU(g·A), `[N,h,w]`. */
export const gradCamElementWiseMap: CamVariant = {
  needsGradient: true,
  project: ({ gradient, activation }) => tf.tidy(() => tf.sum(tf.relu(tf.mul(gradient as tf.Tensor4D, activation)), 3) as tf.Tensor3D),
};

/**
 * HiResCAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function hiResCam(model: Model, input: tf.Tensor4D, options: HiResCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('hiResCam', hiResCamWeights, model, input, options);
}

/**
 * Element-wise Grad-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function gradCamElementWise(model: Model, input: tf.Tensor4D, options: HiResCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('gradCamElementWise', gradCamElementWiseMap, model, input, options);
}
