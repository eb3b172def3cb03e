/**
 * Neuron gradient, as Captum's `NeuronGradient`: the gradient of one unit of a layer's output with
 * respect to the input, input-shaped `[N,H,W,C]`, for each item its own unit. `neuron` is the unit's
 * index in the item's layer output read row-major (for a `[h,w,c]` output, (i·w + j)·c + k; Captum takes
 * a tuple of per-axis indices or a selector function). Without `neuron`, the sum of every unit of the
 * layer (what Captum's selector `lambda y: y.sum()` gives). The target and preSoftmax options do not
 * apply (the model's scores are not used). Default layer: the last with a 4-D output.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { resolveModel } from '../models/adapter';
import { withGradientRules } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { checkInput, checkModel } from './common';
import { LAYER_ATTRIBUTION_LAYER, resolveAttributionLayer } from './layer-path';
import { optionSpecs, resolveOptions } from './options';

export interface NeuronGradientOptions {
  /** The layer whose unit is differentiated. Default (also `null`): the last layer with a 4-D output. */
  layer?: string | null;
  /** The unit's row-major index in an item's layer output. Default (also `null`): the sum of every unit. */
  neuron?: number | null;
}

/** neuronGradient's defaults. */
export const NEURON_GRADIENT_DEFAULTS = { layer: null as string | null, neuron: null as number | null };

export const NEURON_GRADIENT_OPTIONS = optionSpecs(NEURON_GRADIENT_DEFAULTS, {
  layer: { ...LAYER_ATTRIBUTION_LAYER, description: 'layer whose unit is differentiated' },
  neuron: { type: 'integer', min: 0, description: "the unit's row-major index in an item's layer output", defaultText: 'the sum of every unit' },
});

/** ∂y_neuron/∂x, input-shaped `[N,H,W,C]`. The caller owns the result. Options: NEURON_GRADIENT_OPTIONS. */
export async function neuronGradient(model: Model, input: tf.Tensor, options: NeuronGradientOptions = {}): Promise<tf.Tensor4D> {
  const where = 'neuronGradient';
  checkModel(where, model);
  const o = resolveOptions(where, NEURON_GRADIENT_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const adapter = resolveModel(where, model);
  const layer = resolveAttributionLayer(where, adapter, x, o.layer);
  const split = adapter.split(layer);
  const shape = tf.tidy(() => split.head(x.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D).shape.slice(1));
  const units = shape.reduce((a, b) => a * b, 1);
  if (o.neuron !== null && o.neuron >= units) {
    throw new OptionError(where, `neuron ${o.neuron} is out of range: layer "${layer}" has ${units} units per item (shape [${shape}]; valid: 0 to ${units - 1})`);
  }
  const neuron = o.neuron;
  return withGradientRules({ relu: 'standard' }, () => tf.tidy(() => tf.grad((t: tf.Tensor) => {
    const y = split.head(t as tf.Tensor4D).reshape([t.shape[0], units]);
    // One unit by a one-hot mask (no gather: wasm lacks its gradient).
    if (neuron === null || units === 1) return tf.sum(y);
    return tf.sum(tf.mul(y, tf.oneHot([neuron], units).reshape([1, units])));
  })(x) as tf.Tensor4D), { where, model });
}
