/**
 * Binary widget attributes: an n-d array as `{dtype, shape, data}`. On the wire the JSON part
 * (`{dtype, shape}`) travels in the state and `data` as a binary buffer at the path `[key, 'data']`, so
 * float maps and pixels never go through base64 in a live session (saved notebooks hold them as base64
 * buffers, as the widget state schema says). Browser-safe: used by the kernel side and the front end.
 */

export const ARRAY_DTYPES = ['float32', 'uint8'] as const;
export type ArrayDType = (typeof ARRAY_DTYPES)[number];

/** A binary attribute: float maps are float32, pixels uint8. Row-major. */
export interface WireArray<D extends ArrayDType = ArrayDType> {
  dtype: D;
  shape: number[];
  data: D extends 'float32' ? Float32Array : Uint8Array;
}

export function isWireArray(x: unknown): x is WireArray {
  if (typeof x !== 'object' || x === null) return false;
  const a = x as Partial<WireArray>;
  return (a.dtype === 'float32' || a.dtype === 'uint8') && Array.isArray(a.shape) && ArrayBuffer.isView(a.data);
}

export function floatArray(data: Float32Array, shape: number[]): WireArray<'float32'> {
  return { dtype: 'float32', shape, data };
}

export function byteArray(data: Uint8Array, shape: number[]): WireArray<'uint8'> {
  return { dtype: 'uint8', shape, data };
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A typed array over received bytes (a DataView, ArrayBuffer or Uint8Array from a comm or a saved
 * state). Copies when the bytes are not aligned for float32. Throws when the length does not match the
 * shape, naming the attribute.
 */
export function fromBytes(what: string, dtype: unknown, shape: unknown, bytes: ArrayBuffer | ArrayBufferView): WireArray {
  if (dtype !== 'float32' && dtype !== 'uint8') throw new Error(`${what}: dtype must be one of ${ARRAY_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${what}: shape must be a list of sizes, got ${JSON.stringify(shape)}`);
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = sizeOf(shape);
  const itemSize = dtype === 'float32' ? 4 : 1;
  if (view.byteLength !== n * itemSize) throw new Error(`${what}: shape [${shape.join(', ')}] needs ${n * itemSize} bytes of ${dtype}, got ${view.byteLength}`);
  if (dtype === 'uint8') return { dtype, shape, data: view };
  const aligned = view.byteOffset % 4 === 0 ? view : view.slice();
  return { dtype, shape, data: new Float32Array(aligned.buffer, aligned.byteOffset, n) };
}
