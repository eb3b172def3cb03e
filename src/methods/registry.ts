/**
 * The list of attribution methods with their options, for the widgets and the command line: each entry
 * says what the method returns, whether it needs a layer, and each option's type, default and choices.
 * `runMethod(name, model, input, options)` calls one by name.
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import type { Model } from '../models/types';
import { cam } from './cam';
import { gradCam } from './grad-cam';
import { gradCamPlusPlus } from './grad-cam-plus-plus';
import { CHANNEL_REDUCTIONS, gradientTimesInput, saliencyMap, vanillaGradient } from './gradient';
import { guidedBackprop, deconvnet } from './guided-backprop';
import { guidedGradCam } from './guided-grad-cam';
import { IG_METHODS, integratedGradients } from './integrated-gradients';
import { layerCam } from './layer-cam';
import { occlusion } from './occlusion';
import { scoreCam } from './score-cam';
import { SMOOTHGRAD_METHODS, SMOOTHGRAD_TYPES, smoothGrad } from './smooth-grad';

export interface MethodOption {
  name: string;
  type: 'integer' | 'number' | 'boolean' | 'choice' | 'layer' | 'target' | 'window' | 'baseline';
  default: unknown;
  choices?: readonly string[];
  min?: number;
  max?: number;
  description: string;
}

export interface MethodInfo {
  name: string;
  title: string;
  family: 'gradient' | 'path' | 'cam' | 'perturbation';
  /** `input`: `[N,H,W,C]` like the input; `map`: `[N,H,W]` (CAM maps at layer resolution when not upsampled). */
  output: 'input' | 'map';
  /** Whether the method works on a layer (and so needs a LayersModel or GraphModel). */
  usesLayer: boolean;
  /** Whether it loops over batches (and so honours batchSize, onProgress and signal). */
  long: boolean;
  reference: string;
  options: MethodOption[];
  run(model: Model, input: tf.Tensor, options: Record<string, unknown>): Promise<tf.Tensor>;
}

const target: MethodOption = { name: 'target', type: 'target', default: null, description: 'output index to explain, one per item, or a function; default: the argmax class' };
const preSoftmax: MethodOption = { name: 'preSoftmax', type: 'boolean', default: true, description: 'explain the scores before a final softmax' };
const layer: MethodOption = { name: 'layer', type: 'layer', default: null, description: 'layer to explain; default: the last layer with a 4-D output' };
const relu: MethodOption = { name: 'relu', type: 'boolean', default: true, description: 'keep positive evidence only, max(0, map)' };
const upsample: MethodOption = { name: 'upsample', type: 'boolean', default: true, description: 'resize to the input (bilinear, half-pixel centres); false: layer resolution' };
const batchSize = (d: number): MethodOption => ({ name: 'batchSize', type: 'integer', default: d, min: 1, description: 'model inputs per forward/backward pass' });

const entries: MethodInfo[] = [
  {
    name: 'vanillaGradient', title: 'Gradient', family: 'gradient', output: 'input', usesLayer: false, long: false,
    reference: 'Simonyan, Vedaldi and Zisserman 2014', options: [target, preSoftmax],
    run: (m, x, o) => vanillaGradient(m, x, o),
  },
  {
    name: 'saliencyMap', title: 'Saliency map', family: 'gradient', output: 'map', usesLayer: false, long: false,
    reference: 'Simonyan, Vedaldi and Zisserman 2014',
    options: [target, preSoftmax, { name: 'reduce', type: 'choice', default: 'maxAbs', choices: CHANNEL_REDUCTIONS, description: 'how channels are combined' }],
    run: (m, x, o) => saliencyMap(m, x, o),
  },
  {
    name: 'gradientTimesInput', title: 'Gradient × input', family: 'gradient', output: 'input', usesLayer: false, long: false,
    reference: 'Shrikumar et al. 2016', options: [target, preSoftmax],
    run: (m, x, o) => gradientTimesInput(m, x, o),
  },
  {
    name: 'smoothGrad', title: 'SmoothGrad', family: 'gradient', output: 'input', usesLayer: false, long: true,
    reference: 'Smilkov et al. 2017',
    options: [
      target, preSoftmax,
      { name: 'samples', type: 'integer', default: 50, min: 1, description: 'noisy copies' },
      { name: 'noise', type: 'number', default: 0.15, min: 0, max: 1, description: 'noise σ as a fraction of the input range' },
      { name: 'type', type: 'choice', default: 'smoothGrad', choices: SMOOTHGRAD_TYPES, description: 'mean, mean of squares, or variance' },
      { name: 'method', type: 'choice', default: 'vanillaGradient', choices: SMOOTHGRAD_METHODS, description: 'gradient method to smooth' },
      { name: 'seed', type: 'integer', default: null, description: 'noise seed; default random' },
      batchSize(16),
    ],
    run: (m, x, o) => smoothGrad(m, x, o),
  },
  {
    name: 'integratedGradients', title: 'Integrated Gradients', family: 'path', output: 'input', usesLayer: false, long: true,
    reference: 'Sundararajan, Taly and Yan 2017',
    options: [
      target, preSoftmax,
      { name: 'baseline', type: 'baseline', default: 'zeros', choices: ['zeros', 'blur'], description: "reference input: 'zeros', 'blur', a number or a tensor" },
      { name: 'steps', type: 'integer', default: 50, min: 1, max: 10000, description: 'points on the path' },
      { name: 'method', type: 'choice', default: 'gaussLegendre', choices: IG_METHODS, description: 'quadrature rule (Captum)' },
      batchSize(32),
    ],
    run: (m, x, o) => integratedGradients(m, x, o),
  },
  {
    name: 'guidedBackprop', title: 'Guided backpropagation', family: 'gradient', output: 'input', usesLayer: false, long: false,
    reference: 'Springenberg et al. 2015', options: [target, preSoftmax],
    run: (m, x, o) => guidedBackprop(m, x, o),
  },
  {
    name: 'deconvnet', title: 'Deconvnet', family: 'gradient', output: 'input', usesLayer: false, long: false,
    reference: 'Zeiler and Fergus 2014', options: [target, preSoftmax],
    run: (m, x, o) => deconvnet(m, x, o),
  },
  {
    name: 'gradCam', title: 'Grad-CAM', family: 'cam', output: 'map', usesLayer: true, long: false,
    reference: 'Selvaraju et al. 2017', options: [layer, target, preSoftmax, relu, upsample],
    run: (m, x, o) => gradCam(m, x as tf.Tensor4D, o),
  },
  {
    name: 'gradCamPlusPlus', title: 'Grad-CAM++', family: 'cam', output: 'map', usesLayer: true, long: false,
    reference: 'Chattopadhyay et al. 2018', options: [layer, target, preSoftmax, relu, upsample],
    run: (m, x, o) => gradCamPlusPlus(m, x as tf.Tensor4D, o),
  },
  {
    name: 'layerCam', title: 'LayerCAM', family: 'cam', output: 'map', usesLayer: true, long: false,
    reference: 'Jiang et al. 2021', options: [layer, target, preSoftmax, relu, upsample],
    run: (m, x, o) => layerCam(m, x as tf.Tensor4D, o),
  },
  {
    name: 'scoreCam', title: 'Score-CAM', family: 'cam', output: 'map', usesLayer: true, long: true,
    reference: 'Wang et al. 2020', options: [layer, target, preSoftmax, relu, upsample, batchSize(32)],
    run: (m, x, o) => scoreCam(m, x as tf.Tensor4D, o),
  },
  {
    name: 'cam', title: 'CAM', family: 'cam', output: 'map', usesLayer: true, long: false,
    reference: 'Zhou et al. 2016', options: [target, preSoftmax, relu, upsample],
    run: (m, x, o) => cam(m, x as tf.Tensor4D, o),
  },
  {
    name: 'guidedGradCam', title: 'Guided Grad-CAM', family: 'cam', output: 'input', usesLayer: true, long: false,
    reference: 'Selvaraju et al. 2017', options: [layer, target, preSoftmax],
    run: (m, x, o) => guidedGradCam(m, x as tf.Tensor4D, o),
  },
  {
    name: 'occlusion', title: 'Occlusion', family: 'perturbation', output: 'map', usesLayer: false, long: true,
    reference: 'Zeiler and Fergus 2014; Captum Occlusion',
    options: [
      target, preSoftmax,
      { name: 'window', type: 'window', default: 8, min: 1, description: 'occluding window, pixels (a number or [h, w])' },
      { name: 'stride', type: 'window', default: null, min: 1, description: 'step between windows, pixels (a number or [h, w]); default half the window' },
      { name: 'baseline', type: 'baseline', default: 0, description: 'value (or tensor) that fills the window' },
      batchSize(32),
    ],
    run: (m, x, o) => occlusion(m, x as tf.Tensor4D, o as never),
  },
];

/** Every attribution method by name. */
export const METHODS: Readonly<Record<string, MethodInfo>> = Object.freeze(Object.fromEntries(entries.map((e) => [e.name, e])));

/** Method names, in a stable order (gradient, path, CAM, perturbation). */
export const METHOD_NAMES: readonly string[] = entries.map((e) => e.name);

/** A method's entry; an unknown name is an OptionError listing the names. */
export function getMethod(name: string): MethodInfo {
  const m = METHODS[name];
  if (!m) throw new OptionError('getMethod', `unknown method ${JSON.stringify(name)}; methods: ${METHOD_NAMES.join(', ')}`);
  return m;
}

/** Runs a method by name. The caller owns the result. */
export function runMethod(name: string, model: Model, input: tf.Tensor, options: Record<string, unknown> = {}): Promise<tf.Tensor> {
  return getMethod(name).run(model, input, options);
}
