/**
 * The one module that reads tfjs-layers internals (inbound nodes, `sourceLayer`, layer activations, a
 * layer's `call`) and the one place that hooks a layer. Everything else in saliency-lab reaches a
 * LayersModel through the adapter (adapter.ts), which calls these functions.
 *
 * The hook never changes the user's model for longer than one synchronous call: it patches own
 * properties of layer objects and restores them in `finally`.
 */
import * as tf from '@tensorflow/tfjs';
import { AmbiguousLayerError, LayerError, UnknownLayerError } from '../errors';
import { isLayersModel } from './kind';

/** tfjs-layers' Layer as we use it: `call` is what a model's graph runner invokes for each node. */
export type KerasLayer = tf.layers.Layer & {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
};

/** A layer with tfjs-layers' graph bookkeeping (public fields, not part of the documented API). */
type LayerNode = tf.layers.Layer & { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] };

export function first(t: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor {
  if (Array.isArray(t)) return t[0];
  if (t instanceof tf.Tensor) return t;
  return Object.values(t)[0];
}

/** The output shape of a layer, or null (a layer applied more than once has no single one). */
export function layerShape(layer: tf.layers.Layer): (number | null)[] | null {
  try {
    const s = layer.outputShape as unknown;
    if (Array.isArray(s) && (s.length === 0 || !Array.isArray(s[0]))) return s as (number | null)[];
    if (Array.isArray(s)) return s[0] as (number | null)[];
  } catch {
    // Layers applied more than once have no single output shape.
  }
  return null;
}

/** Layers in the order the model runs them; nested models appear, followed by their own layers. */
export function kerasLayers(model: tf.LayersModel): { layer: KerasLayer; path: string[]; nested: boolean }[] {
  const out: { layer: KerasLayer; path: string[]; nested: boolean }[] = [];
  const walk = (m: tf.LayersModel, path: string[]) => {
    for (const layer of m.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const nested = isLayersModel(layer);
      out.push({ layer: layer as KerasLayer, path, nested });
      if (nested) walk(layer as unknown as tf.LayersModel, [...path, layer.name]);
    }
  };
  walk(model, []);
  return out;
}

/**
 * A layer's name qualified by its enclosing nested models (`inner/conv`); a top-level layer by the model
 * itself (`model/conv`), so that both forms stay distinct.
 */
function qualified(model: tf.LayersModel, e: { layer: tf.layers.Layer; path: string[] }): string {
  return [...(e.path.length === 0 ? [model.name] : e.path), e.layer.name].join('/');
}

/**
 * Finds a layer by name at any depth. A name that layers of several nested models share is ambiguous
 * (AmbiguousLayerError lists them qualified, `inner_a/conv`, which then works: a qualified name, or a
 * tail of one, picks one). UnknownLayerError lists the names.
 */
export function findKerasLayer(where: string, model: tf.LayersModel, name: string): KerasLayer {
  const all = kerasLayers(model);
  let hits = all.filter((e) => e.layer.name === name);
  if (hits.length === 0 && name.includes('/')) {
    hits = all.filter((e) => {
      const q = [model.name, ...e.path, e.layer.name].join('/');
      return q === name || q.endsWith('/' + name);
    });
  }
  if (hits.length === 1) return hits[0].layer;
  if (hits.length > 1) throw new AmbiguousLayerError(where, name, hits.map((e) => qualified(model, e)));
  throw new UnknownLayerError(where, name, all.map((e) => e.layer.name));
}

/** Each layer's shortest unambiguous name: its own, or qualified (see findKerasLayer) where names repeat. */
export function kerasShortNames(model: tf.LayersModel): Map<tf.layers.Layer, string> {
  const all = kerasLayers(model);
  const count = new Map<string, number>();
  for (const e of all) count.set(e.layer.name, (count.get(e.layer.name) ?? 0) + 1);
  return new Map(all.map((e) => [e.layer, (count.get(e.layer.name) as number) > 1 ? qualified(model, e) : e.layer.name]));
}

/** The model's input shape `[null, H, W, C]` (nulls for open sizes). */
export function kerasInputShape(model: tf.LayersModel): (number | null)[] {
  return model.inputs[0].shape;
}

/** The model's (first) output shape. */
export function kerasOutputShape(model: tf.LayersModel): (number | null)[] {
  return model.outputs[0].shape;
}

/** The layer that produces a model's (first) output, or the layer itself when it is not a model. */
function producer(layer: tf.layers.Layer): tf.layers.Layer {
  if (isLayersModel(layer)) return producer((layer.outputs[0] as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer);
  return layer;
}

/** The innermost layer producing the model's (first) output, looking inside nested models. */
function outputLayer(model: tf.LayersModel): KerasLayer {
  return producer(model) as KerasLayer;
}

/** The one layer feeding `layer`, or null when it has several inputs, several uses or none. */
function inboundOf(layer: tf.layers.Layer): tf.layers.Layer | null {
  const nodes = (layer as LayerNode).inboundNodes;
  if (!nodes || nodes.length !== 1 || nodes[0].inboundLayers.length !== 1) return null;
  return nodes[0].inboundLayers[0];
}

/**
 * The layer lists of each application of `layer` (tfjs-layers' inbound nodes), for code that rewrites a
 * model's structure, such as the test suite's GraphModel writer. A nested model's first entry is its own
 * construction (no inbound layers).
 */
export function inboundLayerLists(layer: tf.layers.Layer): tf.layers.Layer[][] {
  return ((layer as LayerNode).inboundNodes ?? []).map((n) => [...n.inboundLayers]);
}

/** The layer producing a (nested) model's first output, outermost model first unwrapped. */
export function modelOutputLayer(model: tf.LayersModel): tf.layers.Layer {
  return (model.outputs[0] as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer;
}

/** The name of a layer's activation function (`relu`, `softmax`, `linear`, ...), or null when it has none. */
export function layerActivationName(layer: tf.layers.Layer): string | null {
  return activationName(layer);
}

function activationName(layer: tf.layers.Layer): string | null {
  const act = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return act && typeof act.getClassName === 'function' ? act.getClassName() : null;
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
export function kerasEndsInSoftmax(model: tf.LayersModel): boolean {
  return layerSoftmaxPatches(outputLayer(model)).length > 0;
}

/** The top-level layers after `name`, when they form a simple chain from it to the output; else null. */
export function chainAfter(model: tf.LayersModel, name: string): tf.layers.Layer[] | null {
  const layers = model.layers;
  const i = layers.findIndex((l) => l.name === name);
  if (i < 0) return null;
  const rest = layers.slice(i + 1);
  let prev = layers[i];
  for (const l of rest) {
    if (inboundOf(l) !== prev) return null;
    prev = l;
  }
  const outs = model.outputs.map((o) => (o as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer);
  if (outs.length !== 1 || outs[0] !== prev) return null;
  return rest;
}

/**
 * Applies a chain of layers (from `chainAfter`) to an activation, the last one without its softmax when
 * `preSoftmax`. Sync; the caller owns the result.
 */
export function applyChain(chain: tf.layers.Layer[], a: tf.Tensor, preSoftmax: boolean): tf.Tensor {
  const last = chain[chain.length - 1];
  return tf.tidy(() => {
    let y = a;
    for (const l of chain) {
      const patches = l === last && preSoftmax ? layerSoftmaxPatches(isLayersModel(l) ? outputLayer(l) : (l as KerasLayer)) : [];
      y = withPatches(patches, () => first(l.apply(y, { training: false }) as tf.Tensor | tf.Tensor[]));
    }
    return y;
  });
}

class StopForward extends Error {}

export interface KerasRun {
  /** Layers whose outputs are captured, distinct. */
  capture: KerasLayer[];
  replace: { layer: KerasLayer; by: tf.Tensor | ((a: tf.Tensor) => tf.Tensor) } | null;
  /** Tensors added to these layers' outputs (after any replacement), for gradients with respect to many layers' outputs at once. */
  deltas?: Map<KerasLayer, tf.Tensor>;
  stopAfter: boolean;
  preSoftmax: boolean;
}

/**
 * THE layer hook: runs the model once with the listed layers' outputs captured, one replaced, and the pass
 * stopped once every captured layer has run (`stopAfter`). Returns the activations in the order of
 * `capture` and the model's first output (null when stopped), as ordinary tensors of the caller's scope.
 * A layer applied more than once is hooked at each application (the last capture wins). Sync.
 */
export function runKeras(where: string, model: tf.LayersModel, x: tf.Tensor, run: KerasRun): { activations: tf.Tensor[]; output: tf.Tensor | null } {
  const wanted = new Set<tf.layers.Layer>(run.capture);
  const captured = new Map<tf.layers.Layer, tf.Tensor>();
  const hooked = new Set<KerasLayer>(run.capture);
  if (run.replace) hooked.add(run.replace.layer);
  for (const layer of run.deltas?.keys() ?? []) hooked.add(layer);
  let output: tf.Tensor | null = null;
  const forward = () => {
    // Hooks are made here, inside the softmax patches, so that a hooked output layer keeps its patched call.
    const patches: Patch[] = [...hooked].map((layer) => {
      const original = layer.call;
      const replace = run.replace && run.replace.layer === layer ? run.replace.by : null;
      const hook = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
        let out: tf.Tensor;
        if (replace instanceof tf.Tensor) out = tf.clone(replace);
        else {
          out = first(original.call(layer, inputs, kwargs));
          // A copy of the replacement: tfjs-layers' graph runner disposes a layer's output once the layers
          // reading it have run, and the replacement may be the caller's own tensor.
          if (replace) out = tf.clone(replace(out));
        }
        const delta = run.deltas?.get(layer);
        if (delta) out = tf.add(out, delta);
        if (wanted.has(layer)) {
          // A kept copy: the model's own tidy scopes would free the layer's output.
          captured.get(layer)?.dispose();
          captured.set(layer, tf.keep(tf.clone(out)));
          if (run.stopAfter && captured.size === wanted.size) throw new StopForward();
        }
        return out;
      };
      return { obj: layer, key: 'call', value: hook };
    });
    return withPatches(patches, () => {
      if (!run.stopAfter) return first(model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]);
      try {
        tf.tidy(() => {
          model.apply(x, { training: false });
        });
      } catch (e) {
        if (!(e instanceof StopForward)) throw e;
      }
      return null;
    });
  };
  try {
    output = withPatches(run.preSoftmax ? layerSoftmaxPatches(outputLayer(model)) : [], forward);
    const missing = run.capture.filter((l) => !captured.has(l));
    if (missing.length > 0) {
      throw new LayerError(where, `layer${missing.length === 1 ? '' : 's'} ${missing.map((l) => `"${l.name}"`).join(', ')} did not run in the forward pass`);
    }
  } catch (e) {
    tf.dispose([...captured.values()]);
    output?.dispose();
    throw e;
  }
  // Ordinary tensors again, so that an enclosing tf.tidy (or tf.grad) of the caller frees them.
  const activations = run.capture.map((l) => {
    const kept = captured.get(l) as tf.Tensor;
    const out = tf.clone(kept);
    kept.dispose();
    return out;
  });
  return { activations, output };
}

function activationOf(layer: tf.layers.Layer): string {
  return activationName(layer) ?? 'linear';
}

export interface KerasCamHead {
  /** The 4-D layer whose output the GlobalAveragePooling2D averages. */
  featureLayer: string;
  /** The dense kernel `[c, K]` (the model's own variable: do not dispose). */
  kernel: tf.Tensor2D;
}

export const NO_CAM_HEAD = 'CAM needs a model that ends in GlobalAveragePooling2D → Dense (optionally with Dropout between and a softmax after); use gradCam, which works on any model';

/**
 * The GlobalAveragePooling2D → Dense head of a LayersModel, walking back from the output through a final
 * softmax (as a layer or the dense layer's activation) and Dropout layers. LayerError when absent.
 */
export function kerasCamHead(where: string, model: tf.LayersModel): KerasCamHead {
  let layer: tf.layers.Layer | null = outputLayer(model);
  const skip = (l: tf.layers.Layer | null, ok: (l: tf.layers.Layer) => boolean) => {
    while (l && ok(l)) {
      l = inboundOf(l);
      l = l ? producer(l) : null;
    }
    return l;
  };
  layer = skip(layer, (l) => l.getClassName() === 'Softmax' || (l.getClassName() === 'Activation' && ['softmax', 'linear'].includes(activationOf(l))));
  const dense = layer;
  if (!dense || dense.getClassName() !== 'Dense' || !['softmax', 'linear'].includes(activationOf(dense))) {
    const got = dense ? `${dense.getClassName()} "${dense.name}"${dense.getClassName() === 'Dense' ? ` with activation ${activationOf(dense)}` : ''}` : 'no single layer';
    throw new LayerError(where, `${NO_CAM_HEAD}; the output comes from ${got}`);
  }
  let gap = inboundOf(dense);
  gap = skip(gap ? producer(gap) : null, (l) => l.getClassName() === 'Dropout');
  if (!gap || gap.getClassName() !== 'GlobalAveragePooling2D') {
    throw new LayerError(where, `${NO_CAM_HEAD}; the dense layer "${dense.name}" is fed by ${gap ? `${gap.getClassName()} "${gap.name}"` : 'several layers'}`);
  }
  const feature = inboundOf(gap);
  if (!feature) throw new LayerError(where, `${NO_CAM_HEAD}; the pooling layer "${gap.name}" has no single input`);
  return { featureLayer: producer(feature).name, kernel: dense.getWeights()[0] as tf.Tensor2D };
}

/**
 * Applies one layer (or nested model) to concrete tensors in inference mode, without its softmax when
 * `preSoftmax` (for the model's output layer), and, with `valid`, with its padding set to 'valid' for the
 * call (incremental occlusion pads its input windows itself). Sync; the caller owns the result.
 */
export function applyLayer(layer: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], preSoftmax: boolean, valid = false): tf.Tensor {
  const patches: Patch[] = preSoftmax ? layerSoftmaxPatches(isLayersModel(layer) ? outputLayer(layer) : (layer as KerasLayer)) : [];
  if (valid) patches.push({ obj: layer, key: 'padding', value: 'valid' });
  return withPatches(patches, () => first(layer.apply(inputs, { training: false }) as tf.Tensor | tf.Tensor[]));
}

/** One application of a layer in a LayersModel's graph: the ids of the symbolic tensors it reads and writes. */
export interface KerasNode {
  layer: KerasLayer;
  inputs: number[];
  /** The shapes of the inputs (batch null). */
  inputShapes: (number | null)[][];
  output: number;
  outputShape: (number | null)[];
}

/** A LayersModel as its top-level layer applications in execution order, over symbolic tensor ids. */
export interface KerasTopology {
  input: number;
  output: number;
  nodes: KerasNode[];
}

type SymbolicRef = { id: number; shape: (number | null)[] };
type GraphNode = { inputTensors: SymbolicRef[]; outputTensors: SymbolicRef[]; inboundLayers: unknown[] };

/**
 * The top-level layer applications of a model with one input and one output, in the order the model runs
 * them (nested models appear as single layers), or why the model cannot be walked so: several inputs or
 * outputs, a layer applied more than once, a layer with several outputs.
 */
export function kerasTopology(model: tf.LayersModel): KerasTopology | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'the model has several inputs or outputs';
  const input = (model.inputs[0] as unknown as SymbolicRef).id;
  const output = (model.outputs[0] as unknown as SymbolicRef).id;
  const known = new Set<number>([input]);
  const nodes: KerasNode[] = [];
  for (const layer of model.layers as KerasLayer[]) {
    if (layer.getClassName() === 'InputLayer') continue;
    const all = ((layer as unknown as { inboundNodes?: GraphNode[] }).inboundNodes ?? []);
    const uses = all.filter((n) => n.inboundLayers.length > 0 && n.inputTensors.every((t) => known.has(t.id)));
    if (uses.length !== 1) return `layer "${layer.name}" is ${uses.length === 0 ? 'applied to tensors outside the model' : 'applied more than once'}`;
    const node = uses[0];
    if (node.outputTensors.length !== 1) return `layer "${layer.name}" has several outputs`;
    const out = node.outputTensors[0];
    known.add(out.id);
    nodes.push({ layer, inputs: node.inputTensors.map((t) => t.id), inputShapes: node.inputTensors.map((t) => t.shape), output: out.id, outputShape: out.shape });
  }
  if (!known.has(output)) return 'the walk over its layers does not reach the model output';
  return { input, output, nodes };
}
