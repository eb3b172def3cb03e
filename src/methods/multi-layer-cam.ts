/**
 * A CAM variant fused over several layers, as pytorch-grad-cam does with several `target_layers`: each
 * layer's map (the variant's, with its ReLU, upsampled to the input) is min-max scaled per item, m − min
 * over 1e-7 + the maximum of that, and the scaled maps are averaged. Departure: pytorch-grad-cam scales
 * the average once more to [0, 1]; that is left to viz (the CAM pipeline never scales its result).
 *
 * `method` is any CAM variant on a chosen layer (Grad-CAM by default); `eigenSmooth`, `augSmooth` and
 * `relu` go to it. The targets are fixed once on the clean input, so every layer explains the same score.
 * Without `layers`: the default CAM layer (the last with a 4-D output) and the last 4-D layer before it
 * with a larger spatial size (a finer map), or the default layer alone when there is none. `[N,H,W]`.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveModel } from '../models/adapter';
import type { Model } from '../models/types';
import { ablationCam } from './ablation-cam';
import { resolveCamLayer } from './cam-pipeline';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, resolveTarget } from './common';
import { eigenCam, eigenGradCam } from './eigen-cam';
import { gradCam } from './grad-cam';
import { gradCamPlusPlus } from './grad-cam-plus-plus';
import { gradCamElementWise, hiResCam } from './hi-res-cam';
import { layerCam } from './layer-cam';
import { extendSpecs, resolveOptions } from './options';
import { scoreCam } from './score-cam';
import { xGradCam } from './x-grad-cam';

const VARIANTS = {
  gradCam, gradCamPlusPlus, layerCam, xGradCam, hiResCam, gradCamElementWise, eigenCam, eigenGradCam, scoreCam, ablationCam,
} as const;

export const MULTI_LAYER_CAM_METHODS = Object.keys(VARIANTS) as (keyof typeof VARIANTS)[];
export type MultiLayerCamMethod = keyof typeof VARIANTS;

export interface MultiLayerCamOptions extends CommonOptions {
  /** The CAM variant run on each layer. Default `gradCam`. */
  method?: MultiLayerCamMethod;
  /** The layers fused. Default (also `null`): the default CAM layer and the last finer 4-D layer before it. */
  layers?: string[] | null;
  /** Each layer's map keeps only positive evidence before scaling (pytorch-grad-cam always does). Default true. */
  relu?: boolean;
  /** Each layer's map is the principal component of w·A (see the CAM pipeline). Default false. */
  eigenSmooth?: boolean;
  /** Each layer's map is averaged over mirrored and rescaled inputs (see the CAM pipeline). Default false. */
  augSmooth?: boolean;
}

/** multiLayerCam's own defaults (besides target and preSoftmax). */
export const MULTI_LAYER_CAM_DEFAULTS = { method: 'gradCam' as MultiLayerCamMethod, layers: null as string[] | null, relu: true, eigenSmooth: false, augSmooth: false };

export const MULTI_LAYER_CAM_OPTIONS = extendSpecs(COMMON_OPTIONS, MULTI_LAYER_CAM_DEFAULTS, {
  method: { type: 'choice', choices: MULTI_LAYER_CAM_METHODS, description: 'the CAM variant run on each layer' },
  layers: { type: 'layers', description: 'the layers whose maps are fused', defaultText: 'the default CAM layer and the last finer 4-D layer before it' },
  relu: { type: 'boolean', description: "keep each layer's positive evidence only, before scaling" },
  eigenSmooth: { type: 'boolean', description: 'each map is the first principal component of w·A (pytorch-grad-cam eigen_smooth)' },
  augSmooth: { type: 'boolean', description: 'each map averaged over the input and its mirror, ×0.9, ×1, ×1.1 (pytorch-grad-cam aug_smooth)' },
});

/** The fused map `[N,H,W]`. The caller owns the result. Options: MULTI_LAYER_CAM_OPTIONS. */
export async function multiLayerCam(model: Model, input: tf.Tensor, options: MultiLayerCamOptions = {}): Promise<tf.Tensor3D> {
  const where = 'multiLayerCam';
  checkModel(where, model);
  const o = resolveOptions(where, MULTI_LAYER_CAM_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const adapter = resolveModel(where, model);
  const layers = o.layers === null ? defaultLayers(where, model, x) : o.layers.map((l) => resolveCamLayer(where, adapter, x, l));
  const target = await resolveTarget(where, model, x, o.target, o);
  const { method, ...passed } = o;
  // Everything but the method and the layer list goes to the variant (target fixed, each layer in turn).
  const rest: Record<string, unknown> = { ...passed };
  delete rest.layers;
  let sum: tf.Tensor3D | null = null;
  try {
    for (const layer of layers) {
      const map = await VARIANTS[method](model, x, { ...rest, target, layer, upsample: true } as Parameters<typeof gradCam>[2]);
      const next = tf.tidy(() => {
        const shifted = tf.sub(map, tf.min(map, [1, 2], true));
        const scaled = tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7));
        return (sum ? tf.add(sum, scaled) : scaled) as tf.Tensor3D;
      });
      map.dispose();
      sum?.dispose();
      sum = next;
    }
    return tf.div(sum as tf.Tensor3D, layers.length) as tf.Tensor3D;
  } finally {
    sum?.dispose();
  }
}

/** The default CAM layer and the last 4-D layer before it with a larger spatial size, when there is one. */
function defaultLayers(where: string, model: Model, x: tf.Tensor4D): string[] {
  const adapter = resolveModel(where, model);
  const last = resolveCamLayer(where, adapter, x, null);
  const listed = adapter.layers({ inputSize: [x.shape[1], x.shape[2]] });
  const names = listed.map((l) => adapter.resolveLayer(l.shortName));
  const at = names.indexOf(last);
  const height = listed[at]?.outputShape?.[1];
  for (let i = at - 1; i >= 0; i--) {
    const s = listed[i].outputShape;
    if (s && s.length === 4 && typeof s[1] === 'number' && typeof height === 'number' && s[1] > height) return [names[i], last];
  }
  return [last];
}
