/** Image files in and out: PNG and JPEG from paths, URLs and buffers; PNG or JPEG files from pictures. */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ready } from '../backend';
import { InputError, OptionError } from '../errors';
import { applyOrientation, jpegOrientation } from './exif';
import { ToImageOptions, toImage } from './image';

export interface LoadImageOptions {
  /**
   * Color behind transparent pixels of a PNG with alpha, in [0, 1]. Default [1, 1, 1] (white), as a
   * browser shows the picture on a white page.
   */
  background?: [number, number, number];
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

function startsWith(b: Uint8Array, magic: number[]): boolean {
  return magic.every((v, i) => b[i] === v);
}

async function readSource(where: string, src: unknown): Promise<{ bytes: Uint8Array; name: string }> {
  if (src instanceof Uint8Array) return { bytes: src, name: 'buffer' };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: 'buffer' };
  const url = src instanceof URL ? src : typeof src === 'string' && /^(https?|data|file):/i.test(src) ? new URL(src) : null;
  if (url) {
    if (url.protocol === 'file:') return readSource(where, decodeURIComponent(url.pathname));
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new InputError(where, `cannot fetch ${JSON.stringify(url.href.slice(0, 200))}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new InputError(where, `fetching ${JSON.stringify(url.href.slice(0, 200))} failed: HTTP ${res.status} ${res.statusText}`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), name: url.href.slice(0, 200) };
  }
  if (typeof src === 'string') {
    try {
      return { bytes: await fs.promises.readFile(src), name: src };
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new InputError(where, `cannot read ${JSON.stringify(src)}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  throw new InputError(where, `src must be a file path, URL (http, https, data, file) or Buffer/Uint8Array, but got ${src === null ? 'null' : typeof src}`);
}

/**
 * Loads a PNG or JPEG image from a file path, a URL (http, https, data:, file:) or bytes (Buffer,
 * Uint8Array, ArrayBuffer) into a float32 tensor of shape [H,W,3] with values in [0, 1] (RGB; gray
 * images are repeated into three channels; 16-bit PNGs are reduced to 8 bits; alpha is composited onto
 * `background`). The format is told from the bytes, not the name. A JPEG's EXIF orientation is applied,
 * so a phone photo comes out upright, as a browser shows it. The caller owns the tensor.
 */
export async function loadImage(src: string | URL | Uint8Array | ArrayBuffer, options: LoadImageOptions = {}): Promise<tf.Tensor3D> {
  const where = 'loadImage';
  const bg = options.background ?? [1, 1, 1];
  if (!Array.isArray(bg) || bg.length !== 3 || !bg.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
    throw new OptionError(where, `background must be [r, g, b] in [0, 1], but got ${JSON.stringify(bg)}`);
  }
  const { bytes, name } = await readSource(where, src);
  let rgba: Uint8Array, width: number, height: number;
  try {
    if (startsWith(bytes, PNG_MAGIC)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      [rgba, width, height] = [png.data, png.width, png.height];
    } else if (startsWith(bytes, JPEG_MAGIC)) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      const upright = applyOrientation(img.data, img.width, img.height, jpegOrientation(bytes));
      [rgba, width, height] = [upright.data, upright.width, upright.height];
    } else {
      const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new InputError(where, `${name}: unsupported image format (first bytes ${head || 'none'}); supported: PNG, JPEG`);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(where, `${name}: cannot decode: ${(e as Error).message}`);
  }
  const out = new Float32Array(width * height * 3);
  for (let p = 0, n = width * height; p < n; p++) {
    const a = rgba[p * 4 + 3] / 255;
    for (let k = 0; k < 3; k++) out[p * 3 + k] = (rgba[p * 4 + k] / 255) * a + bg[k] * (1 - a);
  }
  await ready();
  return tf.tensor3d(out, [height, width, 3], 'float32');
}

export interface SaveImageOptions extends ToImageOptions {
  /** JPEG quality, 1..100, for .jpg and .jpeg paths. Default 90. */
  quality?: number;
}

/**
 * Writes a picture to `path`: PNG, or JPEG when the name ends in .jpg or .jpeg. Takes an RGBAImage or an
 * image tensor / host array as toPNG does (float in [0, 1] by default). Creates missing folders. Async;
 * the caller keeps the tensor.
 */
export async function saveImage(file: string, imageOrTensor: unknown, options: SaveImageOptions = {}): Promise<void> {
  const where = 'saveImage';
  if (typeof file !== 'string' || file.length === 0) throw new InputError(where, `path must be a non-empty string, but got ${JSON.stringify(file)}`);
  const ext = path.extname(file).toLowerCase();
  if (!['.png', '.jpg', '.jpeg'].includes(ext)) {
    throw new OptionError(where, `cannot tell the format from ${JSON.stringify(file)}; extensions: .png, .jpg, .jpeg`);
  }
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new OptionError(where, `quality must be an integer in 1..100, but got ${quality}`);
  const img = await toImage(where, imageOrTensor, options);
  const bytes = ext === '.png'
    ? img.toPNG()
    : jpeg.encode({ data: img.data, width: img.width, height: img.height }, quality).data;
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.promises.writeFile(file, bytes);
}
