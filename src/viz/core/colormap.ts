/**
 * Colormaps: plain functions from [0, 1] to [r, g, b] with 0–255 integer components, clamped (as in
 * d3-scale-chromatic). Every named map is a table in colormap-tables.ts, written by
 * scripts/generate-colormaps.mjs (the one source of each; see there):
 *
 * - viridis, inferno, magma, plasma: d3's 256-entry tables (the matplotlib data, van der Walt and
 *   Smith), looked up as d3 does. viridis(0) = #440154, viridis(1) = #fde725.
 * - cividis: d3's polynomial. turbo: d3's `interpolateTurbo`, Mikhailov's polynomial approximation of
 *   Google's Turbo; its ends are #23171b and #900c00, while Google's 256-entry table ends at #30123b and
 *   #7a0403 (the middle agrees closely).
 * - rdbu: ColorBrewer RdBu through d3 (B-spline between the 11 class colors): red (#67001f) at 0, blue
 *   (#053061) at 1, as in d3 and matplotlib. For negative = blue, use "rdbu_r".
 * - coolwarm: Moreland's diverging map ("Diverging Color Maps for Scientific Visualization", 2009),
 *   interpolated in his Msh space: #3b4cc0 at 0, #dddddd at 0.5, #b40426 at 1 (matplotlib's "coolwarm").
 * - jet: matplotlib's piecewise-linear segment data: #000080 at 0, #800000 at 1.
 * - gray: black to white.
 * The continuous maps are sampled at 1024 points (gray at 256) and interpolated linearly between them:
 * within one level of the function they sample, and equal to it at the samples.
 *
 * Any name takes the suffix "_r" for the reversed map. Names match case-insensitively.
 */
import { COLORMAPS, COLORMAP_TABLES } from './colormap-tables';
import { OptionError } from './errors';
import { RGB, clamp01, packRGB, toByte } from './pixels';

export { COLORMAPS };
export type { RGB };
/** A colormap: t in [0, 1] (clamped; NaN counts as 0) to [r, g, b] bytes. */
export type Colormap = (t: number) => RGB;
export type ColormapName = (typeof COLORMAPS)[number];

/**
 * A name from COLORMAPS (optionally with "_r"), a Colormap, or any function from [0, 1] to a color given as
 * [r, g, b] bytes or a CSS color string ("#rrggbb" or "rgb(r, g, b)") such as d3's interpolators return.
 */
export type ColormapSpec = ColormapName | `${ColormapName}_r` | (string & {}) | ((t: number) => ArrayLike<number> | string);

/** "#rrggbb" or "rgb(r, g, b)" to [r, g, b]. */
export function parseColor(where: string, s: string): RGB {
  let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (m) return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
  m = /^rgb\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\)$/.exec(s);
  if (m) return [toByte(+m[1]), toByte(+m[2]), toByte(+m[3])];
  throw new OptionError(where, `colormap function returned ${JSON.stringify(s)}; expected "#rrggbb", "rgb(r, g, b)" or [r, g, b]`);
}

/** A generated table decoded: n colors as r, g, b bytes. */
interface Table {
  rgb: Uint8Array;
  n: number;
  step: boolean;
}

const decoded = new Map<ColormapName, Table>();

function table(name: ColormapName): Table {
  let tb = decoded.get(name);
  if (!tb) {
    const { interpolation, colors } = COLORMAP_TABLES[name];
    const hex = colors.join('');
    const rgb = new Uint8Array(hex.length / 2);
    for (let i = 0; i < rgb.length; i++) rgb[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    tb = { rgb, n: rgb.length / 3, step: interpolation === 'step' };
    decoded.set(name, tb);
  }
  return tb;
}

function fromTable({ rgb, n, step }: Table): Colormap {
  if (step) {
    return (t) => {
      const i = Math.min(n - 1, Math.floor(clamp01(t) * n)) * 3;
      return [rgb[i], rgb[i + 1], rgb[i + 2]];
    };
  }
  return (t) => {
    const r = clamp01(t) * (n - 1);
    const k = Math.min(n - 2, Math.floor(r)), f = r - k, i = k * 3;
    return [toByte(rgb[i] + (rgb[i + 3] - rgb[i]) * f), toByte(rgb[i + 1] + (rgb[i + 4] - rgb[i + 1]) * f), toByte(rgb[i + 2] + (rgb[i + 5] - rgb[i + 2]) * f)];
  };
}

/** The base name of a named map and whether it is reversed; OptionError for an unknown name. */
function parseName(where: string, name: string): { base: ColormapName; reversed: boolean } {
  const key = name.toLowerCase();
  const reversed = key.endsWith('_r');
  const base = (reversed ? key.slice(0, -2) : key) as ColormapName;
  if (!(COLORMAPS as readonly string[]).includes(base)) {
    throw new OptionError(where, `invalid colormap ${JSON.stringify(name)}; choices: ${COLORMAPS.join(', ')} (each also with "_r")`);
  }
  return { base, reversed };
}

/**
 * The colormap for a name or function. The result clamps t to [0, 1] (NaN counts as 0) and returns
 * integer bytes. Throws OptionError for an unknown name, listing the names.
 *
 *   colormap('viridis')(0)  // [68, 1, 84]
 *   colormap('rdbu_r')      // blue at 0, red at 1
 *   colormap(t => [255 * t, 0, 0])
 */
export function colormap(nameOrFn: ColormapSpec): Colormap {
  const where = 'colormap';
  if (typeof nameOrFn === 'function') {
    const f = nameOrFn;
    return (t) => {
      const c = f(clamp01(t));
      if (typeof c === 'string') return parseColor(where, c);
      if (c == null || typeof c.length !== 'number' || c.length < 3) {
        throw new OptionError(where, `colormap function returned ${JSON.stringify(c)}; expected [r, g, b] or a CSS color string`);
      }
      return [toByte(+c[0]), toByte(+c[1]), toByte(+c[2])];
    };
  }
  if (typeof nameOrFn !== 'string') {
    throw new OptionError(where, `colormap must be a name or a function, but got ${typeof nameOrFn}; choices: ${COLORMAPS.join(', ')}`);
  }
  const { base, reversed } = parseName(where, nameOrFn);
  const cm = fromTable(table(base));
  return reversed ? (t) => cm(1 - clamp01(t)) : cm;
}

/** Tables of named colormaps, by lower-case name and size: they never change. */
const lutCache = new Map<string, Uint8Array>();

/** `size` colors sampled at t = i / (size - 1), as r, g, b bytes one after another (a new array). */
export function colormapLUT(nameOrFn: ColormapSpec, size = 256): Uint8Array {
  if (!Number.isInteger(size) || size < 2) throw new OptionError('colormapLUT', `size must be an integer >= 2, but got ${size}`);
  const cm = colormap(nameOrFn);
  const key = typeof nameOrFn === 'string' ? `${nameOrFn.toLowerCase()}/${size}` : null;
  const cached = key === null ? undefined : lutCache.get(key);
  if (cached) return cached.slice();
  const lut = new Uint8Array(size * 3);
  for (let i = 0; i < size; i++) lut.set(cm(i / (size - 1)), i * 3);
  if (key !== null) lutCache.set(key, lut.slice());
  return lut;
}

// Module-local: CommonJS output reads an exported constant as `exports.X`, a property load in hot loops.
const SIZE = 1024;

/** Entries of the lookup tables that drawing uses: finer than any 8-bit difference matters. */
export const LUT_SIZE = SIZE;

/** The entry of a LUT_SIZE table for t in [0, 1]: the nearest sample. */
export function lutIndex(t: number): number {
  return (t * (SIZE - 1) + 0.5) | 0;
}

/** A LUT_SIZE table as opaque RGBA words (see packRGB), for writing whole pixels. */
export function colormapWords(nameOrFn: ColormapSpec): Uint32Array {
  const lut = colormapLUT(nameOrFn, LUT_SIZE);
  const words = new Uint32Array(LUT_SIZE);
  for (let l = 0; l < LUT_SIZE; l++) words[l] = packRGB(lut[l * 3], lut[l * 3 + 1], lut[l * 3 + 2]);
  return words;
}
