/**
 * What the measures share: checks of maps and masks at the public boundary, host-side rank statistics,
 * and the trapezoid AUC. Measures return plain numbers (arrays per batch item) that viz can plot; they
 * own no tensors the caller must dispose.
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { InputError, OptionError } from '../errors';
import { checkFinite, showValue } from '../methods/options';

/** Checks a saliency map: a float32 tf.Tensor `[N,H,W]`, finite, optionally of a given shape. */
export async function checkMap(where: string, what: string, map: unknown, shape?: readonly number[]): Promise<tf.Tensor3D> {
  await ready();
  if (!(map instanceof tf.Tensor)) throw new InputError(where, `${what} must be a tf.Tensor of shape [N,H,W], got ${map === null ? 'null' : typeof map}`);
  if (map.isDisposed) throw new InputError(where, `${what} tensor is disposed`);
  if (map.rank !== 3) {
    const hint = map.rank === 4 ? ' (reduce the channels of an input-shaped map first, e.g. with reduceChannels)' : '';
    throw new InputError(where, `${what} must be rank 3 [N,H,W], but got rank ${map.rank} (shape [${map.shape}])${hint}`);
  }
  if (map.dtype !== 'float32') throw new InputError(where, `${what} must be float32, but got ${map.dtype}`);
  if (map.size === 0) throw new InputError(where, `${what} has an empty dimension: shape [${map.shape}]`);
  if (shape && shape.some((d, i) => d !== map.shape[i])) {
    throw new InputError(where, `${what} shape [${map.shape}] does not match [${shape}]`);
  }
  await checkFinite(where, what, map);
  return map as tf.Tensor3D;
}

/** Ranks 1..n of the values, ties sharing their mean rank (as scipy.stats.rankdata's default). */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === v[order[i]]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = mean;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation; 0 when either side is constant (no ordering to agree with). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation: Pearson of the tie-averaged ranks (as scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Spearman rank correlation between two maps, per item. `absolute` ranks |values| (Adebayo et al. 2018
 * report both). Returns one number per item in [-1, 1].
 */
export async function rankCorrelation(a: tf.Tensor, b: tf.Tensor, options: { absolute?: boolean } = {}): Promise<number[]> {
  const where = 'rankCorrelation';
  const ma = await checkMap(where, 'a', a);
  const mb = await checkMap(where, 'b', b, ma.shape);
  const [va, vb] = await Promise.all([ma.data(), mb.data()]);
  const [n, h, w] = ma.shape;
  const px = h * w;
  const abs = options.absolute === true;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let xa: ArrayLike<number> = va.subarray(i * px, (i + 1) * px);
    let xb: ArrayLike<number> = vb.subarray(i * px, (i + 1) * px);
    if (abs) {
      xa = Float32Array.from(xa as Float32Array, Math.abs);
      xb = Float32Array.from(xb as Float32Array, Math.abs);
    }
    out.push(spearman(xa, xb));
  }
  return out;
}

/** The area under a curve sampled at equal steps over [0, 1], by the trapezoid rule (as RISE's `auc`). */
export function trapezoidAuc(curve: ArrayLike<number>): number {
  const k = curve.length;
  if (k < 2) return k === 1 ? curve[0] : 0;
  let s = 0;
  for (let i = 0; i < k; i++) s += curve[i];
  return (s - curve[0] / 2 - curve[k - 1] / 2) / (k - 1);
}

export interface SsimOptions {
  /** Side of the square averaging window, odd. Default 7 (skimage's `win_size`). */
  windowSize?: number;
  /** The data range R in C1 = (0.01 R)², C2 = (0.03 R)². Default: max − min over both maps of the item. */
  dataRange?: number | null;
}

/**
 * Mean structural similarity (Wang et al. 2004) of two maps per item, computed as skimage's
 * `structural_similarity` with its defaults (uniform `windowSize`² window, K1 0.01, K2 0.03, sample
 * covariances, the mean over window centres at least (windowSize − 1)/2 pixels from the border). skimage
 * needs `data_range` for float images; the default here is the range of the item's two maps together.
 */
export async function ssim(a: tf.Tensor, b: tf.Tensor, options: SsimOptions = {}): Promise<number[]> {
  const where = 'ssim';
  const win = options.windowSize ?? 7;
  const ma = await checkMap(where, 'a', a);
  const mb = await checkMap(where, 'b', b, ma.shape);
  const [n, h, w] = ma.shape;
  if (!Number.isInteger(win) || win < 3 || win % 2 === 0 || win > Math.min(h, w)) {
    throw new OptionError(where, `windowSize must be an odd integer from 3 to the map's smaller side ${Math.min(h, w)}, got ${showValue(win)}`);
  }
  const given = options.dataRange;
  if (given !== undefined && given !== null && !(typeof given === 'number' && Number.isFinite(given) && given > 0)) {
    throw new OptionError(where, `dataRange must be a number > 0, got ${showValue(given)}`);
  }
  const [va, vb] = await Promise.all([ma.data(), mb.data()]);
  const px = h * w;
  const np = win * win;
  const covNorm = np / (np - 1);
  const r = Math.floor(win / 2);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = va.subarray(i * px, (i + 1) * px);
    const y = vb.subarray(i * px, (i + 1) * px);
    let range = given ?? 0;
    if (given === undefined || given === null) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < px; p++) {
        lo = Math.min(lo, x[p], y[p]);
        hi = Math.max(hi, x[p], y[p]);
      }
      range = hi > lo ? hi - lo : 1;
    }
    const c1 = (0.01 * range) ** 2;
    const c2 = (0.03 * range) ** 2;
    let sum = 0;
    let count = 0;
    for (let cy = r; cy < h - r; cy++) {
      for (let cx = r; cx < w - r; cx++) {
        let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const p = (cy + dy) * w + cx + dx;
            sx += x[p];
            sy += y[p];
            sxx += x[p] * x[p];
            syy += y[p] * y[p];
            sxy += x[p] * y[p];
          }
        }
        const ux = sx / np, uy = sy / np;
        const vx = covNorm * (sxx / np - ux * ux), vy = covNorm * (syy / np - uy * uy), vxy = covNorm * (sxy / np - ux * uy);
        sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        count++;
      }
    }
    out.push(sum / count);
  }
  return out;
}
