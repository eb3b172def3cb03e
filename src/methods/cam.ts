/**
 * Class activation mapping (Zhou et al. 2016, "Learning Deep Features for Discriminative Localization"):
 * for a network whose head is global average pooling then a dense layer, the class score is
 * y_k = Σ_c W[c,k] · mean_ij A_c(i,j) + b_k, so the map
 *
 *   M_k(i,j) = Σ_c W[c,k] A_c(i,j)
 *
 * is the class score spread over the positions of A (its mean plus b_k is y_k). A is the 4-D activation
 * that enters the GlobalAveragePooling2D layer. No gradients are needed; on such a network it equals
 * Grad-CAM without ReLU times h·w. As in the paper there is no ReLU by default (`relu`, default false);
 * upsampling is bilinear at half-pixel centres.
 */
import type * as tf from '@tensorflow/tfjs';
import { TargetError } from '../errors';
import { resolveModel } from '../models/adapter';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, fixedLayerCamOptions, runCam } from './cam-pipeline';

export interface CamMethodOptions extends Omit<CamOptions, 'layer' | 'relu'> {
  /** Keep only positive evidence, `max(0, map)`. Default false, as in the paper. */
  relu?: boolean;
}

/** cam's own defaults (besides target and preSoftmax): no ReLU, as in the paper (the map's mean plus the bias is the class score). */
export const CAM_METHOD_DEFAULTS = { relu: false, upsample: true };

export const CAM_METHOD_OPTIONS = fixedLayerCamOptions(CAM_METHOD_DEFAULTS);

/**
 * CAM map for a GlobalAveragePooling2D → Dense model, `[N,H,W]` (or `[N,h,w]` with `upsample: false`).
 * A GraphModel qualifies when its head is a spatial mean (`Mean` over axes 1 and 2, as tfjs-converter
 * writes global average pooling) then a matrix product (`MatMul` / `_FusedMatMul` with at most a bias),
 * optionally followed by `Softmax`. The caller owns the result. LayerError when the model has no such head.
 *
 * Options: CAM_METHOD_OPTIONS; `target` must be class indices, and `preSoftmax` only affects the default
 * target's tie-breaking.
 */
export async function cam(model: Model, input: tf.Tensor4D, options: CamMethodOptions = {}): Promise<tf.Tensor3D> {
  const where = 'cam';
  if (typeof options.target === 'function') {
    throw new TargetError(where, 'CAM needs class indices (a number or one per item): it reads the dense weights of a class, so a target function cannot be used');
  }
  const head = await resolveModel(where, model).camHead();
  const variant: CamVariant = {
    needsGradient: false,
    weigh: ({ target }) => head.classWeights(target as number[]),
  };
  return runCam(where, variant, model, input, options, head.featureLayer, CAM_METHOD_OPTIONS);
}
