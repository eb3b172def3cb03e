/**
 * The capture primitive: one forward pass that records the outputs of several layers, optionally replaces
 * one layer's output, and optionally stops once the recorded layers have run. Every layer method in
 * saliency-lab runs through it (layer activations, a model's split into head and tail, the CAM family's
 * single pass, feature visualization's layer objectives).
 */
import type * as tf from '@tensorflow/tfjs';
import { resolveModel } from './adapter';
import type { Captured, CaptureOptions, Model } from './types';

/**
 * Runs `model` on `x` once with the outputs of `options.layers` captured. Works on a LayersModel
 * (Sequential, functional, nested models: inner layers by name) and a GraphModel (node names, or the short
 * Keras names `listLayers` gives); a plain function has no layers (LayerError).
 *
 * - `replace: {layer, by}`: the rest of the model sees `by(output)` (or the tensor `by`); the gradient of
 *   anything downstream with respect to a tensor used in `by` is then the gradient through that layer
 *   with other paths held fixed.
 * - `stopAfter: true`: nothing after the last captured layer runs, and `scores` is null.
 * - `preSoftmax` (default true): a final softmax is removed for the pass (in a LayersModel this includes
 *   the output of a captured final layer; pass false for the layer's own output).
 *
 * Sync, so it can run inside `tf.grad` and `tf.tidy`; the model is never modified beyond the call. The
 * returned tensors belong to the caller's scope: dispose them (`tf.dispose(result.activations)`) or call it
 * inside `tf.tidy`. Errors: UnknownLayerError (with the model's layer names), AmbiguousLayerError (a short
 * name matching several GraphModel nodes), OptionError (malformed options, a layer listed twice),
 * LayerError (a plain function; a layer that did not run).
 */
export function capture(model: Model, x: tf.Tensor4D, options: CaptureOptions): Captured {
  return resolveModel('capture', model).capture(x, options);
}
