/**
 * Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation (Springenberg et al. 2015) times the
 * Grad-CAM map upsampled to the input, so that the fine detail of guided backprop is kept only where
 * Grad-CAM sees class evidence. Follows Captum's GuidedGradCam: the Grad-CAM map has its ReLU applied and
 * the product is input-shaped `[N,H,W,C]` (the map is broadcast over channels). Upsampling is bilinear at
 * half-pixel centres (Captum's default is nearest; the paper uses bilinear).
 */
import * as tf from '@tensorflow/tfjs';
import { resolveModel } from '../models/adapter';
import type { Model } from '../models/types';
import { CAM_LAYER, camPass, resolveCamLayer } from './cam-pipeline';
import { checkInput, COMMON_OPTIONS, CommonOptions, rowSelector } from './common';
import { gradCamWeights } from './grad-cam';
import { inputGradient } from './gradient';
import { extendSpecs, resolveOptions } from './options';

export interface GuidedGradCamOptions extends CommonOptions {
  /** Layer for the Grad-CAM part. Default (also `null`): the last layer with a 4-D output. */
  layer?: string | null;
}

/** guidedGradCam's own defaults (besides target and preSoftmax). */
export const GUIDED_GRAD_CAM_DEFAULTS = { layer: null as string | null };

export const GUIDED_GRAD_CAM_OPTIONS = extendSpecs(COMMON_OPTIONS, GUIDED_GRAD_CAM_DEFAULTS, { layer: { ...CAM_LAYER, description: 'layer of the Grad-CAM part' } });

/**
 * Guided Grad-CAM, input-shaped `[N,H,W,C]`. The caller owns the result.
 *
 * Options: GUIDED_GRAD_CAM_OPTIONS (layer, target, preSoftmax).
 */
export async function guidedGradCam(model: Model, input: tf.Tensor4D, options: GuidedGradCamOptions = {}): Promise<tf.Tensor4D> {
  const where = 'guidedGradCam';
  const adapter = resolveModel(where, model);
  const o = resolveOptions(where, GUIDED_GRAD_CAM_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const layer = resolveCamLayer(where, adapter, x, o.layer);
  const forward = { preSoftmax: o.preSoftmax };
  // The Grad-CAM pass fixes the targets; the guided backward pass explains the same ones.
  const { map, target } = await camPass(where, gradCamWeights, adapter, x, layer, o.target, { relu: true, upsample: true, ...forward });
  try {
    const select = rowSelector(where, target, Array.from({ length: x.shape[0] }, (_, i) => i));
    return tf.tidy(() => tf.mul(inputGradient(where, model, x, select, { ...forward, relu: 'guided' }), tf.expandDims(map, 3)) as tf.Tensor4D);
  } finally {
    map.dispose();
  }
}
