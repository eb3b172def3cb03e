/**
 * Synchronous forward passes used inside `tf.grad`: scores (pre-softmax by default), and scores with the
 * activation of one layer captured and, optionally, replaced. Works on LayersModel (Sequential, functional,
 * nested), GraphModel and plain functions, without changing the user's model: the hooks below patch one
 * layer object for the duration of one synchronous call and restore it in `finally`.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, LayerError } from '../errors';
import { findGraphNode, findKerasLayer, isLayersModel, KerasLayer, layerOutputShape, modelKind } from './layers';
import type { Model } from './types';

export interface ForwardOptions {
  /**
   * Explain the scores before a final softmax (default true), as keras-vis swaps the softmax for a linear
   * activation: softmax outputs saturate and couple the classes, so their gradients mostly say "less of the
   * other classes". Has no effect when the model does not end in softmax, or for plain functions.
   */
  preSoftmax?: boolean;
}

type Patch = { obj: object; key: string; value: unknown };

function withPatches<T>(patches: Patch[], fn: () => T): T {
  const saved = patches.map((p) => ({ ...p, had: Object.prototype.hasOwnProperty.call(p.obj, p.key), old: (p.obj as Record<string, unknown>)[p.key] }));
  for (const p of patches) (p.obj as Record<string, unknown>)[p.key] = p.value;
  try {
    return fn();
  } finally {
    for (const s of saved.reverse()) {
      if (s.had) (s.obj as Record<string, unknown>)[s.key] = s.old;
      else delete (s.obj as Record<string, unknown>)[s.key];
    }
  }
}

let linearActivation: unknown = null;
function linear(): unknown {
  // tfjs-layers' own "linear" activation object, taken from a throwaway (never built) layer.
  if (!linearActivation) linearActivation = (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown }).activation;
  return linearActivation;
}

/** The layer that produces the model's (first) output, looking inside nested models. */
function outputLayer(model: tf.LayersModel): KerasLayer {
  const last = (model.outputs[0] as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer;
  return (isLayersModel(last) ? outputLayer(last) : last) as KerasLayer;
}

function activationName(layer: tf.layers.Layer): string | null {
  const act = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return act && typeof act.getClassName === 'function' ? act.getClassName() : null;
}

/** The patches that turn a final softmax into the identity, or none. */
function softmaxPatches(model: tf.LayersModel): Patch[] {
  return layerSoftmaxPatches(outputLayer(model));
}

/**
 * Applies one layer (or a nested model) to a tensor with its final softmax removed, as `preSoftmax`
 * does for a whole model. Sync.
 */
export function applyWithoutSoftmax(layer: tf.layers.Layer, y: tf.Tensor): tf.Tensor {
  const last = isLayersModel(layer) ? outputLayer(layer) : (layer as KerasLayer);
  return withPatches(layerSoftmaxPatches(last), () => first(layer.apply(y, { training: false }) as tf.Tensor | tf.Tensor[]));
}

/** The patches that turn a layer's softmax (its activation, or the layer itself) into the identity, or none. */
function layerSoftmaxPatches(layer: KerasLayer): Patch[] {
  const cls = layer.getClassName();
  if (cls === 'Softmax' || (cls === 'Activation' && activationName(layer) === 'softmax')) {
    const identity = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs);
    return [{ obj: layer, key: 'call', value: identity }];
  }
  if (activationName(layer) === 'softmax') return [{ obj: layer, key: 'activation', value: linear() }];
  return [];
}

/** True when the model's output is a softmax (what `preSoftmax` removes). */
export function endsInSoftmax(model: Model): boolean {
  const kind = modelKind('endsInSoftmax', model);
  if (kind === 'layers') return softmaxPatches(model as tf.LayersModel).length > 0;
  if (kind === 'graph') return graphOutputNode(model as tf.GraphModel).op === 'Softmax';
  return false;
}

function graphOutputNode(model: tf.GraphModel) {
  const name = model.outputNodes[0].split(':')[0];
  return findGraphNode('forward', model, name);
}

/** Output node to fetch from a GraphModel: the softmax's input when explaining pre-softmax scores. */
function graphOutputName(model: tf.GraphModel, preSoftmax: boolean): string {
  const node = graphOutputNode(model);
  if (preSoftmax && node.op === 'Softmax' && node.inputs.length > 0) return node.inputs[0].name;
  return model.outputNodes[0];
}

function first(t: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor {
  if (Array.isArray(t)) return t[0];
  if (t instanceof tf.Tensor) return t;
  return Object.values(t)[0];
}

/** Scores as `[N,K]`: a rank-1 output becomes `[N,1]`, higher ranks are flattened per item. */
function asMatrix(where: string, y: tf.Tensor, n: number): tf.Tensor2D {
  if (y.rank === 0 || y.shape[0] !== n) {
    throw new InputError(where, `the model returned shape [${y.shape}] for a batch of ${n}; expected [${n}, K]`);
  }
  return y.rank === 2 ? (y as tf.Tensor2D) : y.reshape([n, -1]);
}

/** Runs the model; sync, for use inside tf.grad and tf.tidy. Returns scores `[N,K]`. */
export function forwardScores(where: string, model: Model, x: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
  const preSoftmax = options.preSoftmax ?? true;
  const kind = modelKind(where, model);
  if (kind === 'function') return asMatrix(where, (model as (x: tf.Tensor4D) => tf.Tensor)(x), x.shape[0]);
  if (kind === 'graph') {
    const g = model as tf.GraphModel;
    return asMatrix(where, first(g.execute(x, graphOutputName(g, preSoftmax))), x.shape[0]);
  }
  const m = model as tf.LayersModel;
  const patches = preSoftmax ? softmaxPatches(m) : [];
  return withPatches(patches, () => asMatrix(where, first(m.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]), x.shape[0]));
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
  const preSoftmax = options.preSoftmax ?? true;
  const kind = modelKind(where, model);
  if (kind === 'function') throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel');
  if (kind === 'graph') {
    const g = model as tf.GraphModel;
    findGraphNode(where, g, layerName);
    const a0 = first(g.execute(x, layerName));
    const a = replace ? replace(a0) : a0;
    const feeds: tf.NamedTensorMap = { [layerName]: a };
    const inputName = g.inputNodes[0];
    feeds[inputName] = x;
    const scores = asMatrix(where, first(g.execute(feeds, graphOutputName(g, preSoftmax))), x.shape[0]);
    return { scores, activation: tf.keep(tf.clone(a)) };
  }
  const m = model as tf.LayersModel;
  const layer = findKerasLayer(where, m, layerName);
  let captured: tf.Tensor | null = null;
  const original = layer.call;
  const hooked = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
    const out = first(original.call(layer, inputs, kwargs));
    const a = replace ? replace(out) : out;
    if (captured) tf.dispose(captured);
    // A copy: tfjs-layers disposes intermediate outputs explicitly once the graph no longer needs them.
    captured = tf.keep(tf.clone(a));
    return a;
  };
  const patches: Patch[] = [{ obj: layer, key: 'call', value: hooked }, ...(preSoftmax ? softmaxPatches(m) : [])];
  const scores = withPatches(patches, () => asMatrix(where, first(m.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]), x.shape[0]));
  if (!captured) throw new LayerError(where, `layer "${layerName}" did not run in the forward pass`);
  return { scores, activation: captured };
}

class StopForward extends Error {}

/**
 * The activation of one layer for a batch, running the model only as far as that layer (the forward pass
 * stops there). Sync; the caller owns the result.
 */
export function forwardToLayer(where: string, model: Model, x: tf.Tensor4D, layerName: string): tf.Tensor {
  const kind = modelKind(where, model);
  if (kind === 'function') throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel');
  if (kind === 'graph') {
    const g = model as tf.GraphModel;
    findGraphNode(where, g, layerName);
    return first(g.execute(x, layerName));
  }
  const m = model as tf.LayersModel;
  const layer = findKerasLayer(where, m, layerName);
  let captured: tf.Tensor | null = null;
  const original = layer.call;
  const hooked = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
    captured = tf.keep(tf.clone(first(original.call(layer, inputs, kwargs))));
    throw new StopForward();
  };
  try {
    withPatches([{ obj: layer, key: 'call', value: hooked }], () => m.apply(x, { training: false }));
  } catch (e) {
    if (!(e instanceof StopForward)) throw e;
  }
  if (!captured) throw new LayerError(where, `layer "${layerName}" did not run in the forward pass`);
  // The kept copy survived the model's own tidy scopes; hand back an ordinary tensor so that an enclosing
  // tf.tidy (or tf.grad) of the caller frees it like any other result.
  const kept: tf.Tensor = captured;
  const out = tf.clone(kept);
  kept.dispose();
  return out;
}

/** Static output shape of a named LayersModel layer, or null (GraphModel, unknown). */
export function staticLayerShape(where: string, model: Model, layerName: string): (number | null)[] | null {
  if (modelKind(where, model) !== 'layers') return null;
  return layerOutputShape(findKerasLayer(where, model as tf.LayersModel, layerName));
}

