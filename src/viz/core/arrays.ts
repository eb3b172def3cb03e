/**
 * The plain arrays of viz: maps as stacks of 2-D float maps, images as float pixels with channels. The
 * kernel side reads tensors into these; the browser gets them from widget buffers.
 */
import { InputError } from './errors';

/** A plain array with a shape, e.g. `{ data: new Float32Array(h * w), shape: [h, w] }`. Row-major. */
export interface HostArray {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** A float32 host array, as the viz functions return for HostArray inputs. */
export interface FloatArray {
  data: Float32Array;
  shape: number[];
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

/** An image: h×w pixels of c channels (1 gray, 3 RGB), row-major, channels last. */
export interface HostImage {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
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

/** A checked map stack (shape and finite values, range known) from float data and its shape. */
export function mapStack(where: string, what: string, a: FloatArray): MapStack {
  const stack = asMapStack(where, what, a);
  stack.range = finiteRange(where, what, a);
  return stack;
}

/** An image from [H,W], [H,W,C] or [1,H,W,C] with C in 1, 3. */
export function asHostImage(where: string, a: FloatArray): HostImage {
  let s = a.shape;
  if (s.length === 4) {
    if (s[0] !== 1) throw new InputError(where, `image batch holds ${s[0]} images; pass one image ([H,W,C] or [1,H,W,C])`);
    s = s.slice(1);
  }
  if (s.length === 2) s = [s[0], s[1], 1];
  if (s.length !== 3 || (s[2] !== 1 && s[2] !== 3)) {
    throw new InputError(where, `image must have shape [H,W,3], [H,W,1], [H,W] or [1,H,W,C], but got [${a.shape.join(', ')}]`);
  }
  if (s[0] === 0 || s[1] === 0) throw new InputError(where, `image is empty (shape [${a.shape.join(', ')}])`);
  return { data: a.data, h: s[0], w: s[1], c: s[2] };
}

/** Where a pointer is on a map and the value there. */
export interface Readout {
  /** Map column and row under the pointer. */
  x: number;
  y: number;
  value: number;
}

/**
 * The value under a pointer for a hover readout: (px, py) in a view of viewWidth × viewHeight pixels
 * that shows map `index` of the stack stretched over the whole view (by default the view is the map's
 * own size). null when the pointer is outside the view.
 */
export function valueAt(map: MapStack, px: number, py: number, viewWidth = map.w, viewHeight = map.h, index = 0): Readout | null {
  if (!(px >= 0 && py >= 0 && px < viewWidth && py < viewHeight) || !(index >= 0 && index < map.n)) return null;
  const x = Math.min(map.w - 1, Math.floor((px * map.w) / viewWidth));
  const y = Math.min(map.h - 1, Math.floor((py * map.h) / viewHeight));
  return { x, y, value: map.data[index * map.h * map.w + y * map.w + x] };
}
