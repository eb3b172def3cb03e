/**
 * Drawing of widget views on plain typed arrays, shared by the front end (canvas redraws of look-only
 * controls, no kernel round trip) and the kernel side (the `image/png` of the current view). Both draw
 * the same pixels from the same state. Browser-safe: it reaches the viz code only through `./look`.
 */
import { OptionError } from '../viz/core';
import { applyScale, colormapLUT, percentile, scalesOf, smoothStack, checkNormalizeOptions, type NormalizeMode } from './look';

export const NORMALIZATIONS = ['minmax', 'percentile', 'signed'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];
export const MASKS = ['none', 'threshold', 'topk'] as const;
export type MaskMode = (typeof MASKS)[number];
export const SCALE_MODES = ['shared', 'per-map'] as const;
export type ScaleMode = (typeof SCALE_MODES)[number];

/** The look-only controls of a heatmap view. */
export interface Look {
  /** Colormap name (a viz colormap, with or without "_r"). */
  colormap: string;
  /** Opacity of the heatmap over the image, in [0, 1]. */
  opacity: number;
  /** "minmax", "percentile" (min-max with both ends clipped at `percentile`) or "signed" (0 in the middle). */
  normalization: Normalization;
  /** Clipping percentile for "percentile" (and "signed"), in [50, 100]. */
  percentile: number;
  /** "none", "threshold" (color only where the normalized map ≥ threshold) or "topk" (its top `topk` %). */
  mask: MaskMode;
  threshold: number;
  /** Percent of pixels kept by the "topk" mask, in (0, 100]. */
  topk: number;
  /** Gaussian smoothing of the map before normalizing, in pixels (0: none). */
  sigma: number;
}

export const LOOK_DEFAULTS: Look = {
  colormap: 'jet', opacity: 0.5, normalization: 'minmax', percentile: 99, mask: 'none', threshold: 0.2, topk: 20, sigma: 0,
};

const luts = new Map<string, Uint8Array>();

/** 256 colors of a colormap as r, g, b bytes (cached per name). */
export function lut(name: string): Uint8Array {
  let l = luts.get(name);
  if (!l) luts.set(name, (l = colormapLUT(name, 256)));
  return l;
}

function normalizeOptions(look: Look): { mode: NormalizeMode; percentile: number } {
  if (look.normalization === 'signed') return { mode: 'signed', percentile: look.percentile };
  return { mode: 'minmax', percentile: look.normalization === 'percentile' ? look.percentile : 100 };
}

/**
 * Smoothed maps by buffer, then by offset, length and sigma. Widget maps are never written in place (an
 * update brings new arrays), so a look change other than sigma reuses the smoothing done for the last one.
 */
const smoothCache = new WeakMap<ArrayBufferLike, Map<string, Float32Array>>();
const SMOOTH_CACHE_SIZE = 64;

/** The map smoothed per `look.sigma` (a cached array, or the map itself when sigma is 0). Do not write into it. */
export function smoothed(map: Float32Array, h: number, w: number, look: Look): Float32Array {
  if (!(look.sigma > 0)) return map;
  let byBuffer = smoothCache.get(map.buffer);
  if (!byBuffer) smoothCache.set(map.buffer, (byBuffer = new Map()));
  const key = `${map.byteOffset}/${map.length}/${h}/${look.sigma}`;
  let out = byBuffer.get(key);
  if (!out) {
    out = smoothStack({ data: map, n: 1, h, w }, look.sigma);
    if (byBuffer.size >= SMOOTH_CACHE_SIZE) byBuffer.delete(byBuffer.keys().next().value as string);
    byBuffer.set(key, out);
  }
  return out;
}

/** [lo, hi] of the values of several (smoothed) maps together, in `look`'s normalization. */
export function rangeOf(maps: Float32Array[], h: number, w: number, look: Look): [number, number] {
  const o = checkNormalizeOptions('widget', normalizeOptions(look));
  const stacks = maps.map((data) => ({ data, n: 1, h, w }));
  return scalesOf(stacks, { ...o, scale: 'shared' })[0][0];
}

/** A normalized map in [0, 1] with the scale [lo, hi] it used. */
export interface Normalized {
  t: Float32Array;
  range: [number, number];
}

/** Normalizes an already smoothed map, on its own range or on a given (shared) one. */
export function normalizeMap(map: Float32Array, h: number, w: number, look: Look, range?: [number, number]): Normalized {
  const r = range ?? rangeOf([map], h, w, look);
  const t = new Float32Array(map.length);
  applyScale(map, t, r, normalizeOptions(look).mode);
  return { t, range: r };
}

/** Which pixels get color: all, those at or above the threshold, or the top k percent. */
function keep(t: Float32Array, look: Look): number {
  if (look.mask === 'threshold') return look.threshold;
  if (look.mask === 'topk') return percentile(t, 100 - look.topk);
  return -Infinity;
}

/**
 * Draws a normalized map over an RGB image (uint8, h×w×3; or none: the map alone) into an RGBA buffer
 * of row length `outW` at (x0, y0), each pixel a `zoom`×`zoom` block.
 */
export function drawHeatmap(
  out: Uint8ClampedArray, outW: number, x0: number, y0: number,
  t: Float32Array, h: number, w: number, look: Look, image: Uint8Array | null, zoom = 1,
): void {
  const colors = lut(look.colormap);
  const cut = keep(t, look);
  const a = image ? look.opacity : 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const v = t[p];
      let r: number, g: number, b: number;
      const ir = image ? image[p * 3] : 0, ig = image ? image[p * 3 + 1] : 0, ib = image ? image[p * 3 + 2] : 0;
      if (v >= cut) {
        const l = ((v * 255 + 0.5) | 0) * 3;
        r = ir + (colors[l] - ir) * a; g = ig + (colors[l + 1] - ig) * a; b = ib + (colors[l + 2] - ib) * a;
      } else {
        r = ir; g = ig; b = ib;
      }
      fill(out, outW, x0 + x * zoom, y0 + y * zoom, zoom, r, g, b);
    }
  }
}

/** Draws an RGB image (uint8, h×w×3) at (x0, y0), zoomed. */
export function drawImage(out: Uint8ClampedArray, outW: number, x0: number, y0: number, image: Uint8Array, h: number, w: number, zoom = 1): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      fill(out, outW, x0 + x * zoom, y0 + y * zoom, zoom, image[p], image[p + 1], image[p + 2]);
    }
  }
}

/** A horizontal colorbar, low values on the left. */
export function drawColorbar(out: Uint8ClampedArray, outW: number, x0: number, y0: number, width: number, height: number, colormap: string): void {
  const colors = lut(colormap);
  for (let x = 0; x < width; x++) {
    const l = Math.round((x / Math.max(1, width - 1)) * 255) * 3;
    for (let y = 0; y < height; y++) fill(out, outW, x0 + x, y0 + y, 1, colors[l], colors[l + 1], colors[l + 2]);
  }
}

function fill(out: Uint8ClampedArray, outW: number, x: number, y: number, size: number, r: number, g: number, b: number): void {
  for (let dy = 0; dy < size; dy++) {
    let q = ((y + dy) * outW + x) * 4;
    for (let dx = 0; dx < size; dx++, q += 4) {
      out[q] = r; out[q + 1] = g; out[q + 2] = b; out[q + 3] = 255;
    }
  }
}

/** Fills a rectangle of an RGBA buffer with one color. */
export function fillRect(out: Uint8ClampedArray, outW: number, x0: number, y0: number, width: number, height: number, color: [number, number, number]): void {
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) fill(out, outW, x0 + x, y0 + y, 1, color[0], color[1], color[2]);
}

/** Checks a look: each field's type and range, naming the bad one. Returns the look to use. */
export function checkLook(where: string, look: Partial<Look>, colormaps: readonly string[]): Look {
  const o = { ...LOOK_DEFAULTS, ...look };
  const fail = (detail: string): never => {
    throw new OptionError(where, detail);
  };
  if (typeof o.colormap !== 'string' || !colormaps.includes(o.colormap.toLowerCase().replace(/_r$/, ''))) fail(`invalid colormap ${JSON.stringify(o.colormap)}; choices: ${colormaps.join(', ')} (each also with "_r")`);
  if (!(o.opacity >= 0 && o.opacity <= 1)) fail(`opacity must be in [0, 1], got ${JSON.stringify(o.opacity)}`);
  if (!(NORMALIZATIONS as readonly string[]).includes(o.normalization)) fail(`invalid normalization ${JSON.stringify(o.normalization)}; choices: ${NORMALIZATIONS.join(', ')}`);
  if (!(o.percentile >= 50 && o.percentile <= 100)) fail(`percentile must be in [50, 100], got ${JSON.stringify(o.percentile)}`);
  if (!(MASKS as readonly string[]).includes(o.mask)) fail(`invalid mask ${JSON.stringify(o.mask)}; choices: ${MASKS.join(', ')}`);
  if (!(o.threshold >= 0 && o.threshold <= 1)) fail(`threshold must be in [0, 1], got ${JSON.stringify(o.threshold)}`);
  if (!(o.topk > 0 && o.topk <= 100)) fail(`topk must be in (0, 100] percent, got ${JSON.stringify(o.topk)}`);
  if (!(o.sigma >= 0 && o.sigma <= 32)) fail(`sigma must be in [0, 32] pixels, got ${JSON.stringify(o.sigma)}`);
  return o;
}

/** A progress bar: `fraction` of the width filled. */
export function drawProgress(out: Uint8ClampedArray, outW: number, x0: number, y0: number, width: number, height: number, fraction: number): void {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  fillRect(out, outW, x0, y0, width, height, [225, 225, 225]);
  fillRect(out, outW, x0, y0, Math.round(width * f), height, [33, 150, 243]);
}
