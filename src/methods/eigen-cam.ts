/**
 * Eigen-CAM (Bany Muhammad and Yeasin 2020, "Eigen-CAM: Class Activation Map using Principal
 * Components") and Eigen-Grad-CAM (pytorch-grad-cam's EigenGradCAM): the map is the projection of each
 * position's channel vector on the first principal component of the layer's activation,
 *
 *   R = [A(i,j)]_(ij) as an (h·w) × c matrix, centred over positions (each channel minus its mean),
 *   v = the first right singular vector of R,   map(i,j) = ReLU( R(i,j) · v ).
 *
 * Eigen-CAM needs no gradient and no target (it is class-agnostic); Eigen-Grad-CAM does the same with
 * g·A (∂y/∂A times A, element-wise) in place of A, so it follows the target. As pytorch-grad-cam's
 * `get_2d_projection` (centring, then SVD, then R·v; the final ReLU is the pipeline's `relu`, default
 * true, as its `np.maximum(cam, 0)`), with one departure: a singular vector's sign is arbitrary (PyTorch
 * leaves it to LAPACK, so its maps can come out negated); here it is fixed so that Σ_c v_c ≥ 0, which for
 * non-negative (post-ReLU) activations makes the map high where many channels are. v comes from power
 * iteration in float64 on the smaller of RᵀR and RRᵀ; a constant activation gives a zero map.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';
import { principalProjection } from './principal-projection';

export type EigenCamOptions = CamOptions;

/** Eigen-CAM's map: the activation's principal projection. */
export const eigenCamMap: CamVariant = {
  needsGradient: false,
  project: ({ activation }) => principalProjection(activation),
};

/** Eigen-Grad-CAM's map: the principal projection of gradient × activation. */
export const eigenGradCamMap: CamVariant = {
  needsGradient: true,
  project: async ({ activation, gradient }) => {
    const ga = tf.mul(gradient as tf.Tensor4D, activation) as tf.Tensor4D;
    try {
      return await principalProjection(ga);
    } finally {
      ga.dispose();
    }
  },
};

/**
 * Eigen-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS); the map does not
 * depend on `target` or `preSoftmax`, which are still checked.
 */
export async function eigenCam(model: Model, input: tf.Tensor4D, options: EigenCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('eigenCam', eigenCamMap, model, input, options);
}

/**
 * Eigen-Grad-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function eigenGradCam(model: Model, input: tf.Tensor4D, options: EigenCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('eigenGradCam', eigenGradCamMap, model, input, options);
}
