/**
 * Baseline distributions, for the methods that average over many references (GradientShap,
 * DeepLiftShap, Expected Gradients): the `baselines` option, checked and turned into a table of
 * baseline rows and, for each batch item, the rows it draws from.
 *
 * `baselines` is
 * - `'zeros'`: one all-zero baseline;
 * - `'minMax'`: two constant baselines per item, at the item's smallest and at its largest value (over
 *   all pixels and channels: XRAI's "black and white" baselines, PAIR's `_make_baselines`);
 * - a number: one constant baseline;
 * - a tensor `[B,H,W,C]`: B baselines shared by every item (Captum's baseline distribution: its first
 *   dimension counts the baselines, not the inputs), or `[H,W,C]` (or `[1,H,W,C]`): one baseline.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../errors';
import { checkFinite, showValue } from './options';

export const BASELINE_DISTRIBUTIONS = ['zeros', 'minMax'] as const;
export type BaselineDistribution = (typeof BASELINE_DISTRIBUTIONS)[number] | number | tf.Tensor;

/** The option spec's type part (each method adds its default and description). */
export const BASELINES_TYPE = { type: 'baselines', choices: BASELINE_DISTRIBUTIONS } as const;

/**
 * A checked distribution: `rows` `[K, d]` (d = H·W·C) holds every baseline once, and `choices[i]` lists
 * the rows item i draws from. The caller owns `rows`.
 */
export interface Baselines {
  rows: tf.Tensor2D;
  choices: number[][];
}

/**
 * Checks `baselines` against the input `x` `[N,H,W,C]` and builds the table. A value that is not a
 * distribution is an OptionError; a tensor that cannot serve (disposed, wrong shape, NaN or Infinity) an
 * InputError, as for the input itself.
 */
export async function checkBaselines(where: string, v: unknown, x: tf.Tensor4D): Promise<Baselines> {
  const [n, h, w, c] = x.shape;
  const d = h * w * c;
  const shared = (k: number) => Array.from({ length: n }, () => Array.from({ length: k }, (_, j) => j));
  if (v === 'zeros') return { rows: tf.zeros([1, d]), choices: shared(1) };
  if (typeof v === 'number' && Number.isFinite(v)) return { rows: tf.fill([1, d], v), choices: shared(1) };
  if (v === 'minMax') {
    const rows = tf.tidy(() => {
      const flat = x.reshape([n, d]);
      const lo = tf.mul(tf.ones([n, d]), tf.min(flat, 1, true));
      const hi = tf.mul(tf.ones([n, d]), tf.max(flat, 1, true));
      // Rows 2i and 2i + 1: item i's minimum and maximum.
      return tf.stack([lo, hi], 1).reshape([2 * n, d]) as tf.Tensor2D;
    });
    return { rows, choices: Array.from({ length: n }, (_, i) => [2 * i, 2 * i + 1]) };
  }
  if (!(v instanceof tf.Tensor)) {
    throw new OptionError(where, `baselines must be ${BASELINE_DISTRIBUTIONS.map((b) => `'${b}'`).join(', ')}, a finite number or a tf.Tensor [B,${h},${w},${c}] of B baselines, got ${showValue(v)}`);
  }
  if (v.isDisposed) throw new InputError(where, 'baselines tensor is disposed');
  const s = v.shape;
  const fits = (s.length === 3 && s[0] === h && s[1] === w && s[2] === c) || (s.length === 4 && s[0] >= 1 && s[1] === h && s[2] === w && s[3] === c);
  if (!fits) throw new InputError(where, `baselines of shape [${s}] do not fit the input [${x.shape}]: give [B,${h},${w},${c}] (B baselines) or [${h},${w},${c}] (one)`);
  await checkFinite(where, 'baselines', v);
  const k = s.length === 3 ? 1 : s[0];
  return { rows: tf.tidy(() => tf.cast(v, 'float32').reshape([k, d]) as tf.Tensor2D), choices: shared(k) };
}

/**
 * Row r's picks as a matrix `[rows, k]` with one 1 per row at column `pick[r]`, so that `matMul(m, table)`
 * selects table rows without a gather (whose gradient wasm lacks). Sync; the caller owns the result.
 */
export function oneHotRows(pick: number[], k: number): tf.Tensor2D {
  const m = new Float32Array(pick.length * k);
  pick.forEach((j, r) => {
    m[r * k + j] = 1;
  });
  return tf.tensor2d(m, [pick.length, k]);
}
