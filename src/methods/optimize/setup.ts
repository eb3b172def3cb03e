/**
 * Options and checks that the feature-visualization methods share.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UnknownLayerError } from '../../errors';
import { resolveModel } from '../../models/adapter';
import { splitModel } from '../../models/split';
import type { Model } from '../../models/types';
import { effectiveSignal } from '../../signal';
import { checkChoice, checkInteger, checkNumber } from '../options';
import { STEP_SCHEDULES, StepCallback, StepSchedule } from './loop';
import { PARAMETERIZATIONS, ParameterizationName } from './parameterization';
import { checkPreset, PreprocessPreset } from './preprocess';
import type { TransformOptions } from './transforms';

/** Options shared by activationMaximization, filterGallery and featureInversion. */
export interface OptimizeOptions {
  /** Optimization steps. Default 256. */
  steps?: number;
  /** Adam's learning rate on the image parameters. Default 0.05 (Lucid's). */
  stepSize?: number;
  /** How the step size changes over the steps: `constant` or `cosine` (annealed to 0). Default `constant`. */
  schedule?: StepSchedule;
  /** Seed of the noise and of the random transforms: the same seed gives the same result. Default 0. */
  seed?: number;
  /** Image representation: `pixel` or Lucid's color-decorrelated `fourier` (see parameterization.ts). Default `pixel`. */
  parameterization?: ParameterizationName;
  /** Standard deviation of the starting noise in parameter space. Default 0.01 (Lucid's). */
  noise?: number;
  /** The model's preprocessing of an RGB image in [0, 1]: `unit`, `symmetric`, `caffe`, `torch`. Default `unit`. */
  preprocess?: PreprocessPreset;
  /** Height and width of the image; default the model's input size (required when that is not fixed). */
  size?: [number, number];
  /** Weight of the L2 penalty (distance from mid-gray, in [0, 1] units). Default 0. */
  l2?: number;
  /** Weight of the total-variation penalty. Default 0. */
  tv?: number;
  /** Exponent β of the total variation. Default 2. */
  tvBeta?: number;
  /** Largest random shift in pixels. Default round(min(H, W) / 16). */
  jitter?: number;
  /** Range of random zoom factors. Default [0.95, 1.05]. */
  scale?: [number, number];
  /** Largest random rotation in degrees. Default 5. */
  rotate?: number;
  /** Blur the image every this many steps (0: never). Default 0. */
  blurEvery?: number;
  /** Standard deviation of that blur in pixels. Default 0.5. */
  blurSigma?: number;
  /** Progress: called after every step. */
  onStep?: StepCallback;
  /** Include the current image in `onStep` every this many steps (0: never; the last step always has it when this is > 0). Default 0. */
  imageEvery?: number;
  /** Stops the work with a CancelledError (name "AbortError"). Default: the kernel's signal. */
  signal?: AbortSignal;
}

export interface ResolvedOptimizeOptions {
  steps: number;
  stepSize: number;
  schedule: StepSchedule;
  seed: number;
  parameterization: ParameterizationName;
  noise: number;
  preprocess: PreprocessPreset;
  height: number;
  width: number;
  channels: number;
  l2: number;
  tv: number;
  tvBeta: number;
  transforms: TransformOptions;
  blurEvery: number;
  blurSigma: number;
  onStep?: StepCallback;
  imageEvery: number;
  signal?: AbortSignal;
}

const positive = (where: string, name: string, v: unknown) => checkNumber(where, name, v, { min: 0, exclusiveMin: true });
const nonNegative = (where: string, name: string, v: unknown) => checkNumber(where, name, v, { min: 0 });
const nonNegativeInt = (where: string, name: string, v: unknown) => checkInteger(where, name, v, { min: 0 });

/** The model's input `[H, W, C]`, with `size` overriding height and width. */
export function inputShape(where: string, model: Model, size: unknown): [number, number, number] {
  const dims = resolveModel(where, model).inputShape();
  const channels = dims && dims.length === 4 ? dims[3] : null;
  if (size !== undefined) {
    if (!Array.isArray(size) || size.length !== 2 || size.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 2)) {
      throw new OptionError(where, `size must be [height, width] with integers ≥ 2, got ${JSON.stringify(size)}`);
    }
    return [size[0], size[1], channels ?? 3];
  }
  if (!dims || dims.length !== 4 || dims[1] === null || dims[2] === null) {
    throw new OptionError(where, `the model's input size is not fixed (${JSON.stringify(dims)}); pass size: [height, width]`);
  }
  return [dims[1] as number, dims[2] as number, channels ?? 3];
}

/** Checks the options; `defaults` (a method's own) fill what the caller left out before the shared defaults. */
export function resolveOptimizeOptions(where: string, model: Model, options: OptimizeOptions, defaults: OptimizeOptions = {}): ResolvedOptimizeOptions {
  const o: OptimizeOptions = { ...defaults };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  const [height, width, channels] = inputShape(where, model, o.size);
  const scale = o.scale ?? [0.95, 1.05];
  if (!Array.isArray(scale) || scale.length !== 2 || !(scale[0] > 0) || !(scale[1] >= scale[0]) || !Number.isFinite(scale[1])) {
    throw new OptionError(where, `scale must be [min, max] with 0 < min ≤ max, got ${JSON.stringify(scale)}`);
  }
  if (o.onStep !== undefined && typeof o.onStep !== 'function') throw new OptionError(where, `onStep must be a function, got ${typeof o.onStep}`);
  return {
    steps: checkInteger(where, 'steps', o.steps ?? 256, { min: 1 }),
    stepSize: positive(where, 'stepSize', o.stepSize ?? 0.05),
    schedule: checkChoice(where, 'schedule', o.schedule ?? 'constant', STEP_SCHEDULES),
    seed: checkSeed(where, o.seed),
    parameterization: checkChoice(where, 'parameterization', o.parameterization ?? 'pixel', PARAMETERIZATIONS),
    noise: nonNegative(where, 'noise', o.noise ?? 0.01),
    preprocess: checkPreset(where, o.preprocess ?? 'unit', channels),
    height,
    width,
    channels,
    l2: nonNegative(where, 'l2', o.l2 ?? 0),
    tv: nonNegative(where, 'tv', o.tv ?? 0),
    tvBeta: positive(where, 'tvBeta', o.tvBeta ?? 2),
    transforms: {
      jitter: nonNegativeInt(where, 'jitter', o.jitter ?? Math.round(Math.min(height, width) / 16)),
      scale: [scale[0], scale[1]],
      rotate: nonNegative(where, 'rotate', o.rotate ?? 5),
    },
    blurEvery: nonNegativeInt(where, 'blurEvery', o.blurEvery ?? 0),
    blurSigma: nonNegative(where, 'blurSigma', o.blurSigma ?? 0.5),
    onStep: o.onStep,
    imageEvery: nonNegativeInt(where, 'imageEvery', o.imageEvery ?? 0),
    signal: effectiveSignal(o.signal),
  };
}

export function checkSeed(where: string, seed: unknown): number {
  return checkInteger(where, 'seed', seed ?? 0);
}

/**
 * Checks that the model has the named layer (LayersModel) or node (GraphModel, short names accepted) and
 * returns the model's own name for it; UnknownLayerError lists the layers.
 */
export function checkLayer(where: string, model: Model, layer: unknown): string {
  const adapter = resolveModel(where, model);
  adapter.requireLayers();
  if (typeof layer !== 'string') throw new UnknownLayerError(where, String(layer), adapter.layers().map((l) => l.shortName));
  return adapter.resolveLayer(layer);
}

/** Input → a layer's activation, sync; `release` frees every activation it has returned so far. */
export interface LayerHead {
  (x: tf.Tensor4D): tf.Tensor;
  release(): void;
}

/**
 * `splitModel(model, layer).head` with its results recorded: for a LayersModel the head returns its result
 * with `tf.keep` (forwardToLayer), so a surrounding `tf.tidy` does not free it. The loops call `release`
 * after each gradient, once nothing needs the activation any more.
 */
export function layerHead(model: Model, layer: string): LayerHead {
  const split = splitModel(model, layer);
  const made: tf.Tensor[] = [];
  const head = ((x: tf.Tensor4D) => {
    const a = split.head(x);
    made.push(a);
    return a;
  }) as LayerHead;
  head.release = () => {
    tf.dispose(made);
    made.length = 0;
  };
  return head;
}

/** Shape of an activation computed by `head` on a zero input of the given size (one item). */
export function probeShape(head: LayerHead, shape: [number, number, number]): number[] {
  try {
    return tf.tidy(() => head(tf.zeros([1, ...shape]) as tf.Tensor4D).shape);
  } finally {
    head.release();
  }
}
