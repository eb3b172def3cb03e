/**
 * Guided backpropagation (Springenberg et al. 2015, "Striving for Simplicity") and the deconvnet rule
 * (Zeiler and Fergus 2014). Both change only how gradients pass through ReLU: guided backprop passes a
 * gradient where both the ReLU's input and the incoming gradient are positive; deconvnet where the
 * incoming gradient is positive, whatever the input. The rule reaches every ReLU, including activations
 * fused into Conv2D and Dense layers, without changing the model (see models/gradient-rules.ts). As in
 * Captum, the result is input-shaped and the caller owns it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import type { CommonOptions } from './common';
import { GRADIENT_OPTIONS, gradientMethod } from './gradient';

export type GuidedBackpropOptions = CommonOptions;

export function guidedBackprop(model: Model, input: tf.Tensor, options: GuidedBackpropOptions = {}): Promise<tf.Tensor4D> {
  return gradientMethod('guidedBackprop', model, input, options, GRADIENT_OPTIONS, 'guided', (_, g) => g);
}

export function deconvnet(model: Model, input: tf.Tensor, options: GuidedBackpropOptions = {}): Promise<tf.Tensor4D> {
  return gradientMethod('deconvnet', model, input, options, GRADIENT_OPTIONS, 'deconvnet', (_, g) => g);
}
