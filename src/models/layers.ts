/**
 * Layer listing and lookup for LayersModel (with nested models flattened) and GraphModel (nodes).
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, ModelError, UnknownLayerError } from '../errors';
import type { LayerInfo, Model } from './types';

/** tfjs-layers' Layer as we use it: `call` is what a model's graph runner invokes for each node. */
export type KerasLayer = tf.layers.Layer & {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
};

export function isLayersModel(m: unknown): m is tf.LayersModel {
  return m instanceof tf.LayersModel || (typeof m === 'object' && m !== null && Array.isArray((m as tf.LayersModel).layers) && typeof (m as tf.LayersModel).apply === 'function');
}

export function isGraphModel(m: unknown): m is tf.GraphModel {
  return m instanceof tf.GraphModel || (typeof m === 'object' && m !== null && typeof (m as tf.GraphModel).execute === 'function' && 'modelVersion' in (m as object));
}

export function modelKind(where: string, m: unknown): 'layers' | 'graph' | 'function' {
  if (isLayersModel(m)) return 'layers';
  if (isGraphModel(m)) return 'graph';
  if (typeof m === 'function') return 'function';
  throw new ModelError(where, `unsupported model ${describe(m)}; expected a tf.LayersModel, a tf.GraphModel or a function (x) => scores`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `of type ${(v as object).constructor?.name ?? 'object'}`;
  return `of type ${typeof v}`;
}

function shapeOf(layer: tf.layers.Layer): (number | null)[] | null {
  try {
    const s = layer.outputShape as unknown;
    if (Array.isArray(s) && (s.length === 0 || !Array.isArray(s[0]))) return s as (number | null)[];
    if (Array.isArray(s)) return s[0] as (number | null)[];
  } catch {
    // Layers applied more than once have no single output shape.
  }
  return null;
}

/** A nested LayersModel used as a layer of another. */
function asNested(layer: tf.layers.Layer): tf.LayersModel | null {
  return isLayersModel(layer) ? layer : null;
}

/** Layers in the order the model runs them; nested models appear, followed by their own layers. */
export function kerasLayers(model: tf.LayersModel): { layer: KerasLayer; path: string[] }[] {
  const out: { layer: KerasLayer; path: string[] }[] = [];
  const walk = (m: tf.LayersModel, path: string[]) => {
    for (const layer of m.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      out.push({ layer: layer as KerasLayer, path });
      const inner = asNested(layer);
      if (inner) walk(inner, [...path, layer.name]);
    }
  };
  walk(model, []);
  return out;
}

interface GraphNode {
  name: string;
  op: string;
  attrParams?: Record<string, { value?: unknown }>;
  rawAttrs?: Record<string, unknown>;
  inputs: GraphNode[];
  inputNames?: string[];
}

/** The executor graph of a GraphModel (not public API in tfjs-converter; read defensively). */
export function graphNodes(model: tf.GraphModel): GraphNode[] {
  const executor = (model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNode> } } }).executor;
  const nodes = executor?.graph?.nodes;
  if (!nodes) throw new ModelError('listLayers', 'this GraphModel exposes no graph (load it with tf.loadGraphModel)');
  return Object.values(nodes);
}

const GRAPH_SKIP_OPS = new Set(['Const', 'Placeholder', 'Identity', 'NoOp']);

/** Lists the layers (LayersModel) or op nodes (GraphModel, constants left out) of a model. */
export function listLayers(model: Model): LayerInfo[] {
  const kind = modelKind('listLayers', model);
  if (kind === 'layers') {
    return kerasLayers(model as tf.LayersModel).map(({ layer, path }) => ({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: shapeOf(layer),
      path,
    }));
  }
  if (kind === 'graph') {
    return graphNodes(model as tf.GraphModel)
      .filter((n) => !GRAPH_SKIP_OPS.has(n.op))
      .map((n) => ({ name: n.name, className: n.op, outputShape: null, path: [] }));
  }
  return [];
}

/** Finds a layer of a LayersModel by name at any depth; UnknownLayerError lists the names. */
export function findKerasLayer(where: string, model: tf.LayersModel, name: string): KerasLayer {
  const all = kerasLayers(model);
  const hit = all.find((e) => e.layer.name === name);
  if (!hit) throw new UnknownLayerError(where, name, all.map((e) => e.layer.name));
  return hit.layer;
}

/** Checks that a GraphModel has a node of that name. */
export function findGraphNode(where: string, model: tf.GraphModel, name: string): GraphNode {
  const nodes = graphNodes(model);
  const hit = nodes.find((n) => n.name === name);
  if (!hit) throw new UnknownLayerError(where, name, nodes.filter((n) => !GRAPH_SKIP_OPS.has(n.op)).map((n) => n.name));
  return hit;
}

/**
 * The layer CAM methods use when none is named: the last layer, in execution order and with nested models
 * flattened, whose output is 4-D (`[N,h,w,c]`). For a VGG-style network that is the last convolution or
 * pooling block before global pooling / flatten. For a GraphModel, the last node whose output is 4-D on a
 * probe input (pass `probe`, one input batch, for that).
 */
export function defaultCamLayer(where: string, model: Model, probe?: tf.Tensor4D): string {
  const kind = modelKind(where, model);
  if (kind === 'function') {
    throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel to use a layer method');
  }
  if (kind === 'layers') {
    const layers = kerasLayers(model as tf.LayersModel).filter((e) => !asNested(e.layer));
    for (let i = layers.length - 1; i >= 0; i--) {
      const s = shapeOf(layers[i].layer);
      if (s && s.length === 4) return layers[i].layer.name;
    }
    throw new LayerError(where, `no layer with a 4-D output; layers: ${layers.map((e) => `${e.layer.name} ${JSON.stringify(shapeOf(e.layer))}`).join(', ')}`);
  }
  const g = model as tf.GraphModel;
  if (!probe) throw new LayerError(where, 'a GraphModel needs the layer named explicitly (option `layer`); see listLayers(model)');
  const nodes = graphNodes(g).filter((n) => !GRAPH_SKIP_OPS.has(n.op));
  const outs = tf.tidy(() => {
    const r = g.execute(probe, nodes.map((n) => n.name));
    return (Array.isArray(r) ? r : [r]).map((t) => t.rank);
  });
  for (let i = nodes.length - 1; i >= 0; i--) if (outs[i] === 4) return nodes[i].name;
  throw new LayerError(where, 'no node with a 4-D output in this GraphModel');
}

/** The output shape of a named layer (LayersModel), for checks such as "CAM needs 4-D". */
export function layerOutputShape(layer: tf.layers.Layer): (number | null)[] | null {
  return shapeOf(layer);
}
