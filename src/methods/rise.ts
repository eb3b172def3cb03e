/**
 * RISE (Petsiuk, Das and Saenko 2018, "RISE: Randomized Input Sampling for Explanation of Black-box
 * Models"), as the authors' code (github.com/eclique/RISE) makes its masks: per mask, a `cells` × `cells`
 * grid of cells each on with probability `probability` (p), upsampled bilinearly to (cells + 1) · ⌈H /
 * cells⌉ × (cells + 1) · ⌈W / cells⌉ (scikit-image's `resize`, order 1: half-pixel centres, mirrored
 * edges), then cropped to H × W at a random shift of less than one cell per axis. The saliency of a pixel
 * is the score-weighted mean of the masks, normalized by p:
 *
 *   S(λ) = Σ_i F(x ⊙ M_i)(λ) · M_i(λ) / (N · p),   N = `samples` (the paper's default 4000, s = 7, p = 0.5).
 *
 * The masked image is x ⊙ M + b ⊙ (1 − M) with `baseline` b (default 0: the paper's x ⊙ M). Every item
 * uses the same masks (from `seed`). Departures: the explained score is pre-softmax unless `preSoftmax:
 * false` (the paper weighs by the class probability: pass `preSoftmax: false` for that), as for every
 * saliency-lab method; masks come from saliency-lab's seeded generator. Captum has no RISE in its
 * releases.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { COMMON_OPTIONS } from './common';
import { drawRandom, itemOf, perturbationContext, PerturbationOptions, PERTURBATION_BASELINE, PERTURBATION_BATCH, runGroupUnits, runSeed, unitLayout } from './group-perturbation';
import { extendSpecs } from './options';

/** A partial result (`onPartial`): `[N,H,W]`, each item's saliency from its masks so far (0 before the first); items run one after another. */
export type RisePartial = tf.Tensor3D;

export interface RiseOptions extends PerturbationOptions {
  /** Random masks per item (the paper's N). Default 4000. */
  samples?: number;
  /** Cells per side of each mask's random grid (the paper's s). Default 7. */
  cells?: number;
  /** Probability that a cell is on (the paper's p). Default 0.5. */
  probability?: number;
  /** What a masked-out pixel becomes: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
  /** Seed of the masks. Default (also `null`): a random seed. */
  seed?: number | null;
  /** Masked images per forward pass. Default 32. */
  batchSize?: number;
}

/** rise's own defaults (besides target and preSoftmax). */
export const RISE_DEFAULTS = { samples: 4000, cells: 7, probability: 0.5, baseline: 0 as number | tf.Tensor, seed: null as number | null, batchSize: 32 };

export const RISE_OPTIONS = extendSpecs(COMMON_OPTIONS, RISE_DEFAULTS, {
  samples: { type: 'integer', min: 1, max: 1000000, description: 'random masks per item (the paper’s N)' },
  cells: { type: 'integer', min: 1, max: 1000, description: 'cells per side of each random grid (the paper’s s)' },
  probability: { type: 'number', min: 0, exclusiveMin: true, max: 1, description: 'probability that a cell is on (the paper’s p)' },
  baseline: PERTURBATION_BASELINE,
  seed: { type: 'integer', description: 'seed of the masks', defaultText: 'random' },
  batchSize: { ...PERTURBATION_BATCH, description: 'masked images per forward pass' },
});

/** Index i of a length-n axis reflected about its end pixels (scipy's 'mirror': −1 → 1, n → n − 2). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j > n - 1) j = period - j;
  return j;
}

/** Linear interpolation weights of an upsampling from `n` to `out` at half-pixel centres, mirrored edges: per output index, [i0, i1, f]. */
function axisWeights(n: number, out: number): Float64Array {
  const wts = new Float64Array(3 * out);
  for (let o = 0; o < out; o++) {
    const u = ((o + 0.5) * n) / out - 0.5;
    const i0 = Math.floor(u);
    wts[3 * o] = mirror(i0, n);
    wts[3 * o + 1] = mirror(i0 + 1, n);
    wts[3 * o + 2] = u - i0;
  }
  return wts;
}

/** Mask `t` (h × w, values in [0, 1]) written into `out` at `offset`. */
export function riseMask(seed: number, t: number, h: number, w: number, cells: number, p: number, out: Float32Array, offset: number): void {
  const next = drawRandom(seed, t);
  const grid = new Float64Array(cells * cells);
  for (let i = 0; i < grid.length; i++) grid[i] = next() < p ? 1 : 0;
  const ch = Math.ceil(h / cells);
  const cw = Math.ceil(w / cells);
  const dy = Math.floor(next() * ch);
  const dx = Math.floor(next() * cw);
  const ys = axisWeights(cells, (cells + 1) * ch);
  const xs = axisWeights(cells, (cells + 1) * cw);
  for (let y = 0; y < h; y++) {
    const [a0, a1, fy] = [ys[3 * (y + dy)], ys[3 * (y + dy) + 1], ys[3 * (y + dy) + 2]];
    for (let x = 0; x < w; x++) {
      const [b0, b1, fx] = [xs[3 * (x + dx)], xs[3 * (x + dx) + 1], xs[3 * (x + dx) + 2]];
      const top = grid[a0 * cells + b0] * (1 - fx) + grid[a0 * cells + b1] * fx;
      const bottom = grid[a1 * cells + b0] * (1 - fx) + grid[a1 * cells + b1] * fx;
      out[offset + y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
}

/**
 * RISE saliency `[N,H,W]`. The caller owns the result. Options: RISE_OPTIONS, `onProgress(done, total)`
 * in masked images, `onPartial` (see RisePartial), `signal` (default: the kernel's) stops between batches
 * with an error named "AbortError".
 */
export async function rise(model: Model, input: tf.Tensor4D, options: RiseOptions = {}): Promise<tf.Tensor3D> {
  const where = 'rise';
  const { ctx, o } = await perturbationContext(where, model, input, RISE_OPTIONS, options);
  try {
    const [n, h, w] = ctx.shape;
    const seed = runSeed(o.seed);
    const S = o.samples;
    const { offsets, total } = unitLayout(new Array(n).fill(S));
    // Σ score · mask per item, accumulated as batches come back (masks are regenerated, not kept).
    const sums = Array.from({ length: n }, () => new Float64Array(h * w));
    let summed = 0;
    const one = new Float32Array(h * w);
    return await runGroupUnits(ctx, o, total, (u, out, offset) => {
      riseMask(seed, u - offsets[itemOf(offsets, u)], h, w, o.cells, o.probability, out, offset);
      return itemOf(offsets, u);
    }, (scores, _, done) => {
      for (; summed < done; summed++) {
        const item = itemOf(offsets, summed);
        riseMask(seed, summed - offsets[item], h, w, o.cells, o.probability, one, 0);
        const s = scores[summed];
        const acc = sums[item];
        for (let p = 0; p < h * w; p++) acc[p] += s * one[p];
      }
      const out = new Float32Array(n * h * w);
      for (let i = 0; i < n; i++) {
        const count = Math.max(0, Math.min(S, done - offsets[i]));
        if (count === 0) continue;
        const k = 1 / (count * o.probability);
        for (let p = 0; p < h * w; p++) out[i * h * w + p] = sums[i][p] * k;
      }
      return tf.tensor3d(out, [n, h, w]);
    });
  } finally {
    ctx.dispose();
  }
}
