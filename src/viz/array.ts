/**
 * Inputs of the viz functions: a tf.Tensor or a plain array with a shape. Everything here reads tensors
 * with `await tensor.data()` (never dataSync) and hands float32 host arrays to the viz core, so the viz
 * functions behave the same on every backend and never keep a tensor alive.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import { FloatArray, HostArray, MapStack, mapStack } from './core/arrays';

export type { FloatArray, HostArray };

/** What the viz functions accept for maps and images. */
export type ArrayInput = tf.Tensor | HostArray;

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

/** Reads a map or stack of maps, rejecting NaN and infinities. */
export async function readMaps(where: string, what: string, x: unknown): Promise<MapStack> {
  return mapStack(where, what, await readArray(where, what, x));
}

/** Float32 in the caller's kind: a new tensor (the caller owns it) for tensor input, else a host array. */
export function sameKind(like: unknown, data: Float32Array, shape: number[]): tf.Tensor | FloatArray {
  return isTensor(like) ? tf.tensor(data, shape, 'float32') : { data, shape };
}
