/**
 * Activation maximization (Erhan et al. 2009; Simonyan et al. 2014 for classes; Olah et al. 2017 "Feature
 * Visualization" for transforms and the Fourier parameterization): start from seeded noise (or a given
 * image) and ascend the gradient of one channel's mean activation, one unit's activation, or one class's
 * pre-softmax score, with L2 and total-variation penalties, random jitter, zoom and rotation, and periodic
 * blur. The filter gallery does the same for many channels at once, one batch item per channel.
 *
 * Departures: the objective of a channel is its mean over positions (Lucid's `channel`); a `unit` of a
 * convolutional layer is that channel at the center position (Lucid's `neuron`). Class scores are taken
 * before a final softmax, as in Simonyan et al. (maximizing the probability mostly lowers other classes).
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { LayerError, OptionError, TargetError } from '../errors';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { checkInput, checkModel } from './common';
import { optimizeImage } from './optimize/loop';
import { createParameterization, ImageParameterization } from './optimize/parameterization';
import { fromModelInput } from './optimize/preprocess';
import { createRng, Rng } from './optimize/rng';
import { checkLayer, layerHead, OptimizeOptions, probeShape, ResolvedOptimizeOptions, resolveOptimizeOptions } from './optimize/setup';

export interface ActivationMaximizationOptions extends OptimizeOptions {
  /** The layer whose channel or unit is maximized; not needed for `classIndex`. */
  layer?: string;
  /** Maximize the mean activation of this channel (last axis) of `layer`. */
  channel?: number;
  /** Maximize this unit: of a dense layer, that output; of a convolutional layer, that channel at the center. */
  unit?: number;
  /** Maximize this class's pre-softmax score (the model's output). */
  classIndex?: number;
  /** Start from this image (model input, `[1,H,W,C]`) instead of noise. */
  init?: tf.Tensor4D;
}

interface Objective {
  objective: (x: tf.Tensor4D) => { value: tf.Tensor1D };
  release?: () => void;
}

/** `what` names the counted things, e.g. `layer "conv1" has 8 channels`. */
function checkIndex(where: string, name: string, v: number, count: number, what: string, ErrorType: typeof OptionError): number {
  if (!Number.isInteger(v) || v < 0 || v >= count) {
    throw new ErrorType(where, `${name} ${JSON.stringify(v)} is out of range: ${what} (valid: 0 to ${count - 1})`);
  }
  return v;
}

/** The objective for one target; checked against the model by one probe forward pass. */
function buildObjective(where: string, model: Model, o: ActivationMaximizationOptions, r: ResolvedOptimizeOptions): Objective {
  const given = (['channel', 'unit', 'classIndex'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw new OptionError(where, `give exactly one of channel, unit, classIndex${given.length ? `; got ${given.join(', ')}` : ''}`);
  }
  const shape: [number, number, number] = [r.height, r.width, r.channels];
  if (o.classIndex !== undefined) {
    const k = tf.tidy(() => forwardScores(where, model, tf.zeros([1, ...shape]) as tf.Tensor4D).shape[1]);
    if (o.layer !== undefined) throw new OptionError(where, `layer ${JSON.stringify(o.layer)} is not used with classIndex (the class score is the model's output); drop one`);
    const c = checkIndex(where, 'classIndex', o.classIndex, k, `the model has ${k} outputs`, TargetError);
    return { objective: (x) => ({ value: tf.reshape(tf.slice(forwardScores(where, model, x, { preSoftmax: true }), [0, c], [-1, 1]), [-1]) as tf.Tensor1D }) };
  }
  const layer = checkLayer(where, model, o.layer);
  const head = layerHead(model, layer);
  const aShape = probeShape(head, shape);
  const count = aShape[aShape.length - 1];
  if (aShape.length !== 2 && aShape.length !== 4) {
    throw new LayerError(where, `layer "${layer}" has output shape [${aShape}]; expected [N,units] or [N,H,W,C]`);
  }
  if (o.channel !== undefined) {
    const c = checkIndex(where, 'channel', o.channel, count, `layer "${layer}" has ${count} channels`, OptionError);
    const objective = (x: tf.Tensor4D) => {
      const a = head(x);
      const col = a.rank === 4 ? tf.mean(tf.slice(a, [0, 0, 0, c], [-1, -1, -1, 1]), [1, 2, 3]) : tf.slice(a, [0, c], [-1, 1]);
      return { value: tf.reshape(col, [-1]) as tf.Tensor1D };
    };
    return { objective, release: head.release };
  }
  const u = checkIndex(where, 'unit', o.unit as number, count, `layer "${layer}" has ${count} ${aShape.length === 4 ? 'channels' : 'units'}`, OptionError);
  const objective = (x: tf.Tensor4D) => {
    const a = head(x);
    const [, h, w] = a.shape as number[];
    const begin = a.rank === 4 ? [0, Math.floor(h / 2), Math.floor(w / 2), u] : [0, u];
    const size = a.rank === 4 ? [-1, 1, 1, 1] : [-1, 1];
    return { value: tf.reshape(tf.slice(a, begin, size), [-1]) as tf.Tensor1D };
  };
  return { objective, release: head.release };
}

/** Starting parameters: the given image (model input, one item) or seeded noise. The caller owns them. */
async function startParams(where: string, model: Model, init: unknown, r: ResolvedOptimizeOptions, rng: Rng, param: ImageParameterization): Promise<tf.Tensor> {
  if (init === undefined) return param.random(rng, r.noise);
  const x = await checkInput(where, model, init);
  if (x.shape[0] !== 1 || x.shape[1] !== r.height || x.shape[2] !== r.width || x.shape[3] !== r.channels) {
    throw new OptionError(where, `init must have shape [1,${r.height},${r.width},${r.channels}], got [${x.shape}]`);
  }
  return tf.tidy(() => param.fromImage(fromModelInput(x, r.preprocess)));
}

/**
 * Optimizes an input that maximizes a channel, unit or class of `model`. Returns `[1,H,W,C]` in the
 * model's input range (per `preprocess`); the caller owns it. Options: see ActivationMaximizationOptions
 * and OptimizeOptions (defaults there).
 */
export async function activationMaximization(model: Model, options: ActivationMaximizationOptions): Promise<tf.Tensor4D> {
  const where = 'activationMaximization';
  await ready();
  checkModel(where, model);
  if (options === null || typeof options !== 'object') throw new OptionError(where, 'options must be an object with layer and channel, unit or classIndex');
  const r = resolveOptimizeOptions(where, model, options);
  const { objective, release } = buildObjective(where, model, options, r);
  const rng = createRng(r.seed);
  const param = createParameterization(r.parameterization, [1, r.height, r.width, r.channels]);
  try {
    const initial = await startParams(where, model, options.init, r, rng, param);
    return await optimizeImage({ where, param, initial, objective, release, rng, ...r });
  } finally {
    param.dispose();
  }
}

export interface FilterGalleryOptions extends OptimizeOptions {
  /** The channels to visualize, one image each. Default: every channel of the layer. */
  channels?: number[];
}

/**
 * Visualizes many channels of one layer at once: one batch item per channel, all optimized together (each
 * item's objective depends on its own image only). Returns `[channels.length,H,W,C]` in the model's input
 * range, in the order of `channels`; the caller owns it. `objective` in `onStep` is the mean over channels.
 */
export async function filterGallery(model: Model, layer: string, options: FilterGalleryOptions = {}): Promise<tf.Tensor4D> {
  const where = 'filterGallery';
  await ready();
  checkModel(where, model);
  const name = checkLayer(where, model, layer);
  const r = resolveOptimizeOptions(where, model, options);
  const head = layerHead(model, name);
  const aShape = probeShape(head, [r.height, r.width, r.channels]);
  if (aShape.length !== 4 && aShape.length !== 2) {
    throw new LayerError(where, `layer "${name}" has output shape [${aShape}]; expected [N,units] or [N,H,W,C]`);
  }
  const count = aShape[aShape.length - 1];
  const channels = options.channels ?? Array.from({ length: count }, (_, i) => i);
  if (!Array.isArray(channels) || channels.length === 0) throw new OptionError(where, `channels must be a non-empty array of channel indices, got ${JSON.stringify(options.channels)}`);
  channels.forEach((c, i) => checkIndex(where, `channels[${i}]`, c, count, `layer "${name}" has ${count} channels`, OptionError));
  const n = channels.length;
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(channels, 'int32'), count).toFloat());
  const rng = createRng(r.seed);
  const param = createParameterization(r.parameterization, [n, r.height, r.width, r.channels]);
  try {
    const objective = (x: tf.Tensor4D) => {
      const a = head(x);
      const perChannel = a.rank === 4 ? tf.mean(a, [1, 2]) : a;
      return { value: tf.sum(tf.mul(perChannel, oneHot), 1) as tf.Tensor1D };
    };
    const initial = param.random(rng, r.noise);
    return await optimizeImage({ where, param, initial, objective, release: head.release, rng, ...r });
  } finally {
    param.dispose();
    oneHot.dispose();
  }
}
