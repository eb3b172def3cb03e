/**
 * Pixels: 8-bit RGBA pictures on plain typed arrays, and the one rule that turns a float into a byte.
 * A Pixels is what `new ImageData(data, width, height)` takes in a browser; the kernel side wraps it in
 * an RGBAImage without copying.
 */
import { OptionError } from './errors';

export type RGB = [number, number, number];

/** Row-major RGBA, 4 bytes a pixel, `width * height * 4` long. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** A new picture, every byte 0 (transparent black). */
export function newPixels(width: number, height: number): Pixels {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

export const clamp01 = (t: number): number => (t > 0 ? (t < 1 ? t : 1) : 0);

/**
 * Float to byte, the one rounding rule of viz: round half up, clamp to 0..255, NaN to 0. (Writing a
 * float into a Uint8ClampedArray rounds half to even instead: never rely on it.)
 */
export const toByte = (v: number): number => (v > 0 ? (v < 255 ? (v + 0.5) | 0 : 255) : 0);

/** The byte order of this machine's 32-bit words, for writing whole RGBA pixels at once. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An opaque RGBA pixel as the 32-bit word whose bytes are r, g, b, 255 in memory (r, g, b are bytes). */
export function packRGB(r: number, g: number, b: number): number {
  return LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

/** The pixels as 32-bit words (one a pixel), sharing the memory. */
export function pixelWords(p: Pixels): Uint32Array {
  return new Uint32Array(p.data.buffer, p.data.byteOffset, p.width * p.height);
}

/**
 * Float image data to pixels: `c` channels a pixel (1 gray, 3 RGB, 4 RGBA), values in [lo, hi] to
 * 0..255 by toByte (outside clamped; NaN counts as the value 0); alpha 255 unless c is 4.
 */
export function imageToPixels(data: ArrayLike<number>, h: number, w: number, c: 1 | 3 | 4, lo: number, hi: number): Pixels {
  const out = newPixels(w, h);
  const px = out.data;
  const scale = 255 / (hi - lo || 1);
  const byte = (v: number): number => toByte(((v || 0) - lo) * scale);
  for (let p = 0, q = 0, i = 0, n = w * h; p < n; p++, q += 4, i += c) {
    if (c === 1) {
      const g = byte(data[i]);
      px[q] = g; px[q + 1] = g; px[q + 2] = g;
    } else {
      px[q] = byte(data[i]); px[q + 1] = byte(data[i + 1]); px[q + 2] = byte(data[i + 2]);
    }
    px[q + 3] = c === 4 ? byte(data[i + 3]) : 255;
  }
  return out;
}

/** Checks an [r, g, b] option with values in 0..255. */
export function checkColor(where: string, name: string, c: unknown): RGB {
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && v >= 0 && v <= 255)) {
    throw new OptionError(where, `${name} must be [r, g, b] with values in 0..255, but got ${JSON.stringify(c)}`);
  }
  return [c[0], c[1], c[2]];
}
