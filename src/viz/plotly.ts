/**
 * Plotly figure specs (plain JSON: `{ data, layout }`) for interactive views in a notebook: a heatmap with
 * colorbar and hover values, maps side by side, line charts for curves. A PlotlyFigure shows itself as
 * `application/vnd.plotly.v1+json` with a PNG rendering as the fallback for front ends without plotly.
 */
import * as tf from '@tensorflow/tfjs';
import { DISPLAY, MimeBundle } from '../display';
import { InputError, OptionError } from '../errors';
import { ArrayInput, readArray, readMaps } from './array';
import { MapStack } from './core/arrays';
import { ColormapSpec, colormap } from './core/colormap';
import { TABLEAU10 } from './core/colormap-tables';
import { drawText } from './core/font';
import { gallery } from './gallery';
import { RGBAImage } from './image';
import { NormalizeOptions, checkNormalizeOptions, scalesOf } from './core/normalize';
import { heatmap } from './overlay';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export interface PlotlySpec {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** A figure spec plus the PNG fallback that notebooks without plotly show. */
export class PlotlyFigure implements PlotlySpec {
  constructor(
    readonly data: Record<string, unknown>[],
    readonly layout: Record<string, unknown>,
    /** What front ends without plotly show. */
    readonly fallback: RGBAImage,
  ) {}

  /** The plotly spec alone: `{ data, layout }`. */
  toJSON(): PlotlySpec {
    return { data: this.data, layout: this.layout };
  }

  [DISPLAY](): MimeBundle {
    const title = (this.layout.title as { text?: string } | undefined)?.text;
    return {
      [PLOTLY_MIME]: this.toJSON(),
      'image/png': Buffer.from(this.fallback.toPNG()).toString('base64'),
      'text/plain': `PlotlyFigure${title ? ` "${title}"` : ''} (${this.data.length} trace${this.data.length === 1 ? '' : 's'})`,
    };
  }
}

/** Numbers for JSON: 6 significant digits, so float32 noise stays out of specs and snapshots. */
const round = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(6)));

/** A plotly colorscale from a colormap: `stops` evenly spaced [t, "rgb(r, g, b)"] pairs. */
export function plotlyColorscale(cm: ColormapSpec, stops = 11): [number, string][] {
  const f = colormap(cm);
  return Array.from({ length: stops }, (_, i) => {
    const t = i / (stops - 1);
    const [r, g, b] = f(t);
    return [round(t), `rgb(${r}, ${g}, ${b})`];
  });
}

function rows(s: MapStack, m: number, abs: boolean): number[][] {
  const base = m * s.h * s.w;
  return Array.from({ length: s.h }, (_, y) =>
    Array.from({ length: s.w }, (_, x) => {
      const v = s.data[base + y * s.w + x];
      return round(abs ? Math.abs(v) : v);
    }));
}

export interface HeatmapFigureOptions {
  title?: string;
  /** Default "viridis". */
  colormap?: ColormapSpec;
  /** Sets the color range (zmin, zmax) as normalize would. Default min-max. "abs" plots |x|. */
  normalize?: NormalizeOptions;
  /** Colorbar title. Default "value". */
  valueLabel?: string;
  /** Figure size in pixels. Default 420×400. */
  width?: number;
  height?: number;
}

const HOVER = 'x: %{x}<br>y: %{y}<br>%{fullData.name}: %{z:.4g}<extra></extra>';

function checkText(where: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'string') throw new OptionError(where, `${name} must be a string, but got ${typeof v}`);
}

function checkDim(where: string, name: string, v: unknown): void {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < 50)) throw new OptionError(where, `${name} must be an integer >= 50 (pixels), but got ${String(v)}`);
}

/** Image rows at the top, square pixels, as an image. */
function imageAxes(anchor: string): { x: Record<string, unknown>; y: Record<string, unknown> } {
  return {
    x: { constrain: 'domain', showgrid: false, zeroline: false },
    y: { autorange: 'reversed', scaleanchor: anchor, constrain: 'domain', showgrid: false, zeroline: false },
  };
}

/**
 * A plotly heatmap of one map ([H,W] or [1,H,W]) with a colorbar and hover values (the map's own
 * values; the color range follows `normalize`, e.g. `{percentile: 99}` or `{mode: 'signed'}` with a
 * diverging colormap). Async; the caller keeps the map.
 */
export async function heatmapFigure(map: ArrayInput, options: HeatmapFigureOptions = {}): Promise<PlotlyFigure> {
  const where = 'heatmapFigure';
  const o = { colormap: 'viridis' as ColormapSpec, normalize: {}, valueLabel: 'value', width: 420, height: 400, ...options };
  checkText(where, 'title', o.title);
  checkText(where, 'valueLabel', o.valueLabel);
  checkDim(where, 'width', o.width);
  checkDim(where, 'height', o.height);
  const norm = checkNormalizeOptions(where, o.normalize);
  const s = await readMaps(where, 'map', map);
  if (s.n !== 1) throw new InputError(where, `map batch holds ${s.n} maps; pass one, or use subplotsFigure`);
  const [lo, hi] = scalesOf([s], norm)[0][0];
  const colorscale = plotlyColorscale(o.colormap);
  const axes = imageAxes('x');
  const data = [{
    type: 'heatmap', name: o.valueLabel, z: rows(s, 0, norm.mode === 'abs'), zmin: round(lo), zmax: round(hi),
    colorscale, colorbar: { title: { text: o.valueLabel } }, hovertemplate: HOVER,
  }];
  const layout = {
    ...(o.title ? { title: { text: o.title } } : {}),
    width: o.width, height: o.height, xaxis: axes.x, yaxis: axes.y, margin: { l: 40, r: 20, t: o.title ? 50 : 20, b: 40 },
  };
  const fallback = await heatmap({ data: s.data, shape: [s.h, s.w] }, { colormap: o.colormap, normalize: { mode: norm.mode, range: drawable([lo, hi]) } });
  return new PlotlyFigure(data, layout, magnify(fallback, 256));
}

/** A range normalize accepts: a constant map's empty range [v, v] widens to [v, v + 1] (drawn as 0). */
function drawable([lo, hi]: [number, number]): [number, number] {
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** Nearest-neighbour magnification so that small maps are visible in the PNG fallback. */
function magnify(img: RGBAImage, minSide: number): RGBAImage {
  const z = Math.max(1, Math.floor(minSide / Math.max(img.width, img.height)));
  if (z === 1) return img;
  const out = new RGBAImage(img.width * z, img.height * z);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const s = (((y / z) | 0) * img.width + ((x / z) | 0)) * 4, d = (y * out.width + x) * 4;
      out.data[d] = img.data[s]; out.data[d + 1] = img.data[s + 1]; out.data[d + 2] = img.data[s + 2]; out.data[d + 3] = img.data[s + 3];
    }
  }
  return out;
}

export interface SubplotsFigureOptions {
  /** One title per map, shown under it. */
  titles?: string[];
  title?: string;
  /** Default "viridis". */
  colormap?: ColormapSpec;
  /**
   * Color ranges as normalize computes them. Default `{ scale: 'shared' }`: one colorbar for all maps,
   * so equal values look equal; `{ scale: 'per-map' }` gives each map its own range (no colorbar).
   */
  normalize?: NormalizeOptions;
  /** Pixel size of one panel. Default 300. */
  panelSize?: number;
}

/**
 * Maps side by side in one row of plotly heatmaps (e.g. the same image under several methods). `maps`: an
 * array of [H,W] maps, or one [N,H,W] stack. Async; the caller keeps the maps.
 */
export async function subplotsFigure(maps: ArrayInput | ArrayInput[], options: SubplotsFigureOptions = {}): Promise<PlotlyFigure> {
  const where = 'subplotsFigure';
  const o = { colormap: 'viridis' as ColormapSpec, panelSize: 300, ...options, normalize: { scale: 'shared' as const, ...options.normalize } };
  checkText(where, 'title', o.title);
  checkDim(where, 'panelSize', o.panelSize);
  const norm = checkNormalizeOptions(where, o.normalize);
  const list = Array.isArray(maps) ? maps : [maps];
  const read = await Promise.all(list.map((m, i) => readMaps(where, Array.isArray(maps) ? `map ${i}` : 'maps', m)));
  // One panel per map, whether given as an array or as one stack.
  const panels: MapStack[] = read.flatMap((s) => Array.from({ length: s.n }, (_, m) => ({
    data: s.data.subarray(m * s.h * s.w, (m + 1) * s.h * s.w), n: 1, h: s.h, w: s.w,
  })));
  if (panels.length === 0) throw new InputError(where, 'no maps given (empty)');
  if (o.titles !== undefined && (!Array.isArray(o.titles) || o.titles.length !== panels.length || !o.titles.every((t) => typeof t === 'string'))) {
    throw new OptionError(where, `titles must be ${panels.length} strings (one per map), but got ${Array.isArray(o.titles) ? `${o.titles.length}` : typeof o.titles}`);
  }
  const scales = scalesOf(panels, norm).map((s) => s[0]);
  const shared = norm.scale === 'shared' || norm.range !== undefined;
  const colorscale = plotlyColorscale(o.colormap);
  const n = panels.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    ...(o.title ? { title: { text: o.title } } : {}),
    width: o.panelSize * n + (shared ? 100 : 40), height: o.panelSize + 80,
    grid: { rows: 1, columns: n, pattern: 'independent' },
    margin: { l: 40, r: 20, t: o.title ? 50 : 20, b: 60 },
  };
  if (shared) {
    layout.coloraxis = { colorscale, cmin: round(scales[0][0]), cmax: round(scales[0][1]), colorbar: { title: { text: 'value' } } };
  }
  panels.forEach((p, i) => {
    const k = i === 0 ? '' : String(i + 1);
    const trace: Record<string, unknown> = {
      type: 'heatmap', name: o.titles?.[i] ?? `map ${i}`, z: rows(p, 0, norm.mode === 'abs'),
      xaxis: `x${k}`, yaxis: `y${k}`, hovertemplate: HOVER,
    };
    if (shared) trace.coloraxis = 'coloraxis';
    else Object.assign(trace, { colorscale, zmin: round(scales[i][0]), zmax: round(scales[i][1]), showscale: false });
    data.push(trace);
    const axes = imageAxes(`x${k}`);
    layout[`xaxis${k}`] = { ...axes.x, ...(o.titles ? { title: { text: o.titles[i] } } : {}) };
    layout[`yaxis${k}`] = axes.y;
  });
  const fallback = await gallery(panels.map((p) => ({ data: p.data, shape: [p.h, p.w] })), {
    columns: n, colormap: o.colormap, labels: o.titles ?? false, padding: 4,
    zoom: Math.max(1, Math.floor(128 / Math.max(panels[0].h, panels[0].w))),
    // The same color ranges as the plotly traces: the shared range, or each map's own.
    normalize: shared ? { mode: norm.mode === 'abs' ? 'abs' : 'minmax', range: drawable(scales[0]) } : { mode: norm.mode, percentile: norm.percentile },
  });
  return new PlotlyFigure(data, layout, fallback);
}

/** One curve: y values, optional x values (default 0, 1, 2, ...) and a name for the legend. */
export interface LineSeries {
  y: ArrayLike<number> | tf.Tensor;
  x?: ArrayLike<number> | tf.Tensor;
  name?: string;
}

export interface LineFigureOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Default 560×360. */
  width?: number;
  height?: number;
}

async function values(where: string, what: string, v: ArrayLike<number> | tf.Tensor): Promise<number[]> {
  const a = v instanceof tf.Tensor ? await readArray(where, what, v) : { data: v, shape: [v?.length] };
  if (a.data == null || typeof a.data.length !== 'number') throw new InputError(where, `${what} must be an array of numbers or a 1-D tensor`);
  if (a.shape.length !== 1) throw new InputError(where, `${what} must be 1-D, but got shape [${a.shape.join(', ')}]`);
  const out = Array.from(a.data, Number);
  const bad = out.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InputError(where, `${what} holds ${out[bad]} at index ${bad}`);
  return out;
}

/**
 * Line chart of curves, e.g. a deletion curve or the loss of a feature visualization per step. Async
 * (tensors are read); the caller keeps them.
 */
export async function lineFigure(series: LineSeries | LineSeries[], options: LineFigureOptions = {}): Promise<PlotlyFigure> {
  const where = 'lineFigure';
  const o = { width: 560, height: 360, ...options };
  checkText(where, 'title', o.title);
  checkText(where, 'xTitle', o.xTitle);
  checkText(where, 'yTitle', o.yTitle);
  checkDim(where, 'width', o.width);
  checkDim(where, 'height', o.height);
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new InputError(where, 'no series given (empty array)');
  const palette = TABLEAU10;
  const curves = await Promise.all(list.map(async (s, i) => {
    if (s == null || typeof s !== 'object' || s.y == null) throw new InputError(where, `series ${i} must be { y, x?, name? }`);
    const y = await values(where, `series ${i} y`, s.y);
    const x = s.x === undefined ? y.map((_, k) => k) : await values(where, `series ${i} x`, s.x);
    if (x.length !== y.length) throw new InputError(where, `series ${i} has ${x.length} x values but ${y.length} y values`);
    if (y.length === 0) throw new InputError(where, `series ${i} is empty`);
    return { x, y, name: s.name ?? `series ${i}`, color: palette[i % palette.length] };
  }));
  const data = curves.map((c) => ({ type: 'scatter', mode: 'lines', name: c.name, x: c.x.map(round), y: c.y.map(round), line: { color: c.color } }));
  const layout = {
    ...(o.title ? { title: { text: o.title } } : {}),
    width: o.width, height: o.height,
    xaxis: o.xTitle ? { title: { text: o.xTitle } } : {},
    yaxis: o.yTitle ? { title: { text: o.yTitle } } : {},
  };
  return new PlotlyFigure(data, layout, drawLines(curves, o.width, o.height));
}

/** A plain raster line chart for the PNG fallback: frame, curves, legend. */
function drawLines(curves: { x: number[]; y: number[]; name: string; color: string }[], width: number, height: number): RGBAImage {
  const img = new RGBAImage(width, height);
  img.data.fill(255);
  const m = { l: 20, r: 20, t: 20, b: 20 + 10 * curves.length };
  const xs = curves.flatMap((c) => c.x), ys = curves.flatMap((c) => c.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * (width - m.l - m.r - 1);
  const py = (y: number): number => height - m.b - 1 - ((y - y0) / (y1 - y0 || 1)) * (height - m.t - m.b - 1);
  const frame: [number, number, number] = [160, 160, 160];
  line(img, m.l, m.t, width - m.r - 1, m.t, frame);
  line(img, m.l, height - m.b - 1, width - m.r - 1, height - m.b - 1, frame);
  line(img, m.l, m.t, m.l, height - m.b - 1, frame);
  line(img, width - m.r - 1, m.t, width - m.r - 1, height - m.b - 1, frame);
  curves.forEach((c, i) => {
    const rgb: [number, number, number] = [1, 3, 5].map((k) => parseInt(c.color.slice(k, k + 2), 16)) as [number, number, number];
    for (let k = 1; k < c.x.length; k++) line(img, px(c.x[k - 1]), py(c.y[k - 1]), px(c.x[k]), py(c.y[k]), rgb);
    if (c.x.length === 1) line(img, px(c.x[0]), py(c.y[0]), px(c.x[0]), py(c.y[0]), rgb);
    const ly = height - m.b + 8 + 10 * i;
    line(img, m.l, ly + 3, m.l + 12, ly + 3, rgb);
    drawText(img.data, width, height, c.name, m.l + 16, ly, [0, 0, 0]);
  });
  return img;
}

/** Bresenham line between rounded end points. */
function line(img: RGBAImage, ax: number, ay: number, bx: number, by: number, c: [number, number, number]): void {
  let x = Math.round(ax), y = Math.round(ay);
  const ex = Math.round(bx), ey = Math.round(by);
  const dx = Math.abs(ex - x), dy = -Math.abs(ey - y), sx = x < ex ? 1 : -1, sy = y < ey ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    if (x >= 0 && x < img.width && y >= 0 && y < img.height) {
      const q = (y * img.width + x) * 4;
      img.data[q] = c[0]; img.data[q + 1] = c[1]; img.data[q + 2] = c[2]; img.data[q + 3] = 255;
    }
    if (x === ex && y === ey) break;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x += sx; }
    if (e2 <= dx) { err += dx; y += sy; }
  }
}
