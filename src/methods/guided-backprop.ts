/**
 * Guided backpropagation (Springenberg et al. 2015, "Striving for Simplicity") and the deconvnet rule
 * (Zeiler and Fergus 2014). Both change only how gradients pass through ReLU: guided backprop passes a
 * gradient where both the ReLU's input and the incoming gradient are positive; deconvnet where the
 * incoming gradient is positive, whatever the input. The rule reaches every ReLU, including activations
 * fused into Conv2D and Dense layers, without changing the model (see models/gradient-rules.ts). As in
 * Captum, the result is input-shaped and the caller owns it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { checkInput, checkModel, CommonOptions, checkedSelector } from './common';
import { GRADIENT_OPTIONS, inputGradient } from './gradient';
import { resolveOptions } from './options';

export type GuidedBackpropOptions = CommonOptions;

export async function guidedBackprop(model: Model, input: tf.Tensor, options: GuidedBackpropOptions = {}): Promise<tf.Tensor4D> {
  const where = 'guidedBackprop';
  checkModel(where, model);
  const o = resolveOptions(where, GRADIENT_OPTIONS, options);
  const x = await checkInput(where, model, input);
  return inputGradient(where, model, x, checkedSelector(where, model, x, o), { ...o, relu: 'guided' });
}

export async function deconvnet(model: Model, input: tf.Tensor, options: GuidedBackpropOptions = {}): Promise<tf.Tensor4D> {
  const where = 'deconvnet';
  checkModel(where, model);
  const o = resolveOptions(where, GRADIENT_OPTIONS, options);
  const x = await checkInput(where, model, input);
  return inputGradient(where, model, x, checkedSelector(where, model, x, o), { ...o, relu: 'deconvnet' });
}
