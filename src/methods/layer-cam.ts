/**
 * LayerCAM (Jiang et al. 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization"): every position of every channel weighted by its own positive gradient,
 *
 *   map = ReLU( Σ_c ReLU(∂y/∂A_c(i,j)) · A_c(i,j) ).
 *
 * Works on shallow layers too, where Grad-CAM's spatially averaged weights blur. As pytorch-grad-cam,
 * without the paper's tanh scaling for shallow layers (a monotone rescale left to viz).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type LayerCamOptions = CamOptions;

/** LayerCAM's weights: ReLU of the gradient at each position, `[N,h,w,c]`. */
export const layerCamWeights: CamVariant = {
  needsGradient: true,
  weigh: ({ gradient }) => tf.relu(gradient as tf.Tensor4D),
};

/**
 * LayerCAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function layerCam(model: Model, input: tf.Tensor4D, options: LayerCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('layerCam', layerCamWeights, model, input, options);
}
