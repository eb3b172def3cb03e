/** Colorbars: a colormap as a strip of pixels, optionally with tick marks and value labels. */
import { ColormapSpec, colormapLUT } from './colormap';
import { OptionError } from './errors';
import { GLYPH_HEIGHT, drawText, textWidth } from './font';
import { Pixels, RGB, checkColor, newPixels } from './pixels';

export const COLORBAR_ORIENTATIONS = ['vertical', 'horizontal'] as const;
export type ColorbarOrientation = (typeof COLORBAR_ORIENTATIONS)[number];

export interface ColorbarOptions {
  /** Pixels along the colors. Default 256. */
  length?: number;
  /** Pixels across the strip. Default 16. */
  thickness?: number;
  /** "vertical" (default: high values at the top) or "horizontal" (high values at the right). */
  orientation?: ColorbarOrientation;
  /**
   * The values at the two ends, [lo, hi] (e.g. what normalizeRange or valuesRange gives). With a range,
   * `ticks` labeled tick marks are drawn beside the strip; without one, the strip alone.
   */
  range?: [number, number];
  /** Labeled ticks, evenly spaced, both ends included. Default 5. */
  ticks?: number;
  /** Color around the strip and behind the labels. Default [255, 255, 255]. */
  background?: [number, number, number];
  /** Ticks and labels. Default black on light backgrounds, white on dark ones. */
  labelColor?: [number, number, number];
  /** Integer magnification of the label font (5×7 pixels). Default 1. */
  labelScale?: number;
}

export const COLORBAR_DEFAULTS = {
  length: 256,
  thickness: 16,
  orientation: 'vertical' as ColorbarOrientation,
  ticks: 5,
  background: [255, 255, 255] as [number, number, number],
  labelScale: 1,
};

const TICK = 3, GAP = 2;

/** A tick label: up to 3 significant digits, exponent notation outside [0.001, 10000). */
export function formatTick(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v === 0 ? 0 : v);
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

function checkIntAtLeast(where: string, name: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new OptionError(where, `${name} must be an integer >= ${min}, but got ${String(v)}`);
  return v as number;
}

/**
 * The colorbar of a colormap as pixels: a strip of `length` colors sampled at i / (length - 1), and with
 * a `range` the tick marks and labels of `ticks` evenly spaced values.
 */
export function colorbarPixels(cm: ColormapSpec, options: ColorbarOptions = {}, where = 'colorbarPixels'): Pixels {
  const o = { ...COLORBAR_DEFAULTS, ...options };
  const length = checkIntAtLeast(where, 'length', o.length, 2);
  const thickness = checkIntAtLeast(where, 'thickness', o.thickness, 1);
  const scale = checkIntAtLeast(where, 'labelScale', o.labelScale, 1);
  if (!(COLORBAR_ORIENTATIONS as readonly unknown[]).includes(o.orientation)) {
    throw new OptionError(where, `invalid orientation ${JSON.stringify(o.orientation)}; choices: ${COLORBAR_ORIENTATIONS.join(', ')}`);
  }
  const [br, bg, bb] = checkColor(where, 'background', o.background);
  const labelColor: RGB = o.labelColor !== undefined ? checkColor(where, 'labelColor', o.labelColor)
    : (0.299 * br + 0.587 * bg + 0.114 * bb) > 128 ? [0, 0, 0] : [255, 255, 255];
  let labels: { at: number; text: string }[] = [];
  if (o.range !== undefined) {
    const r = o.range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[1] >= r[0])) {
      throw new OptionError(where, `range must be [lo, hi] of finite numbers with hi >= lo, but got ${JSON.stringify(r)}`);
    }
    const ticks = checkIntAtLeast(where, 'ticks', o.ticks, 2);
    labels = Array.from({ length: ticks }, (_, k) => ({
      at: Math.round((k / (ticks - 1)) * (length - 1)),
      text: formatTick(r[0] + ((r[1] - r[0]) * k) / (ticks - 1)),
    }));
  }
  const lut = colormapLUT(cm, length);
  const vertical = o.orientation === 'vertical';
  const glyphH = GLYPH_HEIGHT * scale;
  const widest = Math.max(0, ...labels.map((l) => textWidth(l.text, scale)));
  // Room for labels centered on the end ticks.
  const margin = labels.length === 0 ? 0 : vertical ? Math.ceil(glyphH / 2) : Math.ceil(widest / 2);
  const across = labels.length === 0 ? thickness : thickness + TICK + GAP + (vertical ? widest : glyphH);
  const width = vertical ? across : length + 2 * margin;
  const height = vertical ? length + 2 * margin : across;
  const out = newPixels(width, height);
  const px = out.data;
  for (let q = 0; q < px.length; q += 4) { px[q] = br; px[q + 1] = bg; px[q + 2] = bb; px[q + 3] = 255; }
  const put = (x: number, y: number, c: ArrayLike<number>, at = 0): void => {
    const q = (y * width + x) * 4;
    px[q] = c[at]; px[q + 1] = c[at + 1]; px[q + 2] = c[at + 2];
  };
  // Position i along the strip (0 = lowest value) to the pixel row or column.
  const along = (i: number): number => (vertical ? margin + length - 1 - i : margin + i);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < thickness; k++) put(vertical ? k : along(i), vertical ? along(i) : k, lut, i * 3);
  }
  for (const { at, text } of labels) {
    const p = along(at);
    for (let k = 0; k < TICK; k++) put(vertical ? thickness + k : p, vertical ? p : thickness + k, labelColor);
    const tw = textWidth(text, scale);
    if (vertical) drawText(px, width, height, text, thickness + TICK + GAP, p - Math.floor(glyphH / 2), labelColor, scale);
    else drawText(px, width, height, text, Math.min(width - tw, Math.max(0, p - Math.floor(tw / 2))), thickness + TICK + GAP, labelColor, scale);
  }
  return out;
}
