/**
 * ROAD, RemOve And Debias (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for
 * Attribution Methods"): pixels are removed in the map's order and filled in by noisy linear imputation,
 * so that the removal itself leaks little about which pixels were removed (a black or blurred patch has
 * a shape the model can read; a smooth fill does not). Per item and removal fraction p:
 * - MoRF (most relevant first): the ⌊p·H·W⌋ pixels the map ranks highest are removed;
 * - LeRF (least relevant first): the ⌊p·H·W⌋ pixels it ranks lowest are removed;
 * and the target's score of the imputed image is recorded. A faithful map makes the MoRF curve fall fast
 * and the LeRF curve stay high.
 *
 * Noisy linear imputation (the paper's `NoisyLinearImputer`): every removed pixel takes the weighted mean
 * of its 8 neighbours inside the image (weights 1/6 for the 4 edge neighbours, 1/12 for the 4 diagonal
 * ones, renormalized at the border), where removed neighbours are unknowns too: one sparse linear system
 * per item, channel by channel, solved exactly (banded Cholesky, float64), then N(0, noise²) is added to
 * each imputed value (noise 0.01, absolute, as the paper's code). A component of removed pixels always
 * borders a kept pixel unless every pixel is removed, so the system is regular for p < 1; p = 1 is refused.
 *
 * Results: the curves over `fractions` (default 0.1, ..., 0.9, the averaging grid of the paper and of
 * pytorch-grad-cam), their trapezoid area over the fractions given (`morfAuc`, `lerfAuc`), and
 * `combined` = mean over the fractions of (LeRF − MoRF) / 2, pytorch-grad-cam's `ROADCombined` (its
 * per-fraction differences from the clean score cancel in the difference). Higher `combined` is better.
 *
 * Where this departs from the reference code (Rong et al.'s `road` package and pytorch-grad-cam's
 * `pytorch_grad_cam/metrics/road.py`):
 * - `fractions` is the share *removed* for both orders. Both references take, for LeRF, the share *kept*
 *   (the original `th_p` removes `salient_order[int(HW·p):]`; pytorch-grad-cam's
 *   `ROADLeastRelevantFirst(percentile=20)` keeps the top 20%), so their LeRF at p is LeRF at 1 − p here;
 *   over the symmetric default grid the averages are the same.
 * - The ranking is exact: ⌊p·H·W⌋ pixels (as the original's `int()`), ties in row-major order (as
 *   `deletion`); the original breaks ties with a fixed 1e-4 Gaussian jitter, pytorch-grad-cam thresholds
 *   at `np.percentile`, which removes all pixels tied at the threshold.
 * - The score is the target's probability by default (`preSoftmax: false`, as `deletion`); the paper
 *   reports accuracy over a data set, pytorch-grad-cam whatever target function it is given.
 *
 * Long-running: the (order, fraction) pairs go through the batch loop (`batchSize` pairs per forward
 * pass, each N images), with `onProgress`, `signal` and `onPartial` (the scores so far `[pairs, N]`, MoRF
 * pairs first).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector } from '../methods/common';
import { runBatches } from '../methods/loop';
import { extendSpecs, resolveOptions, showValue } from '../methods/options';
import { mulberry32, standardNormal } from '../random';
import { checkMap } from './common';

export interface RoadOptions extends CommonOptions, LoopOptions<tf.Tensor2D> {
  /** Fractions of pixels removed, increasing, each in [0, 1). Default 0.1, 0.2, ..., 0.9. */
  fractions?: number[];
  /** σ of the Gaussian noise added to each imputed value, input units. Default 0.01 (the paper's). */
  noise?: number;
  /** Seed of the imputation noise. Default (also `null`): a random seed. */
  seed?: number | null;
}

/** Per item: MoRF and LeRF curves over the removal fractions, their areas, and the combined score. */
export interface Road {
  fractions: number[];
  /** The target's score of the clean input, per item. */
  original: number[];
  /** `morf[i][k]`: item i's score with fraction k of its most relevant pixels removed and imputed. */
  morf: number[][];
  /** `lerf[i][k]`: the same with the least relevant pixels removed. */
  lerf: number[][];
  /** Trapezoid area under each curve over the fractions given (not normalized by their span). */
  morfAuc: number[];
  lerfAuc: number[];
  /** Mean over the fractions of (LeRF − MoRF) / 2 (pytorch-grad-cam's ROADCombined); higher is better. */
  combined: number[];
}

export const ROAD_FRACTIONS: readonly number[] = Object.freeze([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);

export const ROAD_DEFAULTS = { preSoftmax: false, noise: 0.01, seed: null as number | null, batchSize: 4 };

export const ROAD_OPTIONS = extendSpecs(COMMON_OPTIONS, ROAD_DEFAULTS, {
  preSoftmax: { type: 'boolean', description: 'score before a final softmax (default: the probability, as deletion)' },
  noise: { type: 'number', min: 0, description: 'σ of the Gaussian noise added to each imputed value (input units)' },
  seed: { type: 'integer', description: 'seed of the imputation noise', defaultText: 'random' },
  batchSize: { type: 'integer', min: 1, description: '(order, fraction) pairs per forward pass (each N images)' },
});

/** Neighbour offsets [dy, dx] and weights of the paper's linear imputation. */
const NEIGHBOURS: readonly [number, number, number][] = [
  [-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12], [0, -1, 1 / 6], [0, 1, 1 / 6], [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12],
];

/**
 * Noisy linear imputation of one image `[H,W,C]` (row-major, channels last): returns a copy whose pixels
 * with `removed[p]` set hold the solution of the linear system described in the module comment, plus
 * `noise` × N(0, 1) from `rand`. At least one pixel must be kept.
 */
export function noisyLinearImpute(image: ArrayLike<number>, h: number, w: number, c: number, removed: Uint8Array, noise: number, rand: () => number): Float32Array {
  const out = Float32Array.from(image);
  const px = h * w;
  const vars = new Int32Array(px).fill(-1);
  const unknowns: number[] = [];
  for (let p = 0; p < px; p++) if (removed[p]) vars[p] = unknowns.push(p) - 1;
  const n = unknowns.length;
  if (n === 0) return out;
  if (n === px) throw new Error('noisyLinearImpute: internal: every pixel removed');
  // Lower bandwidth of the system in the unknowns' (row-major) order.
  let band = 0;
  for (let i = 0; i < n; i++) {
    const y = Math.floor(unknowns[i] / w), x = unknowns[i] % w;
    for (const [dy, dx] of NEIGHBOURS) {
      const yy = y + dy, xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      const j = vars[yy * w + xx];
      if (j >= 0 && i - j > band) band = i - j;
    }
  }
  const bw = band + 1;
  // M = D − W_uu (symmetric positive definite), stored as rows of the lower band: M[i][j] at i·bw + j − i + band.
  const m = new Float64Array(n * bw);
  const rhs = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(unknowns[i] / w), x = unknowns[i] % w;
    let diag = 0;
    for (const [dy, dx, wt] of NEIGHBOURS) {
      const yy = y + dy, xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      diag += wt;
      const q = yy * w + xx;
      const j = vars[q];
      if (j < 0) for (let ch = 0; ch < c; ch++) rhs[i * c + ch] += wt * image[q * c + ch];
      else if (j < i) m[i * bw + j - i + band] -= wt;
    }
    m[i * bw + band] = diag;
  }
  // Banded Cholesky in place: M = L Lᵀ.
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - band);
    for (let j = lo; j <= i; j++) {
      let s = m[i * bw + j - i + band];
      const kLo = Math.max(lo, j - band);
      for (let k = kLo; k < j; k++) s -= m[i * bw + k - i + band] * m[j * bw + k - j + band];
      if (j === i) m[i * bw + band] = Math.sqrt(s);
      else m[i * bw + j - i + band] = s / m[j * bw + band];
    }
  }
  const sol = new Float64Array(n);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < n; i++) {
      let s = rhs[i * c + ch];
      for (let k = Math.max(0, i - band); k < i; k++) s -= m[i * bw + k - i + band] * sol[k];
      sol[i] = s / m[i * bw + band];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = sol[i];
      for (let k = i + 1; k <= Math.min(n - 1, i + band); k++) s -= m[k * bw + i - k + band] * sol[k];
      sol[i] = s / m[i * bw + band];
    }
    for (let i = 0; i < n; i++) out[unknowns[i] * c + ch] = sol[i] + (noise > 0 ? noise * standardNormal(rand) : 0);
  }
  return out;
}

function checkFractions(where: string, v: unknown): number[] {
  const ok = Array.isArray(v) && v.length > 0 && v.every((f) => typeof f === 'number' && Number.isFinite(f) && f >= 0 && f < 1);
  if (!ok) throw new OptionError(where, `fractions must be a non-empty array of numbers in [0, 1) (the share of pixels removed), got ${showValue(v)}`);
  const f = v as number[];
  for (let k = 1; k < f.length; k++) {
    if (!(f[k] > f[k - 1])) throw new OptionError(where, `fractions must be increasing, got ${f[k - 1]} then ${f[k]}`);
  }
  return f;
}

/** ⌊p·H·W⌋, with a little slack so that 0.29 · 100 counts 29; below H·W for every p < 1. */
function removedCount(p: number, px: number): number {
  return Math.min(px - 1, Math.floor(p * px + 1e-9));
}

/** Trapezoid area of y over x. */
function area(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let k = 1; k < x.length; k++) s += ((x[k] - x[k - 1]) * (y[k] + y[k - 1])) / 2;
  return s;
}

/** ROAD curves of maps `[N,H,W]` for inputs `[N,H,W,C]`; see the module comment. */
export async function road(model: Model, input: tf.Tensor, map: tf.Tensor, options: RoadOptions = {}): Promise<Road> {
  const where = 'road';
  checkModel(where, model);
  const o = resolveOptions(where, ROAD_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const [n, h, w, c] = x.shape;
  const m = await checkMap(where, 'map', map, [n, h, w]);
  const px = h * w;
  const fractions = checkFractions(where, options.fractions ?? [...ROAD_FRACTIONS]);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const [values, pixels] = await Promise.all([m.data(), x.data()]);
  // Each item's pixels, most relevant first (a stable sort keeps row-major order among ties).
  const orders = Array.from({ length: n }, (_, i) => {
    const off = i * px;
    return Int32Array.from(Array.from({ length: px }, (_, p) => p).sort((a, b) => values[off + b] - values[off + a]));
  });
  const fCount = fractions.length;
  const total = 2 * fCount;
  const all = Array.from({ length: n }, (_, i) => i);
  const clean = tf.tidy(() => rowSelector(where, resolved, all)(forwardScores(where, model, x, o)));
  const original = Array.from(await clean.data());
  clean.dispose();
  const scores = await runBatches<tf.Tensor2D, tf.Tensor2D | null, tf.Tensor2D>({
    where, total, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
    initial: null,
    evaluate: (u0, u1) => {
      const size = px * c;
      const batch = new Float32Array((u1 - u0) * n * size);
      for (let u = u0; u < u1; u++) {
        const morf = u < fCount;
        const k = removedCount(fractions[u % fCount], px);
        for (let i = 0; i < n; i++) {
          const removed = new Uint8Array(px);
          const order = orders[i];
          for (let r = 0; r < k; r++) removed[morf ? order[r] : order[px - 1 - r]] = 1;
          const rand = mulberry32((seed + 7919 * (u * n + i)) >>> 0);
          const img = noisyLinearImpute(pixels.subarray(i * size, (i + 1) * size), h, w, c, removed, o.noise, rand);
          batch.set(img, ((u - u0) * n + i) * size);
        }
      }
      return tf.tidy(() => {
        const t = tf.tensor4d(batch, [(u1 - u0) * n, h, w, c]);
        const rows = Array.from({ length: (u1 - u0) * n }, (_, r) => r % n);
        return rowSelector(where, resolved, rows)(forwardScores(where, model, t, o)).reshape([u1 - u0, n]) as tf.Tensor2D;
      });
    },
    fold: (acc, b) => (acc ? (tf.concat([acc, b]) as tf.Tensor2D) : b),
    finish: (acc) => (acc as tf.Tensor2D).clone(),
  });
  const flat = await scores.data();
  scores.dispose();
  const curve = (i: number, offset: number) => Array.from({ length: fCount }, (_, k) => flat[(offset + k) * n + i]);
  const morf = all.map((i) => curve(i, 0));
  const lerf = all.map((i) => curve(i, fCount));
  return {
    fractions: [...fractions], original, morf, lerf,
    morfAuc: morf.map((y) => area(fractions, y)),
    lerfAuc: lerf.map((y) => area(fractions, y)),
    combined: all.map((i) => lerf[i].reduce((s, v, k) => s + (v - morf[i][k]) / 2, 0) / fCount),
  };
}
