#!/usr/bin/env node
// Writes src/viz/core/colormap-tables.ts: every colormap saliency-lab offers, as data, so that the
// browser-safe viz core needs neither d3 nor `fs` at run time. The one source of each table:
// - viridis, inferno, magma, plasma: d3-scale-chromatic's 256-entry tables (the matplotlib data), read
//   back through its interpolators; looked up as d3 does (entry floor(t * 256)), so they are exact.
// - cividis, turbo, rdbu: d3-scale-chromatic's interpolators (cividis and turbo are polynomials, rdbu a
//   B-spline through ColorBrewer's 11 RdBu colors), sampled at i / 1023; the core interpolates linearly.
// - coolwarm: Moreland's Msh interpolation (2009), computed below; jet: matplotlib's segment data; gray.
// - tableau10: d3's categorical palette, for line charts.
//   node scripts/generate-colormaps.mjs           rewrite the file
//   node scripts/generate-colormaps.mjs --check   exit 1 if the file is not what this script writes
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as d3 from 'd3-scale-chromatic';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'src', 'viz', 'core', 'colormap-tables.ts');
// The package's exports hide its package.json: read it next to the resolved entry (dist/...).
const d3Entry = fileURLToPath(import.meta.resolve('d3-scale-chromatic'));
const d3Version = JSON.parse(fs.readFileSync(path.join(path.dirname(d3Entry), '..', 'package.json'), 'utf8')).version;

const clamp01 = (t) => (t > 0 ? (t < 1 ? t : 1) : 0);
const byte = (v) => (v > 0 ? (v < 255 ? Math.round(v) : 255) : 0);

function parse(css) {
  let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (m) return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
  m = /^rgb\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\)$/.exec(css);
  if (m) return [byte(+m[1]), byte(+m[2]), byte(+m[3])];
  throw new Error(`cannot parse color ${css}`);
}

// matplotlib's jet: for each channel, (x, value) knots joined linearly.
const JET = {
  r: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  g: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  b: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};

function piecewise(knots, t) {
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i];
    if (t <= x1) {
      const [x0, y0] = knots[i - 1];
      return y0 + ((y1 - y0) * (t - x0)) / (x1 - x0);
    }
  }
  return knots[knots.length - 1][1];
}

const jet = (t) => [byte(255 * piecewise(JET.r, t)), byte(255 * piecewise(JET.g, t)), byte(255 * piecewise(JET.b, t))];
const gray = (t) => [byte(255 * t), byte(255 * t), byte(255 * t)];

// --- Moreland's Msh interpolation, with his constants (D65 white, XYZ scaled to 100). ---
const WHITE = [95.047, 100.0, 108.883];
const labF = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const labFInv = (t) => (t * t * t > 0.008856 ? t * t * t : (t - 16 / 116) / 7.787);
const toLinear = (c) => (c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92);
const toSRGB = (c) => (c > 0.0031308 ? 1.055 * Math.pow(c, 1 / 2.4) - 0.055 : 12.92 * c);

function rgbToMsh(rgb) {
  const [r, g, b] = rgb.map(toLinear);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) * 100;
  const y = (0.2126 * r + 0.7152 * g + 0.0722 * b) * 100;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) * 100;
  const fx = labF(x / WHITE[0]), fy = labF(y / WHITE[1]), fz = labF(z / WHITE[2]);
  const L = 116 * fy - 16, A = 500 * (fx - fy), B = 200 * (fy - fz);
  const M = Math.sqrt(L * L + A * A + B * B);
  return [M, Math.acos(L / M), Math.atan2(B, A)];
}

function mshToRgb([M, s, h]) {
  const L = M * Math.cos(s), A = M * Math.sin(s) * Math.cos(h), B = M * Math.sin(s) * Math.sin(h);
  const fy = (L + 16) / 116, fx = A / 500 + fy, fz = fy - B / 200;
  const x = (WHITE[0] * labFInv(fx)) / 100, y = (WHITE[1] * labFInv(fy)) / 100, z = (WHITE[2] * labFInv(fz)) / 100;
  const r = 3.2406 * x - 1.5372 * y - 0.4986 * z;
  const g = -0.9689 * x + 1.8758 * y + 0.0415 * z;
  const b = 0.0557 * x - 0.204 * y + 1.057 * z;
  return [toSRGB(r), toSRGB(g), toSRGB(b)];
}

/** Hue for an unsaturated end so that the interpolation spins away from purple (Moreland, §4.4). */
function adjustHue([M, s, h], mUnsat) {
  if (M >= mUnsat) return h;
  const spin = (s * Math.sqrt(mUnsat * mUnsat - M * M)) / (M * Math.sin(s));
  return h > -Math.PI / 3 ? h + spin : h - spin;
}

function divergingMsh(rgb1, rgb2) {
  const c1 = rgbToMsh(rgb1), c2 = rgbToMsh(rgb2);
  const mMid = Math.max(c1[0], c2[0], 88);
  return (t) => {
    let x = t;
    let a = [...c1], b = [...c2];
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

// Moreland's cool and warm end points, RGB in [0, 1]: #3b4cc0 at 0, #dddddd at 0.5, #b40426 at 1.
const coolwarm = divergingMsh([0.23, 0.299, 0.754], [0.706, 0.016, 0.15]);

const fromD3 = (f) => (t) => parse(f(t));
const STEP = 256, LINEAR = 1024;

/** name: [interpolation, entries, color of t, where the data comes from]; the order is COLORMAPS'. */
const MAPS = {
  viridis: ['step', STEP, fromD3(d3.interpolateViridis), `d3-scale-chromatic ${d3Version} interpolateViridis (matplotlib's table)`],
  inferno: ['step', STEP, fromD3(d3.interpolateInferno), `d3-scale-chromatic ${d3Version} interpolateInferno (matplotlib's table)`],
  magma: ['step', STEP, fromD3(d3.interpolateMagma), `d3-scale-chromatic ${d3Version} interpolateMagma (matplotlib's table)`],
  plasma: ['step', STEP, fromD3(d3.interpolatePlasma), `d3-scale-chromatic ${d3Version} interpolatePlasma (matplotlib's table)`],
  cividis: ['linear', LINEAR, fromD3(d3.interpolateCividis), `d3-scale-chromatic ${d3Version} interpolateCividis`],
  turbo: ['linear', LINEAR, fromD3(d3.interpolateTurbo), `d3-scale-chromatic ${d3Version} interpolateTurbo (Mikhailov's polynomial)`],
  jet: ['linear', LINEAR, jet, "matplotlib's jet segment data"],
  gray: ['linear', STEP, gray, 'black to white'],
  rdbu: ['linear', LINEAR, fromD3(d3.interpolateRdBu), `d3-scale-chromatic ${d3Version} interpolateRdBu (ColorBrewer RdBu)`],
  coolwarm: ['linear', LINEAR, (t) => coolwarm(clamp01(t)), "Moreland's Msh interpolation (2009)"],
};

const hex = (c) => c.map((v) => v.toString(16).padStart(2, '0')).join('');
const PER_LINE = 16;

function entry(name, [interpolation, n, f, source]) {
  // "step" tables hold entry i for t in [i / n, (i + 1) / n): sample the middle. "linear" ones t = i / (n - 1).
  const colors = Array.from({ length: n }, (_, i) => hex(f(interpolation === 'step' ? (i + 0.5) / n : i / (n - 1))));
  const lines = [];
  for (let i = 0; i < n; i += PER_LINE) lines.push(`      '${colors.slice(i, i + PER_LINE).join('')}',`);
  return [`  // ${source}`, `  ${name}: {`, `    interpolation: '${interpolation}',`, '    colors: [', ...lines, '    ],', '  },'].join('\n');
}

function render() {
  const names = Object.keys(MAPS);
  return [
    `// Generated by scripts/generate-colormaps.mjs from d3-scale-chromatic ${d3Version}; do not edit.`,
    '// Each table is rows of "rrggbb" colors. "step": entry floor(t * n) (as d3 looks up its tables);',
    '// "linear": entries at t = i / (n - 1), interpolated linearly between them.',
    '',
    `export const COLORMAPS = [${names.map((n) => `'${n}'`).join(', ')}] as const;`,
    '',
    'export interface ColormapTable {',
    "  interpolation: 'step' | 'linear';",
    '  colors: readonly string[];',
    '}',
    '',
    'export const COLORMAP_TABLES: Record<(typeof COLORMAPS)[number], ColormapTable> = {',
    ...names.map((n) => entry(n, MAPS[n])),
    '};',
    '',
    `/** d3's schemeTableau10: the colors of line charts. */`,
    `export const TABLEAU10: readonly string[] = [${d3.schemeTableau10.map((c) => `'${c}'`).join(', ')}];`,
    '',
  ].join('\n');
}

const text = render();
if (process.argv.includes('--check')) {
  const now = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (now !== text) {
    console.error(`${path.relative(root, OUT)} is not what scripts/generate-colormaps.mjs writes; run it and commit the result`);
    process.exit(1);
  }
  console.log(`${path.relative(root, OUT)} is up to date`);
} else {
  fs.writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(root, OUT)} (${text.length} bytes)`);
}
