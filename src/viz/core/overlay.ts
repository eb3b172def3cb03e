/**
 * Composition of a saliency map with its image (heatmap, alpha, mask and contour overlays) and a map
 * alone in a colormap, on typed arrays. The steps are exported apart so that a view can redo only what a
 * control changed: prepareMap (resize, smooth, scale) when the map or sigma changes, drawOverlay when the
 * opacity, threshold or colormap does.
 */
import { HostImage, MapStack } from './arrays';
import { ColormapSpec, LUT_SIZE, colormapLUT, colormapWords, lutIndex } from './colormap';
import { InputError, OptionError } from './errors';
import { checkSigma, resizeStack, smoothStack } from './filters';
import { NormalizeOptions, ScaleCoefficients, checkNormalizeOptions, coefficients, percentile, scaled, scalesOf } from './normalize';
import { Pixels, checkColor, imageToPixels, newPixels, packRGB, pixelWords, toByte } from './pixels';

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
   * For a heatmap of the top k% only, use `threshold: topPercentCut(values, k)`.
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

/** Overlay options with every default filled in, checked. */
export type ResolvedOverlayOptions = typeof OVERLAY_DEFAULTS;

function checkUnit(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new OptionError(where, `${name} must be in [0, 1], but got ${String(v)}`);
  return v;
}

function checkChoice<T extends string>(where: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(v)) {
    throw new OptionError(where, `invalid ${name} ${JSON.stringify(v)}; choices: ${choices.join(', ')}`);
  }
  return v as T;
}

function checkTopPercent(where: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 100)) throw new OptionError(where, `topPercent must be in (0, 100], but got ${String(v)}`);
  return v;
}

/** Fills in the defaults and checks every option (OptionError naming the bad value). */
export function checkOverlayOptions(where: string, options: OverlayOptions): ResolvedOverlayOptions {
  const o = { ...OVERLAY_DEFAULTS, ...options };
  checkChoice(where, 'mode', o.mode, OVERLAY_MODES);
  checkChoice(where, 'resize', o.resize, RESIZE_MODES);
  checkSigma(where, o.sigma);
  checkUnit(where, 'alpha', o.alpha);
  checkUnit(where, 'threshold', o.threshold);
  checkTopPercent(where, o.topPercent);
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

/** A map at drawing size, not yet normalized, with its scale and the coefficients that normalize it. */
export interface PreparedMap {
  data: Float32Array;
  h: number;
  w: number;
  /** [lo, hi] of the normalization (for a colorbar); in "abs" mode of |x|. */
  range: [number, number];
  coef: ScaleCoefficients;
}

/**
 * The one map of a stack, brought to h×w (resized bilinearly if `resize` allows), smoothed (`sigma`) and
 * scaled per `normalize`. Options as in OverlayOptions (defaults filled in for those not given).
 */
export function prepareMap(where: string, s: MapStack, h: number, w: number, options: Pick<OverlayOptions, 'resize' | 'sigma' | 'normalize'> = {}): PreparedMap {
  const o = { resize: OVERLAY_DEFAULTS.resize, sigma: OVERLAY_DEFAULTS.sigma, normalize: OVERLAY_DEFAULTS.normalize, ...options };
  checkChoice(where, 'resize', o.resize, RESIZE_MODES);
  checkSigma(where, o.sigma);
  const norm = checkNormalizeOptions(where, o.normalize);
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
  const range = scalesOf([m], norm)[0][0];
  return { data: m.data, h, w, range, coef: coefficients(range, norm.mode) };
}

/** The normalized values of a prepared map, in [0, 1] (a new array). */
export function normalizedMap(p: PreparedMap): Float32Array {
  const t = new Float32Array(p.data.length);
  const { a, b, abs } = p.coef, unit = scaled;
  for (let i = 0; i < t.length; i++) t[i] = unit(p.data[i], a, b, abs);
  return t;
}

/**
 * The cut of the top `percent`% of values: the (100 - percent)-th percentile. Values at or above it are
 * the top region (ties at the cut are all in). As a heatmap `threshold` over normalized values, it
 * colors only the top k%.
 */
export function topPercentCut(values: ArrayLike<number>, percent: number, where = 'topPercentCut'): number {
  checkTopPercent(where, percent);
  return percentile(values, 100 - percent);
}

/** 1 where the value is at least `cut`, else 0: a threshold mask. */
export function thresholdMask(values: ArrayLike<number>, cut: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i] >= cut ? 1 : 0;
  return mask;
}

/** The top `percent`% of the values as a mask (see topPercentCut). */
export function topRegion(values: ArrayLike<number>, percent: number, where = 'topRegion'): Uint8Array {
  return thresholdMask(values, topPercentCut(values, percent, where));
}

/** Pixels of the region within `width` pixels (Chebyshev distance) of a pixel outside it. */
export function outline(region: Uint8Array, h: number, w: number, width: number): Uint8Array {
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
 * The helpers of the pixel loops, taken into function-local constants before each loop: CommonJS output
 * calls an imported function as a property of its module's `exports` on every pixel, which V8 does not
 * inline as well (measured 1.5–3× slower on 1024×1024).
 */
const HOT = { unit: scaled, index: lutIndex, byte: toByte, pack: packRGB };

/** Heatmap mode in one pass: normalize, look up the color, blend with the image (the benchmark's hot path). */
function drawHeatmapMode(img: HostImage, map: PreparedMap, o: ResolvedOverlayOptions): Pixels {
  const { h, w, c } = img;
  const out = newPixels(w, h);
  const n = h * w;
  const [lo, hi] = o.imageRange;
  const src = img.data;
  // Channel offsets: a gray image reads its one channel three times.
  const g1 = c === 3 ? 1 : 0, g2 = c === 3 ? 2 : 0;
  const lut = colormapLUT(o.colormap, LUT_SIZE);
  const alpha = o.alpha, k = (255 / (hi - lo)) * (1 - alpha), k0 = -lo * k;
  const full = 255 / (hi - lo), full0 = -lo * full;
  const lutA = Float32Array.from(lut, (v) => v * alpha);
  const { a, b, abs } = map.coef, m = map.data, threshold = o.threshold;
  // Whole pixels as 32-bit words: a quarter of the stores of byte writes.
  const out32 = pixelWords(out);
  const { unit, index, byte, pack } = HOT;
  for (let p = 0, i = 0; p < n; p++, i += c) {
    const t = unit(m[p], a, b, abs);
    let r: number, g: number, bl: number;
    if (t < threshold) {
      r = src[i] * full + full0; g = src[i + g1] * full + full0; bl = src[i + g2] * full + full0;
    } else {
      const l = index(t) * 3;
      r = src[i] * k + k0 + lutA[l]; g = src[i + g1] * k + k0 + lutA[l + 1]; bl = src[i + g2] * k + k0 + lutA[l + 2];
    }
    out32[p] = pack(byte(r), byte(g), byte(bl));
  }
  return out;
}

/**
 * Draws a prepared map (at the image's size) over the image per the options' mode. `o` is the result of
 * checkOverlayOptions.
 */
export function drawOverlay(img: HostImage, map: PreparedMap, o: ResolvedOverlayOptions): Pixels {
  const { h, w, c } = img;
  if (map.h !== h || map.w !== w) throw new InputError('drawOverlay', `prepared map is ${map.h}×${map.w} but the image is ${h}×${w}`);
  if (o.mode === 'heatmap') return drawHeatmapMode(img, map, o);
  // The other modes: image to bytes, then change pixels per mode.
  const out = imageToPixels(img.data, h, w, c as 1 | 3, o.imageRange[0], o.imageRange[1]);
  const px = out.data;
  const n = h * w;
  const t = normalizedMap(map);
  const [br, bg, bb] = o.background;
  switch (o.mode) {
    case 'alpha':
      for (let p = 0; p < n; p++) {
        const q = p * 4, v = t[p];
        px[q] = toByte(br + (px[q] - br) * v);
        px[q + 1] = toByte(bg + (px[q + 1] - bg) * v);
        px[q + 2] = toByte(bb + (px[q + 2] - bb) * v);
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
 * A saliency map over its image: `image` h×w×c (c 1 or 3, values in `imageRange`), `map` a stack of one
 * map of the image's size or (with `resize`) its aspect ratio. Resizes, smooths, normalizes and draws
 * per `mode`; see OverlayOptions. Errors start with `where`.
 */
export function overlayPixels(image: HostImage, map: MapStack, options: OverlayOptions = {}, where = 'overlayPixels'): Pixels {
  const o = checkOverlayOptions(where, options);
  return drawOverlay(image, prepareMap(where, map, image.h, image.w, o), o);
}

/** A prepared map alone in a colormap, as pixels of its own size. */
export function drawHeatmap(map: PreparedMap, colormap: ColormapSpec = OVERLAY_DEFAULTS.colormap): Pixels {
  const out = newPixels(map.w, map.h);
  const words = colormapWords(colormap);
  const out32 = pixelWords(out);
  const { a, b, abs } = map.coef, m = map.data;
  const { unit, index } = HOT;
  for (let p = 0; p < out32.length; p++) out32[p] = words[index(unit(m[p], a, b, abs))];
  return out;
}

/** The one map of a stack alone in a colormap, smoothed (`sigma`) and normalized (`normalize`) first. */
export function heatmapPixels(map: MapStack, options: HeatmapOptions = {}, where = 'heatmapPixels'): Pixels {
  const o = { ...OVERLAY_DEFAULTS, ...options };
  return drawHeatmap(prepareMap(where, map, map.h, map.w, o), o.colormap);
}
