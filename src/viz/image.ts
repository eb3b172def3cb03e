/**
 * RGBAImage: 8-bit pixels, the one picture type of viz. Widgets take its `data` as a binary buffer; in a
 * notebook it shows itself through the display contract of src/display.ts.
 */
import { PNG } from 'pngjs';
import { DISPLAY, MimeBundle } from '../display';
import { InputError } from '../errors';
import { FloatArray, readArray } from './array';
import { Pixels, imageToPixels } from './core/pixels';

export class RGBAImage implements Pixels {
  readonly width: number;
  readonly height: number;
  /** Row-major RGBA, 4 bytes a pixel, `width * height * 4` long. */
  readonly data: Uint8ClampedArray;

  constructor(width: number, height: number, data?: Uint8ClampedArray) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new InputError('RGBAImage', `size must be positive integers, but got ${width}×${height}`);
    }
    const n = width * height * 4;
    if (data && data.length !== n) {
      throw new InputError('RGBAImage', `data must hold ${n} bytes for ${width}×${height}, but has ${data.length}`);
    }
    this.width = width;
    this.height = height;
    this.data = data ?? new Uint8ClampedArray(n);
  }

  /** The core's pixels as an RGBAImage, sharing their memory. */
  static from(p: Pixels): RGBAImage {
    return new RGBAImage(p.width, p.height, p.data);
  }

  /** PNG bytes (8-bit RGBA). */
  toPNG(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height, colorType: 6, inputColorType: 6, inputHasAlpha: true });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return new Uint8Array(PNG.sync.write(png, { colorType: 6 }));
  }

  /** The pixel at (x, y) as [r, g, b, a]. */
  pixel(x: number, y: number): [number, number, number, number] {
    const i = (y * this.width + x) * 4;
    const d = this.data;
    return [d[i], d[i + 1], d[i + 2], d[i + 3]];
  }

  [DISPLAY](): MimeBundle {
    return {
      'image/png': Buffer.from(this.toPNG()).toString('base64'),
      'text/plain': `RGBAImage ${this.width}×${this.height}`,
    };
  }
}

export interface ToImageOptions {
  /**
   * Value range of the input that maps to 0..255. Default: [0, 1] for float32 data, [0, 255] for int32
   * (and for host arrays of Uint8Array / Uint8ClampedArray).
   */
  range?: [number, number];
}

/**
 * An RGBAImage from pixels: shape [H,W] (gray), [H,W,1], [H,W,3], [H,W,4] or a batch of one of those.
 * Values outside the range are clamped; NaN counts as 0 (see imageToPixels in the viz core).
 */
export function floatToImage(where: string, a: FloatArray, range: [number, number]): RGBAImage {
  let s = a.shape;
  if (s.length === 4) {
    if (s[0] !== 1) throw new InputError(where, `image batch holds ${s[0]} images; pass one ([H,W,C] or [1,H,W,C])`);
    s = s.slice(1);
  }
  if (s.length === 2) s = [s[0], s[1], 1];
  if (s.length !== 3 || ![1, 3, 4].includes(s[2])) {
    throw new InputError(where, `image must have shape [H,W], [H,W,C] or [1,H,W,C] with C in 1, 3, 4, but got [${a.shape.join(', ')}]`);
  }
  const [h, w, c] = s;
  if (h === 0 || w === 0) throw new InputError(where, `image is empty (shape [${a.shape.join(', ')}])`);
  return RGBAImage.from(imageToPixels(a.data, h, w, c as 1 | 3 | 4, range[0], range[1]));
}

function defaultRange(x: unknown): [number, number] {
  const t = x as { dtype?: string; data?: unknown };
  if (t.dtype === 'int32' || t.dtype === 'bool' || t.data instanceof Uint8Array || t.data instanceof Uint8ClampedArray) {
    return t.dtype === 'bool' ? [0, 1] : [0, 255];
  }
  return [0, 1];
}

/** An RGBAImage from an RGBAImage (returned as is), a tensor or a host array. Async: tensors are read. */
export async function toImage(where: string, x: unknown, options: ToImageOptions = {}): Promise<RGBAImage> {
  if (x instanceof RGBAImage) return x;
  const range = options.range ?? defaultRange(x);
  if (!Array.isArray(range) || range.length !== 2 || !(range[1] > range[0])) {
    throw new InputError(where, `range must be [lo, hi] with hi > lo, but got ${JSON.stringify(range)}`);
  }
  return floatToImage(where, await readArray(where, 'image', x), range);
}

/**
 * PNG bytes of an RGBAImage, an image tensor ([H,W,3], [H,W,1], [H,W,4], [H,W] or a batch of one; float
 * values in [0, 1], int32 in [0, 255]) or a host array of such. Async because tensors are read with
 * `await data()`; the caller keeps ownership of the tensor.
 */
export async function toPNG(imageOrTensor: unknown, options: ToImageOptions = {}): Promise<Uint8Array> {
  return (await toImage('toPNG', imageOrTensor, options)).toPNG();
}
