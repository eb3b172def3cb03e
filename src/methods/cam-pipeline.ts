/**
 * The class activation map pipeline shared by the CAM family (the pytorch-grad-cam design: one pipeline
 * owns the work, each variant only says how it weighs channels):
 *
 *   1. resolve the layer (default: `defaultCamLayer`, the last layer with a 4-D output) and check that its
 *      output is 4-D `[N,h,w,c]`;
 *   2. ONE forward pass through the model's capture primitive: the network runs up to the layer once and
 *      its activation A is captured; the explained score of each item comes from that same pass (the
 *      argmax class by default); for gradient variants ∂score/∂A is taken with the gradient flowing only
 *      through what follows the layer, under saliency-lab's gradient rules (true average-pooling
 *      gradients, no filter gradients);
 *   3. the variant's weights `w` (`[N,1,1,c]` per channel or `[N,h,w,c]` per position);
 *   4. map = Σ_c w·A, optionally ReLU, optionally upsampled to the input size with bilinear sampling at
 *      half-pixel centres (PyTorch's `interpolate(..., mode='bilinear', align_corners=False)`).
 *
 * Unlike pytorch-grad-cam, maps are not min-max scaled to [0, 1]: methods return the numbers, and viz
 * normalizes (Captum's LayerGradCam does not scale either).
 *
 * Smoothing, for every variant, as pytorch-grad-cam's `eigen_smooth` and `aug_smooth`:
 * - `eigenSmooth`: the map is the first-principal-component projection of the weighted activations w·A
 *   (see ./principal-projection) instead of their sum over channels. Variants whose map is already not a
 *   weighted sum (Eigen-CAM, Eigen-Grad-CAM, element-wise Grad-CAM) are unchanged by it, as in
 *   pytorch-grad-cam, whose EigenCAM ignores the flag.
 * - `augSmooth`: the mean of the maps of six augmented inputs, the input and its horizontal mirror each
 *   multiplied by 0.9, 1 and 1.1 (pytorch-grad-cam's ttach `HorizontalFlip` × `Multiply([0.9, 1, 1.1])`),
 *   each map mirrored back. Departures: the targets are fixed once on the clean input (pytorch-grad-cam
 *   takes each augmented input's argmax when none is given), and the maps are averaged as they are, not
 *   each min-max scaled to [0, 1] first (the pipeline never scales).
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError } from '../errors';
import { ModelAdapter, resolveModel } from '../models/adapter';
import { withGradientRules } from '../models/gradient-rules';
import type { ForwardOptions, Model } from '../models/types';
import type { Workers } from '../pool';
import { effectiveSignal } from '../signal';
import { checkInput, COMMON_DEFAULTS, COMMON_OPTIONS, CommonOptions, LoopOptions, selector, Target } from './common';
import { checkpoint } from './loop';
import { checkLayerName, extendSpecs, OptionSpecs, resolveOptions } from './options';
import { principalProjection } from './principal-projection';

/** Options every CAM variant that works on a chosen layer takes. */
export interface CamOptions extends CommonOptions {
  /** Layer whose activation is explained. Default (also `null`): the last layer with a 4-D output (`defaultCamLayer`). */
  layer?: string | null;
  /** Keep only positive evidence, `max(0, map)` (Selvaraju et al.). Default true. */
  relu?: boolean;
  /**
   * Resize the map to the input's height and width (bilinear, half-pixel centres): `[N,H,W]`. Default
   * true; false returns the map at the layer's resolution, `[N,h,w]`.
   */
  upsample?: boolean;
  /** The map is the first principal component of w·A instead of Σ_c w·A (pytorch-grad-cam's eigen_smooth). Default false. */
  eigenSmooth?: boolean;
  /** The mean map over the input and its mirror, each times 0.9, 1 and 1.1 (pytorch-grad-cam's aug_smooth). Default false. */
  augSmooth?: boolean;
}

/** The defaults of the options every CAM variant on a chosen layer takes (besides target and preSoftmax). */
export const CAM_DEFAULTS = { layer: null as string | null, relu: true, upsample: true, eigenSmooth: false, augSmooth: false };

const RELU = { type: 'boolean', description: 'keep positive evidence only, max(0, map)' } as const;
const UPSAMPLE = { type: 'boolean', description: 'resize to the input (bilinear, half-pixel centres); false: the layer’s resolution' } as const;

/** The type of a CAM layer option. */
export const CAM_LAYER = { type: 'layer', description: 'layer whose activation is explained', defaultText: 'the last layer with a 4-D output' } as const;

const EIGEN_SMOOTH = { type: 'boolean', description: 'the map is the first principal component of w·A (pytorch-grad-cam eigen_smooth)' } as const;
const AUG_SMOOTH = { type: 'boolean', description: 'mean map over the input and its mirror, each ×0.9, ×1, ×1.1 (pytorch-grad-cam aug_smooth)' } as const;

export const CAM_OPTIONS = extendSpecs(COMMON_OPTIONS, CAM_DEFAULTS, {
  layer: CAM_LAYER,
  relu: RELU,
  upsample: UPSAMPLE,
  eigenSmooth: EIGEN_SMOOTH,
  augSmooth: AUG_SMOOTH,
});

/** The options of a variant whose layer follows from the architecture (CAM): `relu` and `upsample` with its own defaults, and the smoothing. */
export function fixedLayerCamOptions(defaults: { relu: boolean; upsample: boolean }) {
  return extendSpecs(COMMON_OPTIONS, { ...defaults, eigenSmooth: false, augSmooth: false }, { relu: RELU, upsample: UPSAMPLE, eigenSmooth: EIGEN_SMOOTH, augSmooth: AUG_SMOOTH });
}

/** A layer resolved for one input batch: its name and the full shape of its activation. */
export interface CamLayer {
  name: string;
  shape: [number, number, number, number];
}

/** Per-item targets fixed on the clean input: class indices, or the caller's target function. */
export type ResolvedTarget = number[] | ((output: tf.Tensor2D) => tf.Tensor);

/** What a variant gets to compute its channel weights from. Tensors belong to the pipeline. */
export interface CamContext {
  where: string;
  model: Model;
  /** The model's adapter (resolved once for the call). */
  adapter: ModelAdapter;
  x: tf.Tensor4D;
  layer: CamLayer;
  target: ResolvedTarget;
  forward: ForwardOptions;
  /** The layer's activation A, `[N,h,w,c]`. */
  activation: tf.Tensor4D;
  /** ∂score/∂A, `[N,h,w,c]`; present when the variant asked for it. */
  gradient: tf.Tensor4D | null;
}

/** How a CAM variant weighs channels. */
export interface CamWeighing {
  /** Whether `weigh` needs ∂score/∂A (a backward pass). */
  needsGradient: boolean;
  /** Weights `[N,1,1,c]` or `[N,h,w,c]`; the pipeline disposes them. */
  weigh(ctx: CamContext): tf.Tensor4D | Promise<tf.Tensor4D>;
}

/**
 * A variant whose map is not a weighted sum of A's channels (element-wise Grad-CAM's ReLU of g·A, Eigen-CAM's
 * principal component): it gives the map `[N,h,w]` itself, before the pipeline's ReLU and upsampling.
 */
export interface CamProjection {
  /** Whether `project` needs ∂score/∂A (a backward pass). */
  needsGradient: boolean;
  /** The map `[N,h,w]` at the layer's resolution; the pipeline disposes it. */
  project(ctx: CamContext): tf.Tensor3D | Promise<tf.Tensor3D>;
}

/** What a CAM variant says: channel weights, or the map itself. */
export type CamVariant = CamWeighing | CamProjection;

function notFourD(where: string, adapter: ModelAdapter, x: tf.Tensor4D, name: string, shape: readonly (number | null)[]): LayerError {
  const fourD = adapter.layers({ inputSize: [x.shape[1], x.shape[2]] }).filter((l) => l.outputShape?.length === 4).map((l) => l.shortName);
  return new LayerError(
    where,
    `layer "${name}" has output shape ${JSON.stringify(shape)}; CAM needs a 4-D output [N,h,w,c]; 4-D layers: ${fourD.join(', ') || '(none)'}`,
  );
}

/**
 * Resolves and checks the CAM layer for an input batch, returning the model's own name for it:
 * UnknownLayerError (with the names) for a name the model lacks, LayerError for a layer whose output is
 * not 4-D. Sync; runs the model only to probe a GraphModel's shapes (once per model and input size).
 */
export function resolveCamLayer(where: string, adapter: ModelAdapter, x: tf.Tensor4D, layer?: string | null): string {
  if (layer !== undefined && layer !== null) checkLayerName(where, 'layer', layer);
  const name = layer === undefined || layer === null ? adapter.defaultCamLayer(x) : adapter.resolveLayer(layer);
  const s = adapter.outputShapeAt(name, x);
  if (s && s.length !== 4) throw notFourD(where, adapter, x, layer ?? name, s);
  return name;
}

/**
 * The variant's pass: the layer's activation A (and, for gradient variants, ∂score/∂A) and the scores,
 * from ONE forward pass in which the network runs up to the layer once; the explained score of each item
 * comes from that same pass (the argmax class by default), and the gradient flows through the part after
 * the layer only. Target mistakes found in the pass are raised after it, leaking nothing. Sync; the caller
 * owns the three tensors.
 */
function layerPass(
  where: string, adapter: ModelAdapter, x: tf.Tensor4D, layer: string, target: Target | null | undefined, needsGradient: boolean, forward: ForwardOptions,
): { activation: tf.Tensor; gradient: tf.Tensor | null; scores: tf.Tensor2D } {
  const n = x.shape[0];
  if (!needsGradient) {
    const [activation, scores] = tf.tidy(() => {
      const c = adapter.capture(x, { layers: [layer], preSoftmax: forward.preSoftmax });
      return [c.activations[0], c.scores as tf.Tensor2D];
    });
    try {
      selector(where, target, n, scores.shape[1]);
    } catch (e) {
      tf.dispose([activation, scores]);
      throw e;
    }
    return { activation, gradient: null, scores: scores as tf.Tensor2D };
  }
  let failure: unknown = null;
  const objective = (scores: tf.Tensor2D): tf.Scalar => {
    try {
      return tf.sum(selector(where, target, n, scores.shape[1])(scores));
    } catch (e) {
      // Thrown here, the error would leak what tf.grad saved for the backward pass: raise it afterwards.
      failure = e;
      return tf.mul(tf.sum(scores), 0);
    }
  };
  const r = withGradientRules({}, () => adapter.layerGradient(x, layer, objective, forward), { where, model: adapter.model });
  if (failure !== null) {
    tf.dispose([r.activation, r.gradient, r.scores]);
    throw failure;
  }
  return r;
}

/** The explained output of each item, from the pass's scores: indices (argmax by default), or the function. */
async function targetsOf(target: Target | null | undefined, scores: tf.Tensor2D): Promise<ResolvedTarget> {
  const n = scores.shape[0];
  if (typeof target === 'function') return target;
  if (Array.isArray(target)) return target;
  if (typeof target === 'number') return new Array(n).fill(target);
  if (scores.shape[1] === 1) return new Array(n).fill(0);
  const am = tf.argMax(scores, 1);
  const idx = Array.from(await am.data());
  am.dispose();
  return idx;
}

/** Σ_c w·A, optional ReLU, optional upsampling to `size`. Sync; the caller owns the result. */
export function combineCam(activation: tf.Tensor4D, weights: tf.Tensor4D, relu: boolean, size: [number, number] | null): tf.Tensor3D {
  return tf.tidy(() => finishCam(tf.sum(tf.mul(weights, activation), 3) as tf.Tensor3D, relu, size));
}

/** A map `[N,h,w]` with the optional ReLU and upsampling to `size`. Sync; the caller owns the result. */
export function finishCam(map: tf.Tensor3D, relu: boolean, size: [number, number] | null): tf.Tensor3D {
  return tf.tidy(() => {
    let m = relu ? tf.relu(map) : tf.clone(map);
    if (size) m = tf.squeeze(upsampleMaps(tf.expandDims(m, 3) as tf.Tensor4D, size), [3]) as tf.Tensor3D;
    return m;
  });
}

/** How a looping variant's loop runs (Score-CAM, Ablation-CAM): batch size, progress, cancellation, and partial channel weights with their context. */
export interface CamLoop {
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
  /** Partial weights `[N,1,1,c]` (0 for channels not done yet); the loop disposes them afterwards. */
  onPartialWeights?: (weights: tf.Tensor4D, ctx: CamContext, done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
  /** Worker threads for the batches (see ../pool); null or absent: the default. */
  workers?: Workers | null;
}

/**
 * Runs a looping CAM variant made from its loop settings: options resolved with `specs`, a cancellation
 * checkpoint before any work, partial maps made as the final one is. The caller owns the result.
 */
export async function runLoopingCam(
  where: string,
  specs: OptionSpecs<typeof COMMON_DEFAULTS & typeof CAM_DEFAULTS & { batchSize: number }>,
  makeVariant: (loop: CamLoop) => CamVariant,
  model: Model,
  input: tf.Tensor4D,
  options: CamOptions & LoopOptions<tf.Tensor3D>,
): Promise<tf.Tensor3D> {
  const o = resolveOptions(where, specs, options);
  await checkpoint(where, effectiveSignal(o.signal));
  const variant = makeVariant({ batchSize: o.batchSize, onProgress: o.onProgress, signal: o.signal, onPartialWeights: partialMaps(o.onPartial, o.relu, o.upsample), workers: (o as { workers?: Workers | null }).workers });
  return runCam(where, variant, model, input, o, undefined, specs);
}

/**
 * For looping variants (Score-CAM, Ablation-CAM): turns the caller's `onPartial(map, done, total)` into a
 * callback on partial channel weights, the map made as the final one is and disposed when the caller is done.
 */
export function partialMaps(
  onPartial: ((map: tf.Tensor3D, done: number, total: number) => void | Promise<void>) | undefined,
  relu: boolean,
  upsample: boolean,
): ((weights: tf.Tensor4D, ctx: CamContext, done: number, total: number) => Promise<void>) | undefined {
  return onPartial && (async (weights, ctx, done, total) => {
    const map = combineCam(ctx.activation, weights, relu, upsample ? [ctx.x.shape[1], ctx.x.shape[2]] : null);
    try {
      await onPartial(map, done, total);
    } finally {
      map.dispose();
    }
  });
}

/** Upsamples `[N,h,w,c]` maps to `[N,H,W,c]` as `combineCam` does. Sync; the caller owns the result. */
export function upsampleMaps(maps: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  return tf.image.resizeBilinear(maps, size, false, true);
}

/**
 * Everything after the input checks: one pass (see layerPass), the variant's weights, the map. Returns the
 * map and the targets it explained (for callers that go on, as Guided Grad-CAM does). The caller owns the map.
 */
export async function camPass(
  where: string,
  variant: CamVariant,
  adapter: ModelAdapter,
  x: tf.Tensor4D,
  layer: string,
  target: Target | null | undefined,
  options: { relu: boolean; upsample: boolean; eigenSmooth?: boolean } & ForwardOptions,
): Promise<{ map: tf.Tensor3D; target: ResolvedTarget }> {
  const forward: ForwardOptions = { preSoftmax: options.preSoftmax };
  const pass = layerPass(where, adapter, x, layer, target, variant.needsGradient, forward);
  const activation = pass.activation as tf.Tensor4D;
  const gradient = pass.gradient as tf.Tensor4D | null;
  try {
    if (activation.rank !== 4) throw notFourD(where, adapter, x, layer, [null, ...activation.shape.slice(1)]);
    const resolved = await targetsOf(target, pass.scores);
    const shape = activation.shape as [number, number, number, number];
    const ctx: CamContext = { where, model: adapter.model, adapter, x, layer: { name: layer, shape }, target: resolved, forward, activation, gradient };
    const size: [number, number] | null = options.upsample ? [x.shape[1], x.shape[2]] : null;
    const made = 'project' in variant ? await variant.project(ctx) : await variant.weigh(ctx);
    try {
      if ('project' in variant) return { map: finishCam(made as tf.Tensor3D, options.relu, size), target: resolved };
      if (!options.eigenSmooth) return { map: combineCam(activation, made as tf.Tensor4D, options.relu, size), target: resolved };
      const weighted = tf.mul(made, activation) as tf.Tensor4D;
      const projected = await principalProjection(weighted).finally(() => weighted.dispose());
      try {
        return { map: finishCam(projected, options.relu, size), target: resolved };
      } finally {
        projected.dispose();
      }
    } finally {
      made.dispose();
    }
  } finally {
    tf.dispose([activation, pass.scores, ...(gradient ? [gradient] : [])]);
  }
}

/**
 * Runs a CAM variant: checks the model, options and input, resolves the layer, returns the map `[N,H,W]`
 * (upsampled) or `[N,h,w]`. `fixedLayer` is for variants whose layer follows from the architecture (CAM),
 * `specs` for variants with other options or defaults. The caller owns the result.
 */
export async function runCam(
  where: string,
  variant: CamVariant,
  model: Model,
  input: tf.Tensor4D,
  options: CamOptions,
  fixedLayer?: string,
  specs: OptionSpecs<typeof COMMON_DEFAULTS & { relu: boolean; upsample: boolean }> = CAM_OPTIONS,
): Promise<tf.Tensor3D> {
  const adapter = resolveModel(where, model);
  const o = resolveOptions(where, specs, options);
  const smooth = o as { eigenSmooth?: boolean; augSmooth?: boolean };
  const x = await checkInput(where, model, input);
  const layer = resolveCamLayer(where, adapter, x, fixedLayer ?? o.layer);
  const pass = { relu: o.relu, upsample: o.upsample, preSoftmax: o.preSoftmax, eigenSmooth: smooth.eigenSmooth === true };
  if (smooth.augSmooth !== true) return (await camPass(where, variant, adapter, x, layer, o.target, pass)).map;
  return augmentedCam(where, variant, adapter, x, layer, o.target, pass);
}

/** pytorch-grad-cam's test-time augmentations: horizontal flip × multiply, in ttach's order. */
const AUGMENTATIONS = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));

/**
 * `augSmooth`: the mean of the maps of the six augmented inputs, each map mirrored back, the targets fixed
 * on the clean input. The caller owns the result.
 */
async function augmentedCam(
  where: string, variant: CamVariant, adapter: ModelAdapter, x: tf.Tensor4D, layer: string, target: Target | null | undefined,
  pass: { relu: boolean; upsample: boolean; eigenSmooth: boolean } & ForwardOptions,
): Promise<tf.Tensor3D> {
  let fixed: Target | null | undefined = target;
  if (typeof target !== 'function') {
    const scores = tf.tidy(() => adapter.scores(x, pass));
    try {
      selector(where, target, x.shape[0], scores.shape[1]);
      fixed = await targetsOf(target, scores);
    } finally {
      scores.dispose();
    }
  }
  let sum: tf.Tensor3D | null = null;
  try {
    for (const { flip, factor } of AUGMENTATIONS) {
      const xa = tf.tidy(() => tf.mul(flip ? tf.reverse(x, 2) : x, factor) as tf.Tensor4D);
      let map: tf.Tensor3D;
      try {
        map = (await camPass(where, variant, adapter, xa, layer, fixed, pass)).map;
      } finally {
        xa.dispose();
      }
      const back = flip ? tf.tidy(() => tf.reverse(map, 2) as tf.Tensor3D) : map;
      if (back !== map) map.dispose();
      const next: tf.Tensor3D = sum ? tf.add(sum, back) : back;
      if (sum) tf.dispose([sum, back]);
      sum = next;
    }
    return tf.div(sum as tf.Tensor3D, AUGMENTATIONS.length) as tf.Tensor3D;
  } finally {
    sum?.dispose();
  }
}
