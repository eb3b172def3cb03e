/**
 * Activations of named layers for an input batch, with per-channel statistics for activation galleries
 * (which channels fire, how strongly, how spread out). All named layers are captured in one forward pass
 * that stops once the last of them has run (the capture primitive, src/models/capture.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { resolveModel } from '../models/adapter';
import type { Model } from '../models/types';
import { checkInput } from './common';

export interface LayerActivationsOptions {
  /** Names of the layers (LayersModel) or nodes (GraphModel) to capture, in the order wanted. Required. */
  layers: string[];
}

/**
 * One layer's output and its statistics per item and channel (the last axis), taken over the other axes
 * (`[N,h,w,c]` → over h and w). Each statistic is `[N,c]`; `std` is the population standard deviation.
 * For a layer without spatial axes (`[N,c]`) each is the value itself, and `std` is 0.
 */
export interface LayerActivation {
  layer: string;
  activation: tf.Tensor;
  mean: tf.Tensor2D;
  max: tf.Tensor2D;
  min: tf.Tensor2D;
  std: tf.Tensor2D;
}

/** Per-channel mean, max, min and std over all axes but the batch and the last. Sync; caller owns. */
export function channelStats(a: tf.Tensor): Omit<LayerActivation, 'layer' | 'activation'> {
  return tf.tidy(() => {
    const n = a.shape[0];
    const c = a.rank < 2 ? 1 : a.shape[a.rank - 1];
    const flat = tf.reshape(tf.cast(a, 'float32'), [n, -1, c]);
    const { mean, variance } = tf.moments(flat, 1);
    return {
      mean: mean as tf.Tensor2D,
      max: tf.max(flat, 1) as tf.Tensor2D,
      min: tf.min(flat, 1) as tf.Tensor2D,
      std: tf.sqrt(tf.relu(variance)) as tf.Tensor2D,
    };
  });
}

/**
 * The outputs of the named layers for an input batch `[N,H,W,C]`, each with per-channel statistics, in
 * the order asked. The caller owns every tensor; `tf.dispose(result)` frees them all.
 * UnknownLayerError (with the model's layer names) for a name the model lacks.
 */
export async function layerActivations(model: Model, input: tf.Tensor4D, options: LayerActivationsOptions): Promise<LayerActivation[]> {
  const where = 'layerActivations';
  const adapter = resolveModel(where, model);
  adapter.requireLayers();
  const names = options?.layers;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw new OptionError(where, `layers must be a non-empty array of layer names, got ${JSON.stringify(names)}; layers: ${adapter.layers().map((l) => l.shortName).join(', ')}`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new OptionError(where, `layers lists "${dup}" more than once`);
  const x = await checkInput(where, model, input);
  // One pass for all layers, stopped after the last of them; the layers' own outputs (no softmax removed).
  const activations = tf.tidy(() => adapter.capture(x, { layers: names, stopAfter: true, preSoftmax: false }).activations);
  const result: LayerActivation[] = [];
  try {
    names.forEach((layer, i) => result.push({ layer, activation: activations[i], ...channelStats(activations[i]) }));
  } catch (e) {
    tf.dispose(activations);
    tf.dispose(result.map(({ mean, max, min, std }) => [mean, max, min, std]).flat());
    throw e;
  }
  return result;
}
