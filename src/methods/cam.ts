/**
 * Class activation mapping (Zhou et al. 2016, "Learning Deep Features for Discriminative Localization"):
 * for a network whose head is global average pooling then a dense layer, the class score is
 * y_k = Σ_c W[c,k] · mean_ij A_c(i,j) + b_k, so the map
 *
 *   M_k(i,j) = Σ_c W[c,k] A_c(i,j)
 *
 * is the class score spread over the positions of A (its mean plus b_k is y_k). A is the 4-D activation
 * that enters the GlobalAveragePooling2D layer. No gradients are needed; on such a network it equals
 * Grad-CAM without ReLU times h·w. As in the paper there is no ReLU by default (`relu`, default false);
 * upsampling is bilinear at half-pixel centres.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, TargetError } from '../errors';
import { isLayersModel } from '../models/layers';
import type { Model } from '../models/types';
import { CamLayer, CamOptions, CamVariant, fixedLayerCamOptions, resolveCamLayer, runCam } from './cam-pipeline';

export interface CamMethodOptions extends Omit<CamOptions, 'layer' | 'relu'> {
  /** Keep only positive evidence, `max(0, map)`. Default false, as in the paper. */
  relu?: boolean;
}

/** cam's own defaults (besides target and preSoftmax): no ReLU, as in the paper (the map's mean plus the bias is the class score). */
export const CAM_METHOD_DEFAULTS = { relu: false, upsample: true };

export const CAM_METHOD_OPTIONS = fixedLayerCamOptions(CAM_METHOD_DEFAULTS);

type LayerNode = tf.layers.Layer & { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] };

/** The one layer feeding `layer`, or null when it has several inputs, several uses or none. */
function inboundOf(layer: tf.layers.Layer): tf.layers.Layer | null {
  const nodes = (layer as LayerNode).inboundNodes;
  if (!nodes || nodes.length !== 1 || nodes[0].inboundLayers.length !== 1) return null;
  return nodes[0].inboundLayers[0];
}

/** The innermost layer producing a model's (first) output. */
function producer(layer: tf.layers.Layer): tf.layers.Layer {
  if (isLayersModel(layer)) return producer((layer.outputs[0] as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer);
  return layer;
}

function activationOf(layer: tf.layers.Layer): string {
  const a = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return a ? a.getClassName() : 'linear';
}

export interface CamHead {
  /** The 4-D layer whose output the GlobalAveragePooling2D averages. */
  featureLayer: string;
  gap: string;
  dense: tf.layers.Layer;
}

const NO_HEAD = 'CAM needs a model that ends in GlobalAveragePooling2D → Dense (optionally with Dropout between and a softmax after); use gradCam, which works on any model';

/**
 * Finds the GlobalAveragePooling2D → Dense head of a LayersModel, walking back from the output through a
 * final softmax (as a layer or the dense layer's activation) and Dropout layers. LayerError when absent.
 */
export function findCamHead(where: string, model: Model): CamHead {
  if (!isLayersModel(model)) throw new LayerError(where, `${NO_HEAD}; got a ${typeof model === 'function' ? 'plain function' : 'GraphModel'}`);
  const seen: string[] = [];
  let layer: tf.layers.Layer | null = producer((model.outputs[0] as unknown as { sourceLayer: tf.layers.Layer }).sourceLayer);
  const skip = (l: tf.layers.Layer | null, ok: (l: tf.layers.Layer) => boolean) => {
    while (l && ok(l)) {
      seen.push(l.getClassName());
      l = inboundOf(l);
      l = l ? producer(l) : null;
    }
    return l;
  };
  layer = skip(layer, (l) => l.getClassName() === 'Softmax' || (l.getClassName() === 'Activation' && ['softmax', 'linear'].includes(activationOf(l))));
  const dense = layer;
  if (!dense || dense.getClassName() !== 'Dense' || !['softmax', 'linear'].includes(activationOf(dense))) {
    const got = dense ? `${dense.getClassName()} "${dense.name}"${dense.getClassName() === 'Dense' ? ` with activation ${activationOf(dense)}` : ''}` : 'no single layer';
    throw new LayerError(where, `${NO_HEAD}; the output comes from ${got}`);
  }
  let gap = inboundOf(dense);
  gap = skip(gap ? producer(gap) : null, (l) => l.getClassName() === 'Dropout');
  if (!gap || gap.getClassName() !== 'GlobalAveragePooling2D') {
    throw new LayerError(where, `${NO_HEAD}; the dense layer "${dense.name}" is fed by ${gap ? `${gap.getClassName()} "${gap.name}"` : 'several layers'}`);
  }
  const feature = inboundOf(gap);
  if (!feature) throw new LayerError(where, `${NO_HEAD}; the pooling layer "${gap.name}" has no single input`);
  return { featureLayer: producer(feature).name, gap: gap.name, dense };
}

/**
 * CAM map for a GlobalAveragePooling2D → Dense model, `[N,H,W]` (or `[N,h,w]` with `upsample: false`).
 * The caller owns the result. LayerError when the model has no such head.
 *
 * Options: CAM_METHOD_OPTIONS; `target` must be class indices, and `preSoftmax` only affects the default
 * target's tie-breaking.
 */
export async function cam(model: Model, input: tf.Tensor4D, options: CamMethodOptions = {}): Promise<tf.Tensor3D> {
  const where = 'cam';
  if (typeof options.target === 'function') {
    throw new TargetError(where, 'CAM needs class indices (a number or one per item): it reads the dense weights of a class, so a target function cannot be used');
  }
  const head = findCamHead(where, model);
  const kernel = head.dense.getWeights()[0];
  const fixedLayer = (x: tf.Tensor4D): CamLayer => resolveCamLayer(where, model, x, head.featureLayer);
  const variant: CamVariant = {
    needsGradient: false,
    weigh: ({ target, activation }) =>
      tf.tidy(() => {
        const classes = target as number[];
        const c = activation.shape[3];
        return tf.reshape(tf.transpose(tf.gather(kernel, classes, 1)), [classes.length, 1, 1, c]) as tf.Tensor4D;
      }),
  };
  return runCam(where, variant, model, input, options, fixedLayer, CAM_METHOD_OPTIONS);
}
