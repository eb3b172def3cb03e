/**
 * Feature ablation over pixel groups, with Captum's `FeatureAblation` conventions: each group (a
 * superpixel, a grid cell or the caller's label, see ./pixel-groups) is replaced by the baseline in turn,
 * all channels together, and every pixel of the group gets the score drop
 *
 *   φ_g = F(x) − F(x with group g set to the baseline),
 *
 * Captum's baseline default 0. One forward pass per (item, group); `batchSize` perturbed images go
 * through the model at once. Departures from Captum: the result is `[N,H,W]` (a group spans all channels,
 * so every channel would hold the same number, as for occlusion); the explained score is pre-softmax
 * unless `preSoftmax: false`, as for every saliency-lab method; Captum's default groups are single
 * scalars, here SLIC superpixels (`groups`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { COMMON_OPTIONS } from './common';
import { groupMap, itemOf, perturbationContext, PerturbationOptions, PERTURBATION_BASELINE, PERTURBATION_BATCH, runGroupUnits, unitLayout } from './group-perturbation';
import { extendSpecs } from './options';
import { GROUP_DEFAULTS, GROUP_TYPES, Groups, resolveGroups } from './pixel-groups';

/** A partial result of feature ablation (`onPartial`): the map `[N,H,W]` from the groups ablated so far (0 elsewhere); groups run item by item. */
export type FeatureAblationPartial = tf.Tensor3D;

export interface FeatureAblationOptions extends PerturbationOptions {
  /** Pixel groups: 'slic' superpixels per item, a 'grid', or an integer label mask `[H,W]` or `[N,H,W]`. Default `slic`. */
  groups?: Groups;
  /** About how many groups 'slic' and 'grid' make. Default 16. */
  segments?: number;
  /** SLIC's weight of distance in space against colour (colours rescaled to [0, 1]). Default 0.1. */
  compactness?: number;
  /** What a switched-off pixel becomes: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
  /** Perturbed images per forward pass. Default 32. */
  batchSize?: number;
}

/** featureAblation's own defaults (besides target and preSoftmax). */
export const FEATURE_ABLATION_DEFAULTS = { ...GROUP_DEFAULTS, baseline: 0 as number | tf.Tensor, batchSize: 32 };

export const FEATURE_ABLATION_OPTIONS = extendSpecs(COMMON_OPTIONS, FEATURE_ABLATION_DEFAULTS, {
  ...GROUP_TYPES, baseline: PERTURBATION_BASELINE, batchSize: PERTURBATION_BATCH,
});

/**
 * Feature-ablation map `[N,H,W]`. The caller owns the result. Options: FEATURE_ABLATION_OPTIONS,
 * `onProgress(done, total)` in perturbed images, `onPartial` (see FeatureAblationPartial), `signal`
 * (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function featureAblation(model: Model, input: tf.Tensor4D, options: FeatureAblationOptions = {}): Promise<tf.Tensor3D> {
  const where = 'featureAblation';
  const { ctx, o } = await perturbationContext(where, model, input, FEATURE_ABLATION_OPTIONS, options);
  try {
    const groups = await resolveGroups(where, ctx.x, o);
    const { offsets, total } = unitLayout(groups.counts);
    return await runGroupUnits(ctx, o, total, (u, out, offset) => {
      const item = itemOf(offsets, u);
      const g = u - offsets[item];
      const labels = groups.labels[item];
      for (let p = 0; p < labels.length; p++) out[offset + p] = labels[p] === g ? 0 : 1;
      return item;
    }, (scores, _, done) => {
      const values = groups.counts.map((m, i) => Float64Array.from({ length: m }, (__, g) => (offsets[i] + g < done ? ctx.clean[i] - scores[offsets[i] + g] : 0)));
      return groupMap(ctx, groups, values);
    });
  } finally {
    ctx.dispose();
  }
}
