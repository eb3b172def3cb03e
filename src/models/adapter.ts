/**
 * A model resolved once per call (DESIGN.md): `resolveModel(where, model)` gives a method one adapter
 * for the model it was given, with its kind, its layers with shapes, capture, split, pre-softmax scores,
 * the default CAM layer and the CAM head, so that the method never asks again what kind of model it has.
 * What is derived from a model's structure (a GraphModel's node index, splits) is cached per model; the
 * adapter itself is a cheap view that carries the public method's name for errors.
 *
 * LayersModel internals are read in keras.ts only, GraphModel internals in graph.ts only.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, LayerError, OptionError } from '../errors';
import { GraphIndex, runGraph } from './graph';
import {
  applyChain, chainAfter, findKerasLayer, kerasCamHead, kerasEndsInSoftmax, kerasInputShape, kerasLayers, KerasLayer,
  kerasShortNames, layerShape, NO_CAM_HEAD, runKeras,
} from './keras';
import { ModelKind, modelKind } from './kind';
import type { Captured, CaptureOptions, ForwardOptions, LayerInfo, ListLayersOptions, Model } from './types';

export interface SplitModel {
  layer: string;
  /** Input `[N,H,W,C]` → the layer's activation. Sync; the caller owns the result. */
  head(x: tf.Tensor4D): tf.Tensor;
  /**
   * Activation → scores `[N,K]` (pre-softmax unless `preSoftmax: false`). Sync. `x` is needed only when
   * paths that bypass the layer (skip connections, nested models) reach the output; `needsInput` says so.
   */
  tail(activation: tf.Tensor, x?: tf.Tensor4D, options?: ForwardOptions): tf.Tensor2D;
  /** True when `tail` needs the input too. */
  needsInput: boolean;
}

/** The head CAM reads its weights from (global average pooling, then a linear map to the scores). */
export interface CamHead {
  /** The layer (or node) whose 4-D output is averaged. */
  featureLayer: string;
  /** The weights of `classes` (one per item), `[N,1,1,c]`. Sync; the caller owns the result. */
  classWeights(classes: number[]): tf.Tensor4D;
}

/** A layer's activation, the gradient of an objective with respect to it, and the scores of that pass. */
export interface LayerGradient {
  activation: tf.Tensor;
  gradient: tf.Tensor;
  scores: tf.Tensor2D;
}

const NO_LAYERS = 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel';

/** What is derived from one model's structure, once. */
class Resolved {
  readonly splits = new Map<string, SplitModel>();
  private index: GraphIndex | null = null;
  constructor(readonly kind: ModelKind, readonly model: Model) {}
  graph(where: string): GraphIndex {
    if (!this.index) this.index = new GraphIndex(where, this.model as tf.GraphModel);
    return this.index;
  }
}

const resolved = new WeakMap<object, Resolved>();

/** The adapter for `model`; ModelError for something that is not a model. */
export function resolveModel(where: string, model: Model): ModelAdapter {
  let r = resolved.get(model as object);
  if (!r) {
    r = new Resolved(modelKind(where, model), model);
    resolved.set(model as object, r);
  }
  return new ModelAdapter(where, r);
}

/** Scores as `[N,K]`: a rank-1 output becomes `[N,1]`, higher ranks are flattened per item. */
function asMatrix(where: string, y: tf.Tensor, n: number): tf.Tensor2D {
  if (y.rank === 0 || y.shape[0] !== n) {
    throw new InputError(where, `the model returned shape [${y.shape}] for a batch of ${n}; expected [${n}, K]`);
  }
  return y.rank === 2 ? (y as tf.Tensor2D) : y.reshape([n, -1]);
}

function checkSize(where: string, size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || size.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new OptionError(where, `inputSize must be [height, width] with positive integers, got ${JSON.stringify(size)}`);
  }
  return [size[0], size[1]];
}

export class ModelAdapter {
  constructor(readonly where: string, private readonly r: Resolved) {}

  get kind(): ModelKind {
    return this.r.kind;
  }

  get model(): Model {
    return this.r.model;
  }

  private get keras(): tf.LayersModel {
    return this.r.model as tf.LayersModel;
  }

  private get graph(): tf.GraphModel {
    return this.r.model as tf.GraphModel;
  }

  private index(): GraphIndex {
    return this.r.graph(this.where);
  }

  /** LayerError for a plain function, which has no layers. */
  requireLayers(): void {
    if (this.kind === 'function') throw new LayerError(this.where, NO_LAYERS);
  }

  /** The input shape `[null, H, W, C]` with nulls for open sizes; null for a plain function. */
  inputShape(): (number | null)[] | null {
    if (this.kind === 'layers') return kerasInputShape(this.keras);
    if (this.kind === 'graph') return this.index().inputShape();
    return null;
  }

  /** `[H, W]` when the model's input size is fixed, else null. */
  private fixedSize(): [number, number] | null {
    const s = this.inputShape();
    return s && s.length === 4 && s[1] !== null && s[2] !== null ? [s[1], s[2]] : null;
  }

  /** The layers (LayersModel, nested flattened) or op nodes (GraphModel) with output shapes. */
  layers(options: ListLayersOptions = {}): LayerInfo[] {
    if (this.kind === 'layers') {
      const short = kerasShortNames(this.keras);
      return kerasLayers(this.keras).map(({ layer, path }) => ({
        name: layer.name, shortName: short.get(layer) as string, className: layer.getClassName(), outputShape: layerShape(layer), path,
      }));
    }
    if (this.kind === 'graph') {
      const index = this.index();
      const size = this.fixedSize() ?? (options.inputSize === undefined ? null : checkSize(this.where, options.inputSize));
      const shapes = size ? index.probeShapes(this.where, size) : null;
      return index.listed.map((n) => {
        const s = shapes?.get(n.name);
        return { name: n.name, shortName: index.shortName(n.name), className: n.op, outputShape: s ? [null, ...s.slice(1)] : null, path: [] };
      });
    }
    return [];
  }

  /** The model's own name for a layer (a GraphModel's full node name for a short one). */
  resolveLayer(name: string): string {
    this.requireLayers();
    if (this.kind === 'layers') return kerasShortNames(this.keras).get(findKerasLayer(this.where, this.keras, name)) as string;
    return this.index().resolve(this.where, name);
  }

  /**
   * The output shape of a layer for input `x` as far as it is known without running the model: a
   * LayersModel's static shape (batch and open sizes null), a GraphModel node's shape from the cached
   * probe at `x`'s size. Null when unknown.
   */
  outputShapeAt(layer: string, x: tf.Tensor4D): (number | null)[] | null {
    if (this.kind === 'layers') return layerShape(findKerasLayer(this.where, this.keras, layer));
    if (this.kind === 'graph') {
      const s = this.index().probeShapes(this.where, [x.shape[1], x.shape[2]])?.get(layer);
      return s ? [null, ...s.slice(1)] : null;
    }
    return null;
  }

  /** See `capture` (capture.ts). */
  capture(x: tf.Tensor, options: CaptureOptions): Captured {
    const where = this.where;
    this.requireLayers();
    if (options === null || typeof options !== 'object') throw new OptionError(where, `capture options must be an object {layers, replace?, stopAfter?}, got ${JSON.stringify(options)}`);
    const names = options.layers;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
      throw new OptionError(where, `layers must be an array of layer names, got ${JSON.stringify(names)}`);
    }
    const stopAfter = options.stopAfter ?? false;
    if (typeof stopAfter !== 'boolean') throw new OptionError(where, `stopAfter must be true or false, got ${JSON.stringify(stopAfter)}`);
    if (stopAfter && names.length === 0) throw new OptionError(where, 'stopAfter needs at least one layer in layers (the pass stops once they have run)');
    const replace = options.replace;
    if (replace !== undefined && (replace === null || typeof replace.layer !== 'string' || !(replace.by instanceof tf.Tensor || typeof replace.by === 'function'))) {
      throw new OptionError(where, 'replace must be {layer: name, by: tensor or (activation) => tensor}');
    }
    if (!(x instanceof tf.Tensor) || x.isDisposed) throw new InputError(where, 'input must be a tf.Tensor that is not disposed');
    const canonical = names.map((n) => this.resolveLayer(n));
    const dup = canonical.find((n, i) => canonical.indexOf(n) !== i);
    if (dup !== undefined) throw new OptionError(where, `layers lists "${names[canonical.indexOf(dup)]}" more than once`);
    const preSoftmax = options.preSoftmax ?? true;
    let run: { activations: tf.Tensor[]; output: tf.Tensor | null };
    if (this.kind === 'layers') {
      const layers = canonical.map((n) => findKerasLayer(where, this.keras, n));
      const r = replace ? { layer: findKerasLayer(where, this.keras, replace.layer) as KerasLayer, by: replace.by } : null;
      run = runKeras(where, this.keras, x, { capture: layers, replace: r, stopAfter, preSoftmax });
    } else {
      const index = this.index();
      const r = replace ? { node: index.resolve(where, replace.layer), by: replace.by } : null;
      run = runGraph(this.graph, index, x, { capture: canonical, replace: r, output: stopAfter ? null : index.scoresNode(preSoftmax) });
    }
    try {
      return { activations: run.activations, scores: run.output ? asMatrix(where, run.output, x.shape[0]) : null };
    } catch (e) {
      tf.dispose([...run.activations, ...(run.output ? [run.output] : [])]);
      throw e;
    }
  }

  /** Scores `[N,K]` (pre-softmax by default). Sync, for use inside tf.grad and tf.tidy. */
  scores(x: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    if (this.kind === 'function') return asMatrix(this.where, (this.r.model as (x: tf.Tensor4D) => tf.Tensor)(x), x.shape[0]);
    return this.capture(x, { layers: [], preSoftmax: options.preSoftmax }).scores as tf.Tensor2D;
  }

  /** True when the model's output is a softmax (what `preSoftmax` removes). */
  endsInSoftmax(): boolean {
    if (this.kind === 'layers') return kerasEndsInSoftmax(this.keras);
    if (this.kind === 'graph') return this.index().endsInSoftmax();
    return false;
  }

  /**
   * The model split at a layer into input → activation (`head`, which stops the pass at the layer) and
   * activation → scores (`tail`), cached per model and layer. The tail runs only what follows the layer
   * when nothing bypasses it: the remaining chain of a LayersModel, the fed remainder of a GraphModel.
   */
  split(layer: string): SplitModel {
    const name = this.resolveLayer(layer);
    const hit = this.r.splits.get(name);
    if (hit) return hit;
    const where = 'splitModel';
    const head = (x: tf.Tensor4D) => resolveModel(where, this.model).capture(x, { layers: [name], stopAfter: true, preSoftmax: false }).activations[0];
    let split: SplitModel;
    const chain = this.kind === 'layers' ? chainAfter(this.keras, name) : null;
    if (chain) {
      split = {
        layer: name, needsInput: false, head,
        tail: (a, _x, options) => tf.tidy(() => asMatrix(where, applyChain(chain, a, options?.preSoftmax ?? true), a.shape[0])),
      };
    } else if (this.kind === 'graph') {
      const index = this.index();
      const needsInput = index.bypasses(name, true);
      split = {
        layer: name, needsInput, head,
        tail: (a, x, options) => {
          if (needsInput && !x) throw new InputError(where, `tail at "${layer}" needs the input too: other paths bypass this node`);
          return tf.tidy(() => {
            const r = runGraph(this.graph, index, needsInput ? (x as tf.Tensor4D) : null, { capture: [], replace: { node: name, by: a }, output: index.scoresNode(options?.preSoftmax ?? true) });
            return asMatrix(where, r.output as tf.Tensor, a.shape[0]);
          });
        },
      };
    } else {
      split = {
        layer: name, needsInput: true, head,
        tail: (a, x, options) => {
          if (!x) throw new InputError(where, `tail at "${layer}" needs the input too: other paths bypass this layer`);
          return tf.tidy(() => resolveModel(where, this.model).capture(x, { layers: [], replace: { layer: name, by: a }, preSoftmax: options?.preSoftmax }).scores as tf.Tensor2D);
        },
      };
    }
    this.r.splits.set(name, split);
    return split;
  }

  /**
   * The layer CAM methods use when none is named. LayersModel: the last layer, in execution order with
   * nested models flattened, whose output is 4-D. GraphModel: the last node the scores depend on whose
   * output is a spatial feature map at `x`'s size (or the fixed input size); see GraphIndex.defaultCamNode.
   */
  defaultCamLayer(x?: tf.Tensor4D): string {
    if (this.kind === 'function') throw new LayerError(this.where, `${NO_LAYERS} to use a layer method`);
    if (this.kind === 'layers') {
      const layers = kerasLayers(this.keras).filter((e) => !e.nested);
      for (let i = layers.length - 1; i >= 0; i--) {
        const s = layerShape(layers[i].layer);
        if (s && s.length === 4) return layers[i].layer.name;
      }
      throw new LayerError(this.where, `no layer with a 4-D output; layers: ${layers.map((e) => `${e.layer.name} ${JSON.stringify(layerShape(e.layer))}`).join(', ')}`);
    }
    const size = x ? ([x.shape[1], x.shape[2]] as [number, number]) : this.fixedSize();
    if (!size) throw new LayerError(this.where, 'this GraphModel takes any input size: pass an input (or name the layer, option `layer`) to find its default CAM layer; see listLayers(model, {inputSize})');
    const shapes = this.index().probeShapes(this.where, size);
    if (!shapes) throw new LayerError(this.where, 'the number of input channels of this GraphModel is unknown; name the layer (option `layer`)');
    return this.index().defaultCamNode(this.where, shapes, true);
  }

  /** The global-average-pooling → linear head that CAM reads its weights from; LayerError when absent. */
  async camHead(): Promise<CamHead> {
    if (this.kind === 'function') throw new LayerError(this.where, `${NO_CAM_HEAD}; got a plain function`);
    if (this.kind === 'layers') {
      const { featureLayer, kernel } = kerasCamHead(this.where, this.keras);
      return { featureLayer, classWeights: (classes) => classWeights(kernel, classes) };
    }
    const head = await this.index().camHead(this.where);
    return {
      featureLayer: head.featureNode,
      classWeights: (classes) => tf.tidy(() => classWeights(head.kernel(), classes)),
    };
  }

  /**
   * LayersModel only: the outputs of `layers` (their shapes and values at x), and in one backward pass
   * ∂objective/∂x and ∂objective/∂(each layer's output). `objective` maps the scores to a scalar and must
   * not throw. Sync; the caller owns every tensor returned.
   */
  outputGradients(x: tf.Tensor4D, layers: string[], objective: (scores: tf.Tensor2D) => tf.Scalar, options: ForwardOptions = {}): { activations: tf.Tensor[]; inputGradient: tf.Tensor4D; gradients: tf.Tensor[] } {
    if (this.kind !== 'layers') throw new LayerError(this.where, 'output gradients of several layers need a tf.LayersModel');
    const found = layers.map((n) => findKerasLayer(this.where, this.keras, n));
    const preSoftmax = options.preSoftmax ?? true;
    const activations = tf.tidy(() => runKeras(this.where, this.keras, x, { capture: found, replace: null, stopAfter: true, preSoftmax }).activations);
    try {
      const grads = tf.tidy(() => tf.grads((...args: tf.Tensor[]) => {
        const deltas = new Map(found.map((l, i) => [l, args[i + 1]] as [KerasLayer, tf.Tensor]));
        const out = runKeras(this.where, this.keras, args[0], { capture: [], replace: null, deltas, stopAfter: false, preSoftmax }).output as tf.Tensor;
        return objective(asMatrix(this.where, out, x.shape[0]));
      })([x, ...activations.map((a) => tf.zerosLike(a))]));
      return { activations, inputGradient: grads[0] as tf.Tensor4D, gradients: grads.slice(1) };
    } catch (e) {
      tf.dispose(activations);
      throw e;
    }
  }

  /**
   * A layer's activation A, ∂objective/∂A and the scores, from one forward pass: the head runs once
   * without recording gradients, the tail runs on A under tf.grad (so the backward pass covers the tail
   * only). A GraphModel's head also yields the nodes that skip paths around the layer read, fed to the tail
   * with A. Where paths bypass the layer of a LayersModel (skip connections, nested models), one pass with
   * a zero `delta` added to A at the layer gives the same in one forward pass (the backward pass still
   * covers only what lies between the layer and the scores). `objective` maps the scores to a scalar and must not
   * throw (tensors saved for the backward pass would leak). Sync; the three tensors are kept: the caller
   * disposes them.
   */
  layerGradient(x: tf.Tensor4D, layer: string, objective: (scores: tf.Tensor2D) => tf.Scalar, options: ForwardOptions = {}): LayerGradient {
    const split = this.split(layer);
    let activation: tf.Tensor | null = null;
    let scores: tf.Tensor2D | null = null;
    const side: tf.Tensor[] = [];
    try {
      let gradient: tf.Tensor;
      if (this.kind === 'graph') {
        // One execution to the node and to the nodes a skip path around it reads; the tail is fed them all.
        const index = this.index();
        const name = split.layer;
        const preSoftmax = options.preSoftmax ?? true;
        const frontier = index.frontier(name, preSoftmax);
        const fetched = tf.tidy(() => runGraph(this.graph, index, x, { capture: [name, ...frontier], replace: null, output: null }).activations);
        activation = tf.keep(fetched[0]);
        side.push(...fetched.slice(1).map((t) => tf.keep(t)));
        const a = activation;
        const feeds: tf.NamedTensorMap = Object.fromEntries(frontier.map((n, i) => [n, side[i]]));
        gradient = tf.keep(tf.tidy(() => tf.grad((ai: tf.Tensor) => {
          const r = runGraph(this.graph, index, null, { capture: [], replace: { node: name, by: ai }, output: index.scoresNode(preSoftmax), feeds });
          const s = asMatrix(this.where, r.output as tf.Tensor, x.shape[0]);
          scores = tf.keep(tf.clone(s));
          return objective(s);
        })(a)));
      } else if (!split.needsInput) {
        activation = tf.keep(tf.tidy(() => split.head(x)));
        const a = activation;
        gradient = tf.keep(tf.tidy(() => tf.grad((ai: tf.Tensor) => {
          const s = split.tail(ai, x, options);
          scores = tf.keep(tf.clone(s));
          return objective(s);
        })(a)));
      } else {
        const name = split.layer;
        const s = layerShape(findKerasLayer(this.where, this.keras, name));
        const shape = s && s.slice(1).every((d) => d !== null) ? [x.shape[0], ...(s.slice(1) as number[])] : tf.tidy(() => split.head(x).shape);
        gradient = tf.keep(tf.tidy(() => tf.grad((d: tf.Tensor) => {
          const c = this.capture(x, { layers: [name], replace: { layer: name, by: (t) => tf.add(t, d) }, preSoftmax: options.preSoftmax });
          activation = tf.keep(c.activations[0]);
          scores = tf.keep(c.scores as tf.Tensor2D);
          return objective(c.scores as tf.Tensor2D);
        })(tf.zeros(shape))));
      }
      return { activation: activation as unknown as tf.Tensor, gradient, scores: scores as unknown as tf.Tensor2D };
    } catch (e) {
      tf.dispose([activation, scores].filter((t): t is tf.Tensor => t !== null));
      throw e;
    } finally {
      tf.dispose(side);
    }
  }
}

/** `[N,1,1,c]` weights of one class per item from a `[c, K]` kernel. Sync; the caller owns the result. */
function classWeights(kernel: tf.Tensor2D, classes: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.reshape(tf.transpose(tf.gather(kernel, classes, 1)), [classes.length, 1, 1, kernel.shape[0]]) as tf.Tensor4D);
}
