/**
 * Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
 * Localization"): each channel of a layer's activation A weighted by the spatial mean of ∂score/∂A,
 *
 *   map = ReLU( Σ_c α_c A_c ),   α_c = (1/hw) Σ_ij ∂y/∂A_c(i,j).
 *
 * Departures: the ReLU is an option (`relu`, default true as in the paper; Captum's `relu_attributions`
 * defaults to false); upsampling is bilinear at half-pixel centres (Captum's `interpolate` defaults to
 * nearest); the map is not min-max scaled (pytorch-grad-cam scales it to [0, 1]).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type GradCamOptions = CamOptions;

/** Grad-CAM's channel weights: the spatial mean of the gradient, `[N,1,1,c]`. */
export const gradCamWeights: CamVariant = {
  needsGradient: true,
  weigh: ({ gradient }) => tf.mean(gradient as tf.Tensor4D, [1, 2], true) as tf.Tensor4D,
};

/**
 * Grad-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function gradCam(model: Model, input: tf.Tensor4D, options: GradCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('gradCam', gradCamWeights, model, input, options);
}
