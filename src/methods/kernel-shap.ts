/**
 * KernelSHAP over pixel groups (Lundberg and Lee 2017, "A Unified Approach to Interpreting Model
 * Predictions"), with Captum's `KernelShap` conventions: of `samples` draws per item (Captum's
 * `n_samples`, default 25), the first keeps every group and the second none, each weighted 10⁶ (Captum's
 * stand-in for the Shapley kernel's infinite weight there); every later draw picks a size k from
 * p(k) ∝ (M − 1) / (k (M − k)), k = 1..M − 1, then k groups uniformly, weight 1 — sampling by the Shapley
 * kernel, so equal weights fit it; a weighted least-squares fit with an intercept (scikit-learn's
 * `LinearRegression`; minimum-norm when the draws do not determine it) gives the coefficients, which
 * converge to the exact Shapley values of the groups as `samples` grows, and are exact for a model
 * additive in the groups. Switched-off groups take the baseline (default 0).
 *
 * Departures from Captum: the fit runs in float64 here; the result is `[N,H,W]`; scores pre-softmax
 * unless `preSoftmax: false`; the default groups are SLIC superpixels; draws come from saliency-lab's
 * seeded generator, the same for every item with the same number of groups; an item with one group
 * takes its two fixed draws only (Captum fails there); `samples` is at least 2.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { COMMON_OPTIONS } from './common';
import { drawRandom, permutation, perturbationContext, PerturbationOptions, PERTURBATION_BASELINE, PERTURBATION_BATCH, runSeed } from './group-perturbation';
import { extendSpecs } from './options';
import { GROUP_DEFAULTS, GROUP_TYPES, Groups, resolveGroups } from './pixel-groups';
import { runSurrogate } from './surrogate';

/** A partial result (`onPartial`): `[N,H,W]`, each item's fit on its samples so far (0 before the first); items run one after another. */
export type KernelShapPartial = tf.Tensor3D;

export interface KernelShapOptions extends PerturbationOptions {
  /** Pixel groups: 'slic' superpixels per item, a 'grid', or an integer label mask `[H,W]` or `[N,H,W]`. Default `slic`. */
  groups?: Groups;
  /** About how many groups 'slic' and 'grid' make. Default 16. */
  segments?: number;
  /** SLIC's weight of distance in space against colour (colours rescaled to [0, 1]). Default 0.1. */
  compactness?: number;
  /** What a switched-off pixel becomes: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
  /** Samples per item, the two fixed ones included (Captum's n_samples). Default 25. */
  samples?: number;
  /** Seed of the draws. Default (also `null`): a random seed. */
  seed?: number | null;
  /** Perturbed images per forward pass. Default 32. */
  batchSize?: number;
}

/** kernelShap's own defaults (besides target and preSoftmax). */
export const KERNEL_SHAP_DEFAULTS = { ...GROUP_DEFAULTS, baseline: 0 as number | tf.Tensor, samples: 25, seed: null as number | null, batchSize: 32 };

export const KERNEL_SHAP_OPTIONS = extendSpecs(COMMON_OPTIONS, KERNEL_SHAP_DEFAULTS, {
  ...GROUP_TYPES, baseline: PERTURBATION_BASELINE,
  samples: { type: 'integer', min: 2, max: 100000, description: 'samples per item, all-on and all-off included (Captum’s n_samples)' },
  seed: { type: 'integer', description: 'seed of the draws', defaultText: 'random' },
  batchSize: PERTURBATION_BATCH,
});

/** The weight Captum gives the all-on and all-off samples. */
const ENDPOINT_WEIGHT = 1e6;

/** Draw t ≥ 2 for m groups: a size from the Shapley kernel's distribution over sizes, then that many groups. */
function kernelDraw(seed: number, m: number, t: number): Float32Array {
  const keep = new Float32Array(m);
  if (t === 0) return keep.fill(1);
  if (t === 1) return keep;
  const next = drawRandom(seed, t);
  let totalP = 0;
  for (let k = 1; k < m; k++) totalP += 1 / (k * (m - k));
  let u = next() * totalP;
  let size = m - 1;
  for (let k = 1; k < m; k++) {
    u -= 1 / (k * (m - k));
    if (u < 0) {
      size = k;
      break;
    }
  }
  const order = permutation(next, m);
  for (let q = 0; q < size; q++) keep[order[q]] = 1;
  return keep;
}

/**
 * KernelSHAP map `[N,H,W]`: each pixel its group's estimated Shapley value. The caller owns the result.
 * Options: KERNEL_SHAP_OPTIONS, `onProgress(done, total)` in perturbed images, `onPartial` (see
 * KernelShapPartial), `signal` (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function kernelShap(model: Model, input: tf.Tensor4D, options: KernelShapOptions = {}): Promise<tf.Tensor3D> {
  const where = 'kernelShap';
  const { ctx, o } = await perturbationContext(where, model, input, KERNEL_SHAP_OPTIONS, options);
  try {
    const groups = await resolveGroups(where, ctx.x, o);
    const seed = runSeed(o.seed);
    return await runSurrogate(ctx, o, groups, {
      samples: (m) => (m === 1 ? 2 : o.samples),
      draw: (m, t) => kernelDraw(seed, m, t),
      weight: (keep) => {
        let on = 0;
        for (const k of keep) on += k;
        return on === 0 || on === keep.length ? ENDPOINT_WEIGHT : 1;
      },
      stats: false,
      alpha: 0,
    });
  } finally {
    ctx.dispose();
  }
}
