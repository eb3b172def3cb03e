/**
 * Splitting a model at a layer into input→activation (`head`) and activation→scores (`tail`), cached per
 * model and layer. Feature visualization optimizes through `head`; methods that perturb an activation run
 * `tail` alone.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, LayerError } from '../errors';
import { applyWithoutSoftmax, ForwardOptions, forwardToLayer, forwardWithLayer } from './forward';
import { findGraphNode, findKerasLayer, modelKind } from './layers';
import type { Model } from './types';

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

const cache = new WeakMap<object, Map<string, SplitModel>>();

/** The top-level layers after `name`, when they form a simple chain from it to the output; else null. */
function chainAfter(model: tf.LayersModel, name: string): tf.layers.Layer[] | null {
  const layers = model.layers;
  const i = layers.findIndex((l) => l.name === name);
  if (i < 0) return null;
  const rest = layers.slice(i + 1);
  let prev = layers[i];
  for (const l of rest) {
    const nodes = (l as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1 || nodes[0].inboundLayers.length !== 1 || nodes[0].inboundLayers[0] !== prev) return null;
    prev = l;
  }
  const outs = model.outputs.map((o) => (o as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer);
  if (outs.length !== 1 || outs[0] !== prev) return null;
  return rest;
}

export function splitModel(model: Model, layer: string): SplitModel {
  const where = 'splitModel';
  const kind = modelKind(where, model);
  if (kind === 'function') throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel');
  let perModel = cache.get(model as object);
  if (!perModel) cache.set(model as object, (perModel = new Map()));
  const hit = perModel.get(layer);
  if (hit) return hit;

  let split: SplitModel;
  if (kind === 'graph') {
    const g = model as tf.GraphModel;
    findGraphNode(where, g, layer);
    split = {
      layer,
      needsInput: true,
      head: (x) => forwardToLayer(where, g, x, layer),
      tail: (a, x, options) => {
        if (!x) throw new InputError(where, 'tail of a GraphModel needs the input too (other paths may bypass the layer)');
        return tf.tidy(() => {
          const r = forwardWithLayer(where, g, x, layer, () => a, options);
          tf.dispose(r.activation);
          return r.scores;
        });
      },
    };
  } else {
    const m = model as tf.LayersModel;
    findKerasLayer(where, m, layer);
    const chain = chainAfter(m, layer);
    if (chain) {
      // Run the remaining layers on the activation alone. A submodel over the same layers shares weights.
      const last = chain[chain.length - 1];
      split = {
        layer,
        needsInput: false,
        head: (x) => forwardToLayer(where, m, x, layer),
        tail: (a, _x, options) => {
          const preSoftmax = options?.preSoftmax ?? true;
          return tf.tidy(() => {
            let y = a;
            for (const l of chain) {
              y = l === last && preSoftmax ? applyWithoutSoftmax(l, y) : (l.apply(y, { training: false }) as tf.Tensor);
            }
            return y.rank === 2 ? (y as tf.Tensor2D) : y.reshape([y.shape[0], -1]);
          });
        },
      };
    } else {
      split = {
        layer,
        needsInput: true,
        head: (x) => forwardToLayer(where, m, x, layer),
        tail: (a, x, options) => {
          if (!x) throw new InputError(where, `tail at "${layer}" needs the input too: other paths bypass this layer`);
          return tf.tidy(() => {
            const r = forwardWithLayer(where, m, x, layer, () => a, options);
            tf.dispose(r.activation);
            return r.scores;
          });
        },
      };
    }
  }
  perModel.set(layer, split);
  return split;
}
