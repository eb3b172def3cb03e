/**
 * Shapley value sampling over pixel groups (Castro, Gómez and Tejada 2009, "Polynomial calculation of the
 * Shapley value based on sampling"), with Captum's `ShapleyValueSampling` conventions: `samples` random
 * permutations of the groups (Captum's `n_samples`, default 25); along each, the groups are switched from
 * the baseline to the input one by one, and each group gets the score change its switch made; the
 * attribution is the mean over the permutations, spread to every pixel of the group:
 *
 *   φ_g = (1/S) Σ_s [F(x on the groups up to and including g in π_s) − F(x on those before g)].
 *
 * Each permutation's changes sum to F(x) − F(baseline) exactly, so the attributions do too (Captum's
 * completeness); as `samples` grows they converge to the exact Shapley values of the groups. Costs M − 1
 * forward passes per permutation per item (M groups): the last prefix is x itself, whose score is known.
 * Every item uses the same permutations (drawn from `seed`). Departures from Captum: the result is
 * `[N,H,W]`; scores pre-softmax unless `preSoftmax: false`; the default groups are SLIC superpixels;
 * the permutations come from saliency-lab's seeded generator, not torch's.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { COMMON_OPTIONS } from './common';
import { drawRandom, groupMap, itemOf, maskOf, permutation, perturbationContext, PerturbationOptions, PERTURBATION_BASELINE, PERTURBATION_BATCH, runGroupUnits, runSeed, unitLayout } from './group-perturbation';
import { extendSpecs } from './options';
import { GROUP_DEFAULTS, GROUP_TYPES, Groups, resolveGroups } from './pixel-groups';

/** A partial result (`onPartial`): `[N,H,W]`, each item's mean over the permutations completed so far (0 before its first); items run one after another. */
export type ShapleySamplingPartial = tf.Tensor3D;

export interface ShapleySamplingOptions extends PerturbationOptions {
  /** Pixel groups: 'slic' superpixels per item, a 'grid', or an integer label mask `[H,W]` or `[N,H,W]`. Default `slic`. */
  groups?: Groups;
  /** About how many groups 'slic' and 'grid' make. Default 16. */
  segments?: number;
  /** SLIC's weight of distance in space against colour (colours rescaled to [0, 1]). Default 0.1. */
  compactness?: number;
  /** What a switched-off pixel becomes: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
  /** Random permutations of the groups (Captum's n_samples). Default 25. */
  samples?: number;
  /** Seed of the permutations. Default (also `null`): a random seed. */
  seed?: number | null;
  /** Perturbed images per forward pass. Default 32. */
  batchSize?: number;
}

/** shapleyValueSampling's own defaults (besides target and preSoftmax). */
export const SHAPLEY_SAMPLING_DEFAULTS = { ...GROUP_DEFAULTS, baseline: 0 as number | tf.Tensor, samples: 25, seed: null as number | null, batchSize: 32 };

export const SHAPLEY_SAMPLING_OPTIONS = extendSpecs(COMMON_OPTIONS, SHAPLEY_SAMPLING_DEFAULTS, {
  ...GROUP_TYPES, baseline: PERTURBATION_BASELINE,
  samples: { type: 'integer', min: 1, max: 100000, description: 'random permutations of the groups (Captum’s n_samples)' },
  seed: { type: 'integer', description: 'seed of the permutations', defaultText: 'random' },
  batchSize: PERTURBATION_BATCH,
});

/**
 * Shapley value sampling map `[N,H,W]`. The caller owns the result. Options: SHAPLEY_SAMPLING_OPTIONS,
 * `onProgress(done, total)` in perturbed images, `onPartial` (see ShapleySamplingPartial), `signal`
 * (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function shapleyValueSampling(model: Model, input: tf.Tensor4D, options: ShapleySamplingOptions = {}): Promise<tf.Tensor3D> {
  const where = 'shapleyValueSampling';
  const { ctx, o } = await perturbationContext(where, model, input, SHAPLEY_SAMPLING_OPTIONS, options, true);
  try {
    const groups = await resolveGroups(where, ctx.x, o);
    const seed = runSeed(o.seed);
    const S = o.samples;
    const perms = new Map<string, Int32Array>();
    const perm = (m: number, s: number): Int32Array => {
      const key = `${m}:${s}`;
      let p = perms.get(key);
      if (!p) perms.set(key, (p = permutation(drawRandom(seed, s), m)));
      return p;
    };
    // Unit (item, s, j): the input on the first j + 1 groups of permutation s, for j = 0..M−2.
    const { offsets, total } = unitLayout(groups.counts.map((m) => S * (m - 1)));
    return await runGroupUnits(ctx, o, total, (u, out, offset) => {
      const item = itemOf(offsets, u);
      const m = groups.counts[item];
      const k = u - offsets[item];
      const s = Math.floor(k / (m - 1));
      const j = k % (m - 1);
      const keep = new Float32Array(m);
      const p = perm(m, s);
      for (let q = 0; q <= j; q++) keep[p[q]] = 1;
      maskOf(groups.labels[item], keep, out, offset);
      return item;
    }, (scores, _, done) => {
      const values = groups.counts.map((m, i) => {
        const phi = new Float64Array(m);
        const complete = m === 1 ? (offsets[i] <= done ? S : 0) : Math.max(0, Math.min(S, Math.floor((done - offsets[i]) / (m - 1))));
        for (let s = 0; s < complete; s++) {
          const p = perm(m, s);
          let prev = ctx.base[i];
          for (let j = 0; j < m; j++) {
            const cur = j < m - 1 ? scores[offsets[i] + s * (m - 1) + j] : ctx.clean[i];
            phi[p[j]] += cur - prev;
            prev = cur;
          }
        }
        if (complete > 0) for (let g = 0; g < m; g++) phi[g] /= complete;
        return phi;
      });
      return groupMap(ctx, groups, values);
    });
  } finally {
    ctx.dispose();
  }
}
