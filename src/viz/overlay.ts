/** Composition of a saliency map with its image: heatmap, alpha, mask and contour overlays. */
import { InputError, OptionError } from '../errors';
import { ArrayInput, FloatArray, MapStack, readArray, readMaps } from './array';
import { ColormapSpec, colormapLUT } from './colormap';
import { checkSigma, resizeStack, smoothStack } from './filters';
import { RGBAImage } from './image';
import { NormalizeOptions, ScaleCoefficients, checkNormalizeOptions, coefficients, percentile, scalesOf } from './normalize';

export const OVERLAY_MODES = ['heatmap', 'alpha', 'mask', 'contour'] as const;
export type OverlayMode = (typeof OVERLAY_MODES)[number];
export const RESIZE_MODES = ['bilinear', 'none'] as const;

export interface HeatmapOptions {
  /** Colormap name or function. Default "jet" (the Grad-CAM convention). */
  colormap?: ColormapSpec;
  /** How the map is brought to [0, 1] (see normalize). Default: min-max per map. */
  normalize?: NormalizeOptions;
  /** Gaussian smoothing of the map before normalizing, sigma in pixels of the output. Default 0 (none). */
  sigma?: number;
}

export interface OverlayOptions extends HeatmapOptions {
  /**
   * - "heatmap" (default): the colored map over the image with opacity `alpha`, where the normalized map
   *   is at least `threshold`.
   * - "alpha": the map as transparency: the image where the map is 1, `background` where it is 0.
   * - "mask": the image where the map is in its top `topPercent` percent, `background` elsewhere.
   * - "contour": the image with the outline of the top `topPercent` region drawn in `contourColor`.
   */
  mode?: OverlayMode;
  /** Opacity of the heatmap, in [0, 1]. Default 0.5. */
  alpha?: number;
  /** Normalized values below this are not colored ("heatmap" mode), in [0, 1]. Default 0. */
  threshold?: number;
  /**
   * Size of the kept region in "mask" and "contour" modes, percent of pixels in (0, 100]: the pixels at or
   * above the (100 - topPercent)-th percentile of the map (values tied at the cut are all kept). Default 10.
   */
  topPercent?: number;
  /** Color outside the kept region ("mask") and where the map is 0 ("alpha"). Default [0, 0, 0]. */
  background?: [number, number, number];
  /** Outline color ("contour"). Default [255, 255, 0]. */
  contourColor?: [number, number, number];
  /** Outline width in pixels ("contour"). Default 2. */
  contourWidth?: number;
  /** Image values that map to 0 and 255. Default [0, 1]. */
  imageRange?: [number, number];
  /**
   * A map of another size than the image is resized bilinearly ("bilinear", default) when the aspect ratios
   * agree within 2%; "none" requires equal sizes.
   */
  resize?: (typeof RESIZE_MODES)[number];
}

export const OVERLAY_DEFAULTS = {
  mode: 'heatmap' as OverlayMode,
  colormap: 'jet' as ColormapSpec,
  normalize: {} as NormalizeOptions,
  sigma: 0,
  alpha: 0.5,
  threshold: 0,
  topPercent: 10,
  background: [0, 0, 0] as [number, number, number],
  contourColor: [255, 255, 0] as [number, number, number],
  contourWidth: 2,
  imageRange: [0, 1] as [number, number],
  resize: 'bilinear' as (typeof RESIZE_MODES)[number],
};

/** Rounds and clamps to 0..255 (NaN to 0). */
const toByte = (v: number): number => (v > 0 ? (v < 255 ? (v + 0.5) | 0 : 255) : 0);

/** The byte order of this machine's 32-bit words, for writing whole RGBA pixels at once. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An opaque RGBA pixel as the 32-bit word whose bytes are r, g, b, 255 in memory. */
function packRGB(r: number, g: number, b: number): number {
  return LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

/** Entries of the colormap lookup table used for rendering: finer than any 8-bit difference matters. */
const LUT_SIZE = 1024;

function checkUnit(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new OptionError(where, `${name} must be in [0, 1], but got ${String(v)}`);
  return v;
}

function checkColor(where: string, name: string, c: unknown): [number, number, number] {
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && v >= 0 && v <= 255)) {
    throw new OptionError(where, `${name} must be [r, g, b] with values in 0..255, but got ${JSON.stringify(c)}`);
  }
  return [c[0], c[1], c[2]];
}

function checkChoice<T extends string>(where: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(v)) {
    throw new OptionError(where, `invalid ${name} ${JSON.stringify(v)}; choices: ${choices.join(', ')}`);
  }
  return v as T;
}

/** An image as h, w, c and float data, from [H,W], [H,W,C] or [1,H,W,C] with C in 1, 3. */
interface HostImage {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

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

/** A map at image size, not yet normalized, with the coefficients that normalize it. */
interface PreparedMap {
  data: Float32Array;
  coef: ScaleCoefficients;
}

/** The one map of a stack, brought to h×w (resized if allowed) and smoothed; its scale per `normalize`. */
function prepareMap(where: string, s: MapStack, h: number, w: number, o: typeof OVERLAY_DEFAULTS): PreparedMap {
  if (s.n !== 1) throw new InputError(where, `map batch holds ${s.n} maps; pass one map ([H,W] or [1,H,W])`);
  let m = s;
  if (s.h !== h || s.w !== w) {
    const ratioMap = s.w / s.h, ratioImage = w / h;
    if (o.resize === 'none' || Math.abs(ratioMap / ratioImage - 1) > 0.02) {
      throw new InputError(
        where,
        `map size ${s.h}×${s.w} does not match image size ${h}×${w}` +
          (o.resize === 'none' ? ' and resize is "none"' : ' and cannot be resized to it: the aspect ratios differ'),
      );
    }
    m = { data: resizeStack(s, h, w), n: 1, h, w };
  }
  // Smoothing changes the range: the stack's known range is not carried over.
  if (o.sigma > 0) m = { data: smoothStack(m, o.sigma), n: 1, h, w };
  const norm = checkNormalizeOptions(where, o.normalize);
  return { data: m.data, coef: coefficients(scalesOf([m], norm)[0][0], norm.mode) };
}

/** The normalized values of a prepared map, in [0, 1]. */
function normalized({ data, coef: { a, b, abs } }: PreparedMap): Float32Array {
  const t = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = a * (abs ? Math.abs(data[i]) : data[i]) + b;
    t[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return t;
}

function resolve(where: string, options: OverlayOptions): typeof OVERLAY_DEFAULTS {
  const o = { ...OVERLAY_DEFAULTS, ...options };
  checkChoice(where, 'mode', o.mode, OVERLAY_MODES);
  checkChoice(where, 'resize', o.resize, RESIZE_MODES);
  checkSigma(where, o.sigma);
  checkUnit(where, 'alpha', o.alpha);
  checkUnit(where, 'threshold', o.threshold);
  if (typeof o.topPercent !== 'number' || !(o.topPercent > 0 && o.topPercent <= 100)) {
    throw new OptionError(where, `topPercent must be in (0, 100], but got ${String(o.topPercent)}`);
  }
  checkColor(where, 'background', o.background);
  checkColor(where, 'contourColor', o.contourColor);
  if (!Number.isInteger(o.contourWidth) || o.contourWidth < 1) {
    throw new OptionError(where, `contourWidth must be an integer >= 1, but got ${String(o.contourWidth)}`);
  }
  const r = o.imageRange;
  if (!Array.isArray(r) || r.length !== 2 || !(r[1] > r[0])) {
    throw new OptionError(where, `imageRange must be [lo, hi] with hi > lo, but got ${JSON.stringify(r)}`);
  }
  checkNormalizeOptions(where, o.normalize);
  return o;
}

/** Top `percent`% of t: t >= the (100 - percent)-th percentile. */
function topRegion(t: Float32Array, percent: number): Uint8Array {
  const cut = percentile(t, 100 - percent);
  const region = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) region[i] = t[i] >= cut ? 1 : 0;
  return region;
}

/** Pixels of the region within `width` pixels (Chebyshev distance) of a pixel outside it. */
function outline(region: Uint8Array, h: number, w: number, width: number): Uint8Array {
  const edge = new Uint8Array(region.length);
  const r = width;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!region[y * w + x]) continue;
      search: for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          if (!region[yy * w + xx]) { edge[y * w + x] = 1; break search; }
        }
      }
    }
  }
  return edge;
}

/**
 * Draws a saliency map over its image and returns the picture (an RGBAImage; the map stays a number
 * array, so compose again with other options at will). `image`: [H,W,3], [H,W,1], [H,W] or [1,H,W,C],
 * values in `imageRange` ([0, 1] by default); `map`: [H,W] or [1,H,W]. A map of another size is resized
 * bilinearly when the aspect ratios agree; then it is smoothed (`sigma`), normalized (`normalize`) and
 * drawn per `mode`. Async: tensors are read with `await data()`; the caller keeps both inputs.
 *
 *   await overlay(image, saliency, { sigma: 4, colormap: 'inferno', alpha: 0.6 })   // seed-style overlay
 */
export async function overlay(image: ArrayInput, map: ArrayInput, options: OverlayOptions = {}): Promise<RGBAImage> {
  const where = 'overlay';
  const o = resolve(where, options);
  const img = asHostImage(where, await readArray(where, 'image', image));
  const { h, w, c } = img;
  const prepared = prepareMap(where, await readMaps(where, 'map', map), h, w, o);
  const out = new RGBAImage(w, h);
  const px = out.data;
  const n = h * w;
  const [lo, hi] = o.imageRange;
  const src = img.data;
  // Channel offsets: a gray image reads its one channel three times.
  const g1 = c === 3 ? 1 : 0, g2 = c === 3 ? 2 : 0;
  if (o.mode === 'heatmap') {
    // One pass: normalize, look up the color, blend with the image (the hot path of the benchmark).
    const lut = colormapLUT(o.colormap, LUT_SIZE);
    const alpha = o.alpha, k = (255 / (hi - lo)) * (1 - alpha), k0 = -lo * k;
    const full = 255 / (hi - lo), full0 = -lo * full;
    const lutA = Float32Array.from(lut, (v) => v * alpha);
    const { a, b, abs } = prepared.coef, m = prepared.data, threshold = o.threshold;
    // Whole pixels as 32-bit words: a quarter of the stores of byte writes.
    const out32 = new Uint32Array(px.buffer, px.byteOffset, n);
    for (let p = 0, i = 0; p < n; p++, i += c) {
      let t = a * (abs ? Math.abs(m[p]) : m[p]) + b;
      t = t > 0 ? (t < 1 ? t : 1) : 0;
      let r: number, g: number, bl: number;
      if (t < threshold) {
        r = src[i] * full + full0; g = src[i + g1] * full + full0; bl = src[i + g2] * full + full0;
      } else {
        const l = ((t * (LUT_SIZE - 1) + 0.5) | 0) * 3;
        r = src[i] * k + k0 + lutA[l]; g = src[i + g1] * k + k0 + lutA[l + 1]; bl = src[i + g2] * k + k0 + lutA[l + 2];
      }
      out32[p] = packRGB(toByte(r), toByte(g), toByte(bl));
    }
    return out;
  }
  // The other modes: image to bytes, then change pixels per mode.
  const scale = 255 / (hi - lo);
  for (let p = 0, q = 0, i = 0; p < n; p++, q += 4, i += c) {
    px[q] = (src[i] - lo) * scale; px[q + 1] = (src[i + g1] - lo) * scale; px[q + 2] = (src[i + g2] - lo) * scale;
    px[q + 3] = 255;
  }
  const t = normalized(prepared);
  const [br, bg, bb] = o.background;
  switch (o.mode) {
    case 'alpha':
      for (let p = 0; p < n; p++) {
        const q = p * 4, v = t[p];
        px[q] = br + (px[q] - br) * v;
        px[q + 1] = bg + (px[q + 1] - bg) * v;
        px[q + 2] = bb + (px[q + 2] - bb) * v;
      }
      break;
    case 'mask': {
      const region = topRegion(t, o.topPercent);
      for (let p = 0; p < n; p++) {
        if (region[p]) continue;
        const q = p * 4;
        px[q] = br; px[q + 1] = bg; px[q + 2] = bb;
      }
      break;
    }
    case 'contour': {
      const edge = outline(topRegion(t, o.topPercent), h, w, o.contourWidth);
      const [cr, cg, cb] = o.contourColor;
      for (let p = 0; p < n; p++) {
        if (!edge[p]) continue;
        const q = p * 4;
        px[q] = cr; px[q + 1] = cg; px[q + 2] = cb;
      }
      break;
    }
  }
  return out;
}

/**
 * The map alone in a colormap, as an RGBAImage of its own size: [H,W] or [1,H,W]. Smoothed (`sigma`) and
 * normalized (`normalize`) first. Async; the caller keeps the map.
 */
export async function heatmap(map: ArrayInput, options: HeatmapOptions = {}): Promise<RGBAImage> {
  const where = 'heatmap';
  const o = { ...OVERLAY_DEFAULTS, ...options };
  checkSigma(where, o.sigma);
  checkNormalizeOptions(where, o.normalize);
  const s = await readMaps(where, 'map', map);
  const { data: m, coef: { a, b, abs } } = prepareMap(where, s, s.h, s.w, o);
  const lut = colormapLUT(o.colormap, LUT_SIZE);
  const out = new RGBAImage(s.w, s.h);
  const n = s.h * s.w;
  const words = new Uint32Array(LUT_SIZE);
  for (let l = 0; l < LUT_SIZE; l++) words[l] = packRGB(lut[l * 3], lut[l * 3 + 1], lut[l * 3 + 2]);
  const out32 = new Uint32Array(out.data.buffer, out.data.byteOffset, n);
  for (let p = 0; p < n; p++) {
    let t = a * (abs ? Math.abs(m[p]) : m[p]) + b;
    t = t > 0 ? (t < 1 ? t : 1) : 0;
    out32[p] = words[(t * (LUT_SIZE - 1) + 0.5) | 0];
  }
  return out;
}
