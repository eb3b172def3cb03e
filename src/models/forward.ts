/**
 * Synchronous forward passes for use inside `tf.grad`: scores (pre-softmax by default), and scores with
 * one layer's activation captured and, optionally, replaced. Thin calls to the model's adapter and its
 * capture primitive (capture.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { resolveModel } from './adapter';
import type { ForwardOptions, Model } from './types';

export type { ForwardOptions } from './types';

/** Runs the model; sync, for use inside tf.grad and tf.tidy. Returns scores `[N,K]`. */
export function forwardScores(where: string, model: Model, x: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
  return resolveModel(where, model).scores(x, options);
}

/** True when the model's output is a softmax (what `preSoftmax` removes). */
export function endsInSoftmax(model: Model): boolean {
  return resolveModel('endsInSoftmax', model).endsInSoftmax();
}

export interface LayerForward {
  /** Scores `[N,K]`. */
  scores: tf.Tensor2D;
  /** The layer's output as the rest of the model saw it (after `replace`); kept: the caller disposes it. */
  activation: tf.Tensor;
}

/**
 * Runs the model with one layer's output captured, and optionally replaced by `replace(activation)` (for
 * instance `a => a.add(delta)`, whose gradient with respect to `delta` is the gradient with respect to the
 * activation, other paths held fixed). A layer applied more than once is hooked at each application.
 */
export function forwardWithLayer(
  where: string,
  model: Model,
  x: tf.Tensor4D,
  layerName: string,
  replace: ((a: tf.Tensor) => tf.Tensor) | null,
  options: ForwardOptions = {},
): LayerForward {
  const c = resolveModel(where, model).capture(x, {
    layers: [layerName], replace: replace ? { layer: layerName, by: replace } : undefined, preSoftmax: options.preSoftmax,
  });
  return { scores: c.scores as tf.Tensor2D, activation: tf.keep(c.activations[0]) };
}

/**
 * The activation of one layer for a batch, running the model only as far as that layer (the forward pass
 * stops there). Sync; the caller owns the result.
 */
export function forwardToLayer(where: string, model: Model, x: tf.Tensor4D, layerName: string): tf.Tensor {
  return resolveModel(where, model).capture(x, { layers: [layerName], stopAfter: true, preSoftmax: false }).activations[0];
}
