/**
 * Activations of named layers for an input batch, with per-channel statistics for activation galleries
 * (which channels fire, how strongly, how spread out). All named layers are captured in one forward pass
 * that stops once the last of them has run.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, OptionError } from '../errors';
import { findGraphNode, findKerasLayer, KerasLayer, listLayers, modelKind } from '../models/layers';
import type { Model } from '../models/types';
import { checkInput, checkModel } from './common';

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

class StopForward extends Error {}

function first(t: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(t) ? t[0] : t;
}

/** Runs a LayersModel once, capturing the named layers' outputs (kept copies; the caller disposes). */
function captureKeras(where: string, model: tf.LayersModel, x: tf.Tensor4D, names: string[]): Map<string, tf.Tensor> {
  const layers = names.map((name) => findKerasLayer(where, model, name));
  const captured = new Map<string, tf.Tensor>();
  const restore: (() => void)[] = [];
  try {
    for (const layer of layers) {
      const own = Object.prototype.hasOwnProperty.call(layer, 'call');
      const original = layer.call;
      (layer as KerasLayer).call = (inputs, kwargs) => {
        const out = original.call(layer, inputs, kwargs);
        // A copy: tfjs-layers disposes intermediate outputs once the layers that read them have run.
        captured.get(layer.name)?.dispose();
        captured.set(layer.name, tf.keep(tf.clone(first(out))));
        if (captured.size === layers.length) throw new StopForward();
        return out;
      };
      restore.push(() => {
        if (own) layer.call = original;
        else delete (layer as Partial<KerasLayer>).call;
      });
    }
    try {
      tf.tidy(() => {
        model.apply(x, { training: false });
      });
    } catch (e) {
      if (!(e instanceof StopForward)) throw e;
    }
  } catch (e) {
    tf.dispose([...captured.values()]);
    throw e;
  } finally {
    for (const r of restore.reverse()) r();
  }
  const missing = names.filter((n) => !captured.has(n));
  if (missing.length > 0) {
    tf.dispose([...captured.values()]);
    throw new LayerError(where, `layer${missing.length === 1 ? '' : 's'} ${missing.map((m) => `"${m}"`).join(', ')} did not run in the forward pass`);
  }
  return captured;
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
  checkModel(where, model);
  const kind = modelKind(where, model);
  if (kind === 'function') throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel');
  const names = options?.layers;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw new OptionError(where, `layers must be a non-empty array of layer names, got ${JSON.stringify(names)}; layers: ${listLayers(model).map((l) => l.name).join(', ')}`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new OptionError(where, `layers lists "${dup}" more than once`);
  const x = await checkInput(where, model, input);

  let captured: Map<string, tf.Tensor>;
  if (kind === 'graph') {
    const g = model as tf.GraphModel;
    for (const name of names) findGraphNode(where, g, name);
    const outs = g.execute(x, names);
    const list = Array.isArray(outs) ? outs : [outs];
    captured = new Map(names.map((name, i) => [name, list[i]]));
  } else {
    captured = captureKeras(where, model as tf.LayersModel, x, names);
  }
  const result: LayerActivation[] = [];
  try {
    for (const layer of names) {
      const activation = captured.get(layer) as tf.Tensor;
      result.push({ layer, activation, ...channelStats(activation) });
    }
  } catch (e) {
    tf.dispose([...captured.values()]);
    tf.dispose(result.map(({ mean, max, min, std }) => [mean, max, min, std]).flat());
    throw e;
  }
  return result;
}
