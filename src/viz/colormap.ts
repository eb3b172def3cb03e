/**
 * Colormaps: plain functions from [0, 1] to [r, g, b] with 0–255 integer components, clamped (as in
 * d3-scale-chromatic). Data comes from d3-scale-chromatic where it has the map; the two it lacks are
 * computed from their published definitions:
 *
 * - viridis, inferno, magma, plasma, cividis: d3's 256-entry tables (the matplotlib data, van der Walt and
 *   Smith). viridis(0) = #440154, viridis(1) = #fde725.
 * - turbo: d3's `interpolateTurbo`, Mikhailov's polynomial approximation of Google's Turbo. Its ends are
 *   #23171b and #900c00; Google's 256-entry table ends at #30123b and #7a0403 (the middle agrees closely).
 * - rdbu: ColorBrewer RdBu through d3 (B-spline between the 11 class colors): red (#67001f) at 0, blue
 *   (#053061) at 1, as in d3 and matplotlib. For negative = blue, use "rdbu_r".
 * - coolwarm: Moreland's diverging map ("Diverging Color Maps for Scientific Visualization", 2009),
 *   interpolated in his Msh space between RGB (0.230, 0.299, 0.754) and (0.706, 0.016, 0.150), with the
 *   white point M = 88 at 0.5: #3b4cc0 at 0, #dddddd at 0.5, #b40426 at 1 (matplotlib's "coolwarm").
 * - jet: matplotlib's piecewise-linear segment data: #000080 at 0, #800000 at 1.
 * - gray: black to white.
 *
 * Any name takes the suffix "_r" for the reversed map. Names match case-insensitively.
 */
import { OptionError } from '../errors';
import { d3Chromatic } from './d3';

export type RGB = [number, number, number];
/** A colormap: t in [0, 1] (clamped; NaN counts as 0) to [r, g, b] bytes. */
export type Colormap = (t: number) => RGB;

export const COLORMAPS = ['viridis', 'inferno', 'magma', 'plasma', 'cividis', 'turbo', 'jet', 'gray', 'rdbu', 'coolwarm'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/**
 * A name from COLORMAPS (optionally with "_r"), a Colormap, or any function from [0, 1] to a color given as
 * [r, g, b] bytes or a CSS color string ("#rrggbb" or "rgb(r, g, b)") such as d3's interpolators return.
 */
export type ColormapSpec = ColormapName | `${ColormapName}_r` | (string & {}) | ((t: number) => ArrayLike<number> | string);

const clamp01 = (t: number): number => (t > 0 ? (t < 1 ? t : 1) : 0);
const byte = (v: number): number => (v > 0 ? (v < 255 ? Math.round(v) : 255) : 0);

/** "#rrggbb" or "rgb(r, g, b)" to [r, g, b]. */
export function parseColor(where: string, s: string): RGB {
  let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (m) return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
  m = /^rgb\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\)$/.exec(s);
  if (m) return [byte(+m[1]), byte(+m[2]), byte(+m[3])];
  throw new OptionError(where, `colormap function returned ${JSON.stringify(s)}; expected "#rrggbb", "rgb(r, g, b)" or [r, g, b]`);
}

function fromD3(f: (t: number) => string): Colormap {
  return (t) => parseColor('colormap', f(clamp01(t)));
}

// matplotlib's jet: for each channel, (x, value) knots joined linearly.
const JET: Record<'r' | 'g' | 'b', [number, number][]> = {
  r: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  g: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  b: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};

function piecewise(knots: [number, number][], t: number): number {
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i];
    if (t <= x1) {
      const [x0, y0] = knots[i - 1];
      return y0 + ((y1 - y0) * (t - x0)) / (x1 - x0);
    }
  }
  return knots[knots.length - 1][1];
}

const jet: Colormap = (t) => {
  const x = clamp01(t);
  return [byte(255 * piecewise(JET.r, x)), byte(255 * piecewise(JET.g, x)), byte(255 * piecewise(JET.b, x))];
};

const gray: Colormap = (t) => {
  const g = byte(255 * clamp01(t));
  return [g, g, g];
};

// --- Moreland's Msh interpolation, with his constants (D65 white, XYZ scaled to 100). ---
const WHITE = [95.047, 100.0, 108.883];
const labF = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const labFInv = (t: number): number => (t * t * t > 0.008856 ? t * t * t : (t - 16 / 116) / 7.787);
const toLinear = (c: number): number => (c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92);
const toSRGB = (c: number): number => (c > 0.0031308 ? 1.055 * Math.pow(c, 1 / 2.4) - 0.055 : 12.92 * c);

function rgbToMsh(rgb: RGB01): Msh {
  const [r, g, b] = rgb.map(toLinear);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) * 100;
  const y = (0.2126 * r + 0.7152 * g + 0.0722 * b) * 100;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) * 100;
  const fx = labF(x / WHITE[0]), fy = labF(y / WHITE[1]), fz = labF(z / WHITE[2]);
  const L = 116 * fy - 16, A = 500 * (fx - fy), B = 200 * (fy - fz);
  const M = Math.sqrt(L * L + A * A + B * B);
  return [M, Math.acos(L / M), Math.atan2(B, A)];
}

function mshToRgb([M, s, h]: Msh): RGB01 {
  const L = M * Math.cos(s), A = M * Math.sin(s) * Math.cos(h), B = M * Math.sin(s) * Math.sin(h);
  const fy = (L + 16) / 116, fx = A / 500 + fy, fz = fy - B / 200;
  const x = (WHITE[0] * labFInv(fx)) / 100, y = (WHITE[1] * labFInv(fy)) / 100, z = (WHITE[2] * labFInv(fz)) / 100;
  const r = 3.2406 * x - 1.5372 * y - 0.4986 * z;
  const g = -0.9689 * x + 1.8758 * y + 0.0415 * z;
  const b = 0.0557 * x - 0.204 * y + 1.057 * z;
  return [toSRGB(r), toSRGB(g), toSRGB(b)];
}

type RGB01 = [number, number, number];
type Msh = [number, number, number];

/** Hue for an unsaturated end so that the interpolation spins away from purple (Moreland, eq. in §4.4). */
function adjustHue([M, s, h]: Msh, mUnsat: number): number {
  if (M >= mUnsat) return h;
  const spin = (s * Math.sqrt(mUnsat * mUnsat - M * M)) / (M * Math.sin(s));
  return h > -Math.PI / 3 ? h + spin : h - spin;
}

function divergingMsh(rgb1: RGB01, rgb2: RGB01): Colormap {
  const c1 = rgbToMsh(rgb1), c2 = rgbToMsh(rgb2);
  const mMid = Math.max(c1[0], c2[0], 88);
  return (t) => {
    let x = clamp01(t);
    let a: Msh = [...c1], b: Msh = [...c2];
    // Saturated ends with distant hues pass through an unsaturated white point in the middle.
    if (a[1] > 0.05 && b[1] > 0.05 && Math.abs(a[2] - b[2]) > Math.PI / 3) {
      if (x < 0.5) { b = [mMid, 0, 0]; x = 2 * x; } else { a = [mMid, 0, 0]; x = 2 * x - 1; }
    }
    if (a[1] < 0.05 && b[1] > 0.05) a[2] = adjustHue(b, a[0]);
    else if (b[1] < 0.05 && a[1] > 0.05) b[2] = adjustHue(a, b[0]);
    const rgb = mshToRgb([a[0] + (b[0] - a[0]) * x, a[1] + (b[1] - a[1]) * x, a[2] + (b[2] - a[2]) * x]);
    return [byte(255 * rgb[0]), byte(255 * rgb[1]), byte(255 * rgb[2])];
  };
}

const coolwarm = divergingMsh([0.23, 0.299, 0.754], [0.706, 0.016, 0.15]);

let named: Record<ColormapName, Colormap> | null = null;

function namedMaps(): Record<ColormapName, Colormap> {
  if (!named) {
    const d3 = d3Chromatic();
    named = {
      viridis: fromD3(d3.interpolateViridis),
      inferno: fromD3(d3.interpolateInferno),
      magma: fromD3(d3.interpolateMagma),
      plasma: fromD3(d3.interpolatePlasma),
      cividis: fromD3(d3.interpolateCividis),
      turbo: fromD3(d3.interpolateTurbo),
      jet,
      gray,
      rdbu: fromD3(d3.interpolateRdBu),
      coolwarm,
    };
  }
  return named;
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
      return [byte(+c[0]), byte(+c[1]), byte(+c[2])];
    };
  }
  if (typeof nameOrFn !== 'string') {
    throw new OptionError(where, `colormap must be a name or a function, but got ${typeof nameOrFn}; choices: ${COLORMAPS.join(', ')}`);
  }
  const key = nameOrFn.toLowerCase();
  const reversed = key.endsWith('_r');
  const base = (reversed ? key.slice(0, -2) : key) as ColormapName;
  if (!(COLORMAPS as readonly string[]).includes(base)) {
    throw new OptionError(where, `invalid colormap ${JSON.stringify(nameOrFn)}; choices: ${COLORMAPS.join(', ')} (each also with "_r")`);
  }
  const cm = namedMaps()[base];
  return reversed ? (t) => cm(1 - clamp01(t)) : cm;
}

/** Tables of named colormaps, by lower-case name and size: they never change, and d3 is slow to sample. */
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
