/**
 * Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation (Springenberg et al. 2015) times the
 * Grad-CAM map upsampled to the input, so that the fine detail of guided backprop is kept only where
 * Grad-CAM sees class evidence. Follows Captum's GuidedGradCam: the Grad-CAM map has its ReLU applied and
 * the product is input-shaped `[N,H,W,C]` (the map is broadcast over channels). Upsampling is bilinear at
 * half-pixel centres (Captum's default is nearest; the paper uses bilinear).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { camOnChecked, resolveCamLayer } from './cam-pipeline';
import { checkInput, checkModel, CommonOptions, resolveTarget, rowSelector } from './common';
import { gradCamWeights } from './grad-cam';
import { inputGradient } from './gradient';

export interface GuidedGradCamOptions extends CommonOptions {
  /** Layer for the Grad-CAM part. Default: the last layer with a 4-D output. */
  layer?: string;
}

/**
 * Guided Grad-CAM, input-shaped `[N,H,W,C]`. The caller owns the result.
 *
 * Options: `layer` (default: the last layer with a 4-D output), `target` (default: the argmax class),
 * `preSoftmax` (default true).
 */
export async function guidedGradCam(model: Model, input: tf.Tensor4D, options: GuidedGradCamOptions = {}): Promise<tf.Tensor4D> {
  const where = 'guidedGradCam';
  checkModel(where, model);
  const x = await checkInput(where, model, input);
  const layer = resolveCamLayer(where, model, x, options.layer);
  const target = await resolveTarget(where, model, x, options.target, options);
  const forward = { preSoftmax: options.preSoftmax };
  const map = await camOnChecked(where, gradCamWeights, model, x, layer, target, { relu: true, upsample: true, ...forward });
  try {
    const select = rowSelector(where, target, Array.from({ length: x.shape[0] }, (_, i) => i));
    return tf.tidy(() => tf.mul(inputGradient(where, model, x, select, { ...forward, relu: 'guided' }), tf.expandDims(map, 3)) as tf.Tensor4D);
  } finally {
    map.dispose();
  }
}
