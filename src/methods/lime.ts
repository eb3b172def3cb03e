/**
 * LIME over pixel groups (Ribeiro, Singh and Guestrin 2016, "Why Should I Trust You?"), with Captum's
 * `Lime` defaults: `samples` draws (Captum's `n_samples`, default 50), each group kept with probability
 * 1/2 (the rest set to the baseline, default 0); each perturbed image x̃ weighted by an exponential kernel
 * of its distance to the input, exp(−d² / (2 · kernelWidth²)) with d the cosine distance 1 − x·x̃ /
 * max(|x||x̃|, 1e-8) (or `distance: 'euclidean'`, |x − x̃|), over the whole input; a weighted lasso with
 * an intercept, α = `alpha` (Captum's `SkLearnLasso(alpha=0.01)`: scikit-learn's objective
 * 1/(2Σw) Σ w (y − b − zβ)² + α‖β‖₁), fitted per item on the binary vectors z; the coefficients β are the
 * attributions, spread to every pixel of their group. `alpha: 0` fits weighted least squares.
 *
 * Departures from Captum: the fit runs here in float64 (coordinate descent to a tighter tolerance than
 * scikit-learn's default, so the coefficients are the lasso's optimum rather than within 1e-4 of it);
 * the result is `[N,H,W]`; scores pre-softmax unless `preSoftmax: false`; the default groups are SLIC
 * superpixels (Captum: single scalars); draws come from saliency-lab's seeded generator, the same for
 * every item with the same number of groups.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { COMMON_OPTIONS } from './common';
import { drawRandom, perturbationContext, PerturbationOptions, PERTURBATION_BASELINE, PERTURBATION_BATCH, runSeed } from './group-perturbation';
import { extendSpecs } from './options';
import { GROUP_DEFAULTS, GROUP_TYPES, Groups, resolveGroups } from './pixel-groups';
import { runSurrogate } from './surrogate';

/** A partial result (`onPartial`): `[N,H,W]`, each item's surrogate fitted on its samples so far (0 before the first); items run one after another. */
export type LimePartial = tf.Tensor3D;

export const LIME_DISTANCES = ['cosine', 'euclidean'] as const;
export type LimeDistance = (typeof LIME_DISTANCES)[number];

export interface LimeOptions extends PerturbationOptions {
  /** Pixel groups: 'slic' superpixels per item, a 'grid', or an integer label mask `[H,W]` or `[N,H,W]`. Default `slic`. */
  groups?: Groups;
  /** About how many groups 'slic' and 'grid' make. Default 16. */
  segments?: number;
  /** SLIC's weight of distance in space against colour (colours rescaled to [0, 1]). Default 0.1. */
  compactness?: number;
  /** What a switched-off pixel becomes: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
  /** Perturbed samples per item (Captum's n_samples). Default 50. */
  samples?: number;
  /** Seed of the draws. Default (also `null`): a random seed. */
  seed?: number | null;
  /** The lasso's α (0: weighted least squares). Default 0.01. */
  alpha?: number;
  /** Width of the exponential kernel on the distance. Default 1. */
  kernelWidth?: number;
  /** Distance between the input and a perturbed image: 'cosine' or 'euclidean'. Default `cosine`. */
  distance?: LimeDistance;
  /** Perturbed images per forward pass. Default 32. */
  batchSize?: number;
}

/** lime's own defaults (besides target and preSoftmax). */
export const LIME_DEFAULTS = {
  ...GROUP_DEFAULTS, baseline: 0 as number | tf.Tensor, samples: 50, seed: null as number | null,
  alpha: 0.01, kernelWidth: 1, distance: 'cosine' as LimeDistance, batchSize: 32,
};

export const LIME_OPTIONS = extendSpecs(COMMON_OPTIONS, LIME_DEFAULTS, {
  ...GROUP_TYPES, baseline: PERTURBATION_BASELINE,
  samples: { type: 'integer', min: 1, max: 100000, description: 'perturbed samples per item (Captum’s n_samples)' },
  seed: { type: 'integer', description: 'seed of the draws', defaultText: 'random' },
  alpha: { type: 'number', min: 0, description: "the lasso's α (Captum's SkLearnLasso); 0: weighted least squares" },
  kernelWidth: { type: 'number', min: 0, exclusiveMin: true, description: 'width of the exponential similarity kernel' },
  distance: { type: 'choice', choices: LIME_DISTANCES, description: 'distance of a perturbed image to the input, for its weight' },
  batchSize: PERTURBATION_BATCH,
});

/**
 * LIME map `[N,H,W]`: the surrogate's coefficient of each pixel's group. The caller owns the result.
 * Options: LIME_OPTIONS, `onProgress(done, total)` in perturbed images, `onPartial` (see LimePartial),
 * `signal` (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function lime(model: Model, input: tf.Tensor4D, options: LimeOptions = {}): Promise<tf.Tensor3D> {
  const where = 'lime';
  const { ctx, o } = await perturbationContext(where, model, input, LIME_OPTIONS, options);
  try {
    const groups = await resolveGroups(where, ctx.x, o);
    const seed = runSeed(o.seed);
    const width2 = 2 * o.kernelWidth * o.kernelWidth;
    return await runSurrogate(ctx, o, groups, {
      samples: () => o.samples,
      draw: (m, t) => {
        const next = drawRandom(seed, t);
        return Float32Array.from({ length: m }, () => (next() < 0.5 ? 1 : 0));
      },
      weight: (_, stats, xx) => {
        const [dot, pp, dd] = [stats[0], stats[1], stats[2]];
        const d = o.distance === 'cosine' ? 1 - dot / Math.max(Math.sqrt(xx * pp), 1e-8) : Math.sqrt(Math.max(dd, 0));
        return Math.exp(-(d * d) / width2);
      },
      stats: true,
      alpha: o.alpha,
    });
  } finally {
    ctx.dispose();
  }
}
