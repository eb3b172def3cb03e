/**
 * The class activation map pipeline shared by the CAM family (the pytorch-grad-cam design: one pipeline
 * owns the work, each variant only says how it weighs channels):
 *
 *   1. resolve the layer (default: `defaultCamLayer`, the last layer with a 4-D output) and check that its
 *      output is 4-D `[N,h,w,c]`;
 *   2. fix the target of each item from the clean input (`resolveTarget`);
 *   3. one forward pass with the activation A captured and, for gradient variants, a zero `delta` added to
 *      it, so that the gradient with respect to `delta` is ∂score/∂A (other paths held fixed), under
 *      saliency-lab's gradient rules (true average-pooling gradients, no filter gradients);
 *   4. the variant's weights `w` (`[N,1,1,c]` per channel or `[N,h,w,c]` per position);
 *   5. map = Σ_c w·A, optionally ReLU, optionally upsampled to the input size with bilinear sampling at
 *      half-pixel centres (PyTorch's `interpolate(..., mode='bilinear', align_corners=False)`).
 *
 * Unlike pytorch-grad-cam, maps are not min-max scaled to [0, 1]: methods return the numbers, and viz
 * normalizes (Captum's LayerGradCam does not scale either).
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError } from '../errors';
import { ForwardOptions, forwardToLayer, forwardWithLayer, staticLayerShape } from '../models/forward';
import { withGradientRules } from '../models/gradient-rules';
import { defaultCamLayer, listLayers, modelKind } from '../models/layers';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_DEFAULTS, COMMON_OPTIONS, CommonOptions, resolveTarget, rowSelector, ScoreSelector } from './common';
import { checkLayerName, extendSpecs, OptionSpecs, resolveOptions } from './options';

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
}

/** The defaults of the options every CAM variant on a chosen layer takes (besides target and preSoftmax). */
export const CAM_DEFAULTS = { layer: null as string | null, relu: true, upsample: true };

const RELU = { type: 'boolean', description: 'keep positive evidence only, max(0, map)' } as const;
const UPSAMPLE = { type: 'boolean', description: 'resize to the input (bilinear, half-pixel centres); false: the layer’s resolution' } as const;

/** The type of a CAM layer option. */
export const CAM_LAYER = { type: 'layer', description: 'layer whose activation is explained', defaultText: 'the last layer with a 4-D output' } as const;

export const CAM_OPTIONS = extendSpecs(COMMON_OPTIONS, CAM_DEFAULTS, {
  layer: CAM_LAYER,
  relu: RELU,
  upsample: UPSAMPLE,
});

/** The options of a variant whose layer follows from the architecture (CAM): `relu` and `upsample` with its own defaults. */
export function fixedLayerCamOptions(defaults: { relu: boolean; upsample: boolean }) {
  return extendSpecs(COMMON_OPTIONS, defaults, { relu: RELU, upsample: UPSAMPLE });
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
export interface CamVariant {
  /** Whether `weigh` needs ∂score/∂A (a backward pass). */
  needsGradient: boolean;
  /** Weights `[N,1,1,c]` or `[N,h,w,c]`; the pipeline disposes them. */
  weigh(ctx: CamContext): tf.Tensor4D | Promise<tf.Tensor4D>;
}

function fourDLayers(model: Model): string[] {
  return listLayers(model).filter((l) => l.outputShape?.length === 4).map((l) => l.name);
}

function notFourD(where: string, model: Model, name: string, shape: readonly (number | null)[]): LayerError {
  return new LayerError(
    where,
    `layer "${name}" has output shape ${JSON.stringify(shape)}; CAM needs a 4-D output [N,h,w,c]; 4-D layers: ${fourDLayers(model).join(', ') || '(none)'}`,
  );
}

/**
 * Resolves and checks the CAM layer for an input batch: UnknownLayerError (with the names) for a name the
 * model lacks, LayerError for a layer whose output is not 4-D. Sync.
 */
export function resolveCamLayer(where: string, model: Model, x: tf.Tensor4D, layer?: string | null): CamLayer {
  if (layer !== undefined && layer !== null) checkLayerName(where, 'layer', layer);
  const kind = modelKind(where, model);
  const name = layer ?? defaultCamLayer(where, model, kind === 'graph' ? x : undefined);
  const s = staticLayerShape(where, model, name);
  if (s && s.length !== 4) throw notFourD(where, model, name, s);
  if (s && s.slice(1).every((d) => d !== null)) return { name, shape: [x.shape[0], s[1] as number, s[2] as number, s[3] as number] };
  // Shape not known statically (GraphModel, unknown input size): probe one forward pass to the layer.
  const shape = tf.tidy(() => forwardToLayer(where, model, x, name).shape);
  if (shape.length !== 4) throw notFourD(where, model, name, [null, ...shape.slice(1)]);
  return { name, shape: shape as [number, number, number, number] };
}

/**
 * The layer's activation A and ∂score/∂A for a batch, from one forward and one backward pass. Sync; the
 * caller owns both tensors.
 */
export function layerGradient(
  where: string, model: Model, x: tf.Tensor4D, layer: CamLayer, select: ScoreSelector, options: ForwardOptions,
): { activation: tf.Tensor4D; gradient: tf.Tensor4D } {
  let activation: tf.Tensor | null = null;
  try {
    const gradient = withGradientRules({}, () =>
      tf.tidy(() => {
        const delta = tf.zeros(layer.shape);
        const g = tf.grad((d: tf.Tensor) => {
          // forwardWithLayer keeps a copy of the shifted activation A + d (= A at d = 0) for us.
          const r = forwardWithLayer(where, model, x, layer.name, (a) => tf.add(a, d), options);
          activation = r.activation;
          return tf.sum(select(r.scores));
        });
        return g(delta) as tf.Tensor4D;
      }),
    );
    return { activation: activation as unknown as tf.Tensor4D, gradient };
  } catch (e) {
    if (activation) (activation as tf.Tensor).dispose();
    throw e;
  }
}

/** Σ_c w·A, optional ReLU, optional upsampling to `size`. Sync; the caller owns the result. */
export function combineCam(activation: tf.Tensor4D, weights: tf.Tensor4D, relu: boolean, size: [number, number] | null): tf.Tensor3D {
  return tf.tidy(() => {
    let map = tf.sum(tf.mul(weights, activation), 3) as tf.Tensor3D;
    if (relu) map = tf.relu(map);
    if (size) map = tf.squeeze(upsampleMaps(tf.expandDims(map, 3) as tf.Tensor4D, size), [3]) as tf.Tensor3D;
    return map;
  });
}

/** Upsamples `[N,h,w,c]` maps to `[N,H,W,c]` as `combineCam` does. Sync; the caller owns the result. */
export function upsampleMaps(maps: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  return tf.image.resizeBilinear(maps, size, false, true);
}

/** Everything after the input checks, for callers that have checked the input and fixed the targets. */
export async function camOnChecked(
  where: string,
  variant: CamVariant,
  model: Model,
  x: tf.Tensor4D,
  layer: CamLayer,
  target: ResolvedTarget,
  options: { relu: boolean; upsample: boolean } & ForwardOptions,
): Promise<tf.Tensor3D> {
  const forward: ForwardOptions = { preSoftmax: options.preSoftmax };
  const n = x.shape[0];
  let activation: tf.Tensor4D;
  let gradient: tf.Tensor4D | null = null;
  if (variant.needsGradient) {
    const select = rowSelector(where, target, Array.from({ length: n }, (_, i) => i));
    ({ activation, gradient } = layerGradient(where, model, x, layer, select, forward));
  } else {
    activation = tf.tidy(() => forwardToLayer(where, model, x, layer.name) as tf.Tensor4D);
  }
  try {
    const weights = await variant.weigh({ where, model, x, layer, target, forward, activation, gradient });
    try {
      return combineCam(activation, weights, options.relu, options.upsample ? [x.shape[1], x.shape[2]] : null);
    } finally {
      weights.dispose();
    }
  } finally {
    activation.dispose();
    gradient?.dispose();
  }
}

/**
 * Runs a CAM variant: checks the model, options and input, resolves layer and targets, returns the map
 * `[N,H,W]` (upsampled) or `[N,h,w]`. `fixedLayer` is for variants whose layer follows from the
 * architecture (CAM), `specs` for variants with other options or defaults. The caller owns the result.
 */
export async function runCam(
  where: string,
  variant: CamVariant,
  model: Model,
  input: tf.Tensor4D,
  options: CamOptions,
  fixedLayer?: (x: tf.Tensor4D) => CamLayer,
  specs: OptionSpecs<typeof COMMON_DEFAULTS & { relu: boolean; upsample: boolean }> = CAM_OPTIONS,
): Promise<tf.Tensor3D> {
  checkModel(where, model);
  const o = resolveOptions(where, specs, options);
  const x = await checkInput(where, model, input);
  const layer = fixedLayer ? fixedLayer(x) : resolveCamLayer(where, model, x, o.layer);
  const target = await resolveTarget(where, model, x, o.target, o);
  return camOnChecked(where, variant, model, x, layer, target, { relu: o.relu, upsample: o.upsample, preSoftmax: o.preSoftmax });
}
