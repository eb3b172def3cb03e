/**
 * Inputs of the viz functions: a tf.Tensor or a plain array with a shape. Everything here reads tensors
 * with `await tensor.data()` (never dataSync) and works on float32 host arrays afterwards, so the viz
 * functions behave the same on every backend and never keep a tensor alive.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';

/** A plain array with a shape, e.g. `{ data: new Float32Array(h * w), shape: [h, w] }`. Row-major. */
export interface HostArray {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** What the viz functions accept for maps and images. */
export type ArrayInput = tf.Tensor | HostArray;

/** A float32 host array, as the viz functions return for HostArray inputs. */
export interface FloatArray {
  data: Float32Array;
  shape: number[];
}

export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

export function isHostArray(x: unknown): x is HostArray {
  if (typeof x !== 'object' || x === null || isTensor(x)) return false;
  const h = x as Partial<HostArray>;
  return Array.isArray(h.shape) && h.data != null && typeof (h.data as ArrayLike<number>).length === 'number';
}

/**
 * Reads a tensor or host array into float32, checking that shape and data agree. For a float32 tensor the
 * data may be the backend's own buffer (the cpu backend hands it out): callers never write into it.
 */
export async function readArray(where: string, what: string, x: unknown): Promise<FloatArray> {
  if (isTensor(x)) {
    if (x.isDisposed) throw new InputError(where, `${what} tensor is disposed`);
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new InputError(where, `${what} must be a numeric tensor, but got dtype ${x.dtype}`);
    }
    const values = await x.data();
    return { data: values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>), shape: x.shape.slice() };
  }
  if (isHostArray(x)) {
    const shape = x.shape.slice();
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InputError(where, `${what} shape [${shape.join(', ')}] must hold non-negative integers`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== x.data.length) {
      throw new InputError(where, `${what} shape [${shape.join(', ')}] needs ${size} values, but data has ${x.data.length}`);
    }
    // A copy, so that callers' arrays are never changed by in-place work.
    return { data: Float32Array.from(x.data), shape };
  }
  throw new InputError(where, `${what} must be a tf.Tensor or { data, shape }, but got ${describe(x)}`);
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return typeof x;
}

/**
 * The smallest and largest value, throwing InputError naming the first NaN or infinite value. One pass
 * does both, since every map is checked and most are then scaled by their range.
 */
export function finiteRange(where: string, what: string, a: FloatArray): [number, number] {
  const d = a.data;
  let lo = Infinity, hi = -Infinity;
  // x * 0 is NaN exactly for NaN and ±Infinity, so `probe` stays 0 for finite data.
  let probe = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    probe += v * 0;
  }
  if (probe !== 0) {
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        throw new InputError(where, `${what} holds ${d[i]} at index ${i} (shape [${a.shape.join(', ')}]); maps must be finite`);
      }
    }
  }
  return [lo, hi];
}

/** A stack of 2-D maps: n maps of h×w, stored one after another. */
export interface MapStack {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  /** [min, max] over all maps of the stack, when known (found while checking for NaN). */
  range?: [number, number];
}

/** Views a [H,W] or [N,H,W] array (also [N,H,W,1]) as a stack of maps. */
export function asMapStack(where: string, what: string, a: FloatArray): MapStack {
  const s = a.shape;
  let n: number, h: number, w: number;
  if (s.length === 2) [n, h, w] = [1, s[0], s[1]];
  else if (s.length === 3) [n, h, w] = [s[0], s[1], s[2]];
  else if (s.length === 4 && s[3] === 1) [n, h, w] = [s[0], s[1], s[2]];
  else throw new InputError(where, `${what} must have shape [H,W] or [N,H,W], but got [${s.join(', ')}]`);
  if (h === 0 || w === 0) throw new InputError(where, `${what} is empty (shape [${s.join(', ')}])`);
  return { data: a.data, n, h, w };
}

/** Reads a map or stack of maps, rejecting NaN and infinities. */
export async function readMaps(where: string, what: string, x: unknown): Promise<MapStack> {
  const a = await readArray(where, what, x);
  const stack = asMapStack(where, what, a);
  stack.range = finiteRange(where, what, a);
  return stack;
}

/** Float32 in the caller's kind: a new tensor (the caller owns it) for tensor input, else a host array. */
export function sameKind(like: unknown, data: Float32Array, shape: number[]): tf.Tensor | FloatArray {
  return isTensor(like) ? tf.tensor(data, shape, 'float32') : { data, shape };
}
