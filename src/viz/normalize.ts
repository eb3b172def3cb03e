/**
 * normalize and normalizeRange on tensors and host arrays: adapters that read the maps and hand them to
 * the viz core (src/viz/core/normalize.ts, where the modes, percentile clipping and scales are defined).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import { ArrayInput, FloatArray, HostArray, readMaps, sameKind } from './array';
import { NormalizeOptions, checkNormalizeOptions, normalizeStacks, scalesOf } from './core/normalize';

/**
 * Normalizes a map ([H,W] or [N,H,W]; tensor or `{data, shape}`), or an array of maps, to [0, 1]; see
 * src/viz/core/normalize.ts for modes, percentile clipping and the shared scale. Async: tensors are read with
 * `await data()`. Returns the input's kind and shape: for a tensor a new float32 tensor that the caller
 * owns (the input stays the caller's); for a host array a new `{data: Float32Array, shape}`.
 * Throws InputError for NaN or infinite values, or a shape that is not a map.
 */
export async function normalize(map: tf.Tensor, options?: NormalizeOptions): Promise<tf.Tensor>;
export async function normalize(map: HostArray, options?: NormalizeOptions): Promise<FloatArray>;
export async function normalize(maps: ArrayInput[], options?: NormalizeOptions): Promise<(tf.Tensor | FloatArray)[]>;
export async function normalize(
  input: ArrayInput | ArrayInput[],
  options: NormalizeOptions = {},
): Promise<tf.Tensor | FloatArray | (tf.Tensor | FloatArray)[]> {
  const where = 'normalize';
  const o = checkNormalizeOptions(where, options);
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new InputError(where, 'no maps given (empty array)');
  const stacks = await Promise.all(list.map((m, i) => readMaps(where, Array.isArray(input) ? `map ${i}` : 'map', m)));
  const { data } = normalizeStacks(stacks, o);
  const out = list.map((m, i) => sameKind(m, data[i], [...(m as tf.Tensor | HostArray).shape]));
  return Array.isArray(input) ? out : out[0];
}

/**
 * The [lo, hi] that `normalize` would use for each map, e.g. for a colorbar: result[i][m] is map m of
 * input i (for a single input, result[0]). In "abs" mode the range is of |x|; in "signed" it is [-hi, hi].
 */
export async function normalizeRange(input: ArrayInput | ArrayInput[], options: NormalizeOptions = {}): Promise<[number, number][][]> {
  const where = 'normalizeRange';
  const o = checkNormalizeOptions(where, options);
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new InputError(where, 'no maps given (empty array)');
  const stacks = await Promise.all(list.map((m, i) => readMaps(where, `map ${i}`, m)));
  return scalesOf(stacks, o);
}
