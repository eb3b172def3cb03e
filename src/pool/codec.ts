/**
 * Tensors across a worker boundary: a value holding tensors (arrays and plain objects walked, nulls and
 * JSON values kept) becomes a structured-clone-able value with each tensor as `{__tensor: true, data,
 * shape, dtype}`, and back. Errors cross as their class name, message and fields, and come back as the
 * same typed class (see ../errors) so that `instanceof` still holds.
 */
import * as tf from '@tensorflow/tfjs';
import * as errors from '../errors';

interface EncodedTensor {
  __tensor: true;
  data: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: tf.DataType;
}

/** A copy of `v` with each tensor replaced by its data (read synchronously: wasm and cpu only). */
export function encode(v: unknown): unknown {
  if (v instanceof tf.Tensor) {
    return { __tensor: true, data: v.dataSync() as Float32Array, shape: v.shape.slice(), dtype: v.dtype } satisfies EncodedTensor;
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

/** `encode`'s inverse: new tensors, owned by the caller. */
export function decode(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && (v as EncodedTensor).__tensor === true) {
    const t = v as EncodedTensor;
    return tf.tensor(t.data, t.shape, t.dtype);
  }
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  return v;
}

/** The transferable buffers of an encoded value (so results move rather than copy). */
export function transferables(v: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (v !== null && typeof v === 'object') {
    if ((v as EncodedTensor).__tensor === true) {
      const b = (v as EncodedTensor).data.buffer;
      if (b instanceof ArrayBuffer && !out.includes(b)) out.push(b);
    } else if (!ArrayBuffer.isView(v)) Object.values(v).forEach((x) => transferables(x, out));
  }
  return out;
}

export interface EncodedError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

export function encodeError(e: unknown): EncodedError {
  if (e instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(e)) if (x === null || ['string', 'number', 'boolean'].includes(typeof x) || Array.isArray(x)) fields[k] = x;
    return { name: e.name, message: e.message, stack: e.stack, fields };
  }
  return { name: 'Error', message: String(e), fields: {} };
}

/** The error as its own class when it is one of ours (CancelledError is named "AbortError"), else an Error. */
export function decodeError(e: EncodedError): Error {
  const classes = errors as unknown as Record<string, unknown>;
  const cls = e.name === 'AbortError' ? errors.CancelledError : classes[e.name];
  const isOurs = typeof cls === 'function' && (cls === errors.SaliencyError || (cls as { prototype: unknown }).prototype instanceof errors.SaliencyError);
  const out: Error = isOurs ? Object.create((cls as { prototype: object }).prototype) : new Error();
  Object.defineProperty(out, 'message', { value: e.message, writable: true, configurable: true });
  Object.assign(out, e.fields);
  out.name = e.name;
  if (e.stack) out.stack = e.stack;
  return out;
}
