/** Galleries: many maps or images tiled into one atlas, e.g. the channels of a layer's activations. */
import { InputError, OptionError } from '../errors';
import { ArrayInput, FloatArray, MapStack, describe, finiteRange, isHostArray, isTensor, readArray } from './array';
import { ColormapSpec, colormapLUT } from './colormap';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, drawText } from './font';
import { RGBAImage, floatToImage } from './image';
import { NormalizeOptions, checkNormalizeOptions, normalizeStacks } from './normalize';

export const GALLERY_LAYOUTS = ['auto', 'maps', 'channels', 'images'] as const;
export type GalleryLayout = (typeof GALLERY_LAYOUTS)[number];

export interface GalleryOptions {
  /**
   * How a single tensor or array splits into tiles:
   * - "maps": [N,H,W] (or [H,W], [N,H,W,1]) is N maps;
   * - "channels": [H,W,C] or [1,H,W,C] (a layer's activations, NHWC) is C maps;
   * - "images": [N,H,W,3] is N RGB images (values in `imageRange`);
   * - "auto" (default): rank 2 or 3 is "maps"; rank 4 is "images" when C = 3, "maps" when C = 1, and
   *   "channels" when N = 1.
   * An array is always one tile per element (maps [H,W], images [H,W,3] or RGBAImages).
   */
  layout?: GalleryLayout;
  /** Tiles per row. Default ceil(sqrt(count)). */
  columns?: number;
  /** Integer magnification of every tile (nearest neighbour). Default 1. */
  zoom?: number;
  /** Pixels between tiles and around the atlas. Default 2. */
  padding?: number;
  /** Atlas background. Default [255, 255, 255]. */
  background?: [number, number, number];
  /** Colormap of map tiles. Default "viridis". */
  colormap?: ColormapSpec;
  /**
   * Normalization of map tiles; `scale: "shared"` gives every tile one scale (equal values, equal colors),
   * the default "per-map" stretches each tile alone.
   */
  normalize?: NormalizeOptions;
  /** Labels above the tiles: true for the tile index, or one string per tile. Default false. */
  labels?: boolean | string[];
  /** Label color. Default black on light backgrounds, white on dark ones. */
  labelColor?: [number, number, number];
  /** Integer magnification of the label font (5×7 pixels). Default 1. */
  labelScale?: number;
  /** Values of image tiles that map to 0 and 255. Default [0, 1]. */
  imageRange?: [number, number];
}

export const GALLERY_DEFAULTS = {
  layout: 'auto' as GalleryLayout,
  zoom: 1,
  padding: 2,
  background: [255, 255, 255] as [number, number, number],
  colormap: 'viridis' as ColormapSpec,
  normalize: {} as NormalizeOptions,
  labels: false as boolean | string[],
  labelScale: 1,
  imageRange: [0, 1] as [number, number],
};

type Tile = { kind: 'map'; stack: number; index: number; h: number; w: number } | { kind: 'image'; image: RGBAImage };

function checkInt(where: string, name: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new OptionError(where, `${name} must be an integer >= ${min}, but got ${String(v)}`);
  return v as number;
}

function checkColor(where: string, name: string, c: unknown): void {
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && v >= 0 && v <= 255)) {
    throw new OptionError(where, `${name} must be [r, g, b] with values in 0..255, but got ${JSON.stringify(c)}`);
  }
}

/** [H,W,C] (or [1,H,W,C]) to C maps of H×W. */
function channelsToStack(a: FloatArray, h: number, w: number, c: number): MapStack {
  const out = new Float32Array(a.data.length);
  const size = h * w;
  for (let p = 0; p < size; p++) for (let k = 0; k < c; k++) out[k * size + p] = a.data[p * c + k];
  return { data: out, n: c, h, w };
}

function layoutOf(where: string, a: FloatArray, layout: GalleryLayout): Exclude<GalleryLayout, 'auto'> {
  const s = a.shape;
  if (layout !== 'auto') return layout;
  if (s.length === 2 || s.length === 3) return 'maps';
  if (s.length === 4) {
    if (s[3] === 3) return 'images';
    if (s[3] === 1) return 'maps';
    if (s[0] === 1) return 'channels';
  }
  throw new InputError(where, `cannot tell how to tile shape [${s.join(', ')}]; set layout to one of: maps, channels, images`);
}

/**
 * Tiles maps or images into one atlas (an RGBAImage) with optional labels: layer activations, filters, or
 * the maps of several methods side by side. Map tiles are normalized (per tile or on one shared scale) and
 * colored; image tiles are drawn as they are. Tiles of different sizes are centered in cells of the
 * largest size. Async: tensors are read with `await data()`; the caller keeps the inputs.
 *
 *   await gallery(activations, { layout: 'channels', zoom: 2, labels: true })   // [1,28,28,256]
 */
export async function gallery(maps: ArrayInput | (ArrayInput | RGBAImage)[], options: GalleryOptions = {}): Promise<RGBAImage> {
  const where = 'gallery';
  const o = { ...GALLERY_DEFAULTS, ...options };
  if (!(GALLERY_LAYOUTS as readonly string[]).includes(o.layout)) {
    throw new OptionError(where, `invalid layout ${JSON.stringify(o.layout)}; choices: ${GALLERY_LAYOUTS.join(', ')}`);
  }
  const norm = checkNormalizeOptions(where, o.normalize);
  const zoom = checkInt(where, 'zoom', o.zoom, 1);
  const padding = checkInt(where, 'padding', o.padding, 0);
  const labelScale = checkInt(where, 'labelScale', o.labelScale, 1);
  checkColor(where, 'background', o.background);
  if (o.labelColor !== undefined) checkColor(where, 'labelColor', o.labelColor);
  const ir = o.imageRange;
  if (!Array.isArray(ir) || ir.length !== 2 || !(ir[1] > ir[0])) {
    throw new OptionError(where, `imageRange must be [lo, hi] with hi > lo, but got ${JSON.stringify(ir)}`);
  }

  const stacks: MapStack[] = [];
  const tiles: Tile[] = [];
  const addStack = (s: MapStack, what: string, a: FloatArray): void => {
    stacks.push({ ...s, range: finiteRange(where, what, a) });
    for (let i = 0; i < s.n; i++) tiles.push({ kind: 'map', stack: stacks.length - 1, index: i, h: s.h, w: s.w });
  };

  if (Array.isArray(maps)) {
    for (let i = 0; i < maps.length; i++) {
      const item = maps[i];
      const what = `tile ${i}`;
      if (item instanceof RGBAImage) { tiles.push({ kind: 'image', image: item }); continue; }
      if (!isTensor(item) && !isHostArray(item)) {
        throw new InputError(where, `${what} must be a tf.Tensor, { data, shape } or RGBAImage, but got ${describe(item)}`);
      }
      const a = await readArray(where, what, item);
      const s = a.shape;
      const isImage = (s.length === 3 && s[2] === 3) || (s.length === 4 && s[0] === 1 && s[3] === 3);
      if (isImage) tiles.push({ kind: 'image', image: floatToImage(where, a, o.imageRange) });
      else if (s.length === 2 || (s.length === 3 && s[0] === 1) || (s.length === 4 && s[0] === 1 && s[3] === 1)) {
        const h = s.length === 2 ? s[0] : s[1], w = s.length === 2 ? s[1] : s[2];
        if (h === 0 || w === 0) throw new InputError(where, `${what} is empty (shape [${s.join(', ')}])`);
        addStack({ data: a.data, n: 1, h, w }, what, a);
      } else {
        throw new InputError(where, `${what} must be a map [H,W] or an image [H,W,3], but got shape [${s.join(', ')}]`);
      }
    }
  } else {
    const a = await readArray(where, 'maps', maps);
    const s = a.shape;
    const layout = layoutOf(where, a, o.layout);
    if (layout === 'maps') {
      let dims: number[];
      if (s.length === 2) dims = [1, s[0], s[1]];
      else if (s.length === 3) dims = s;
      else if (s.length === 4 && s[3] === 1) dims = s.slice(0, 3);
      else throw new InputError(where, `layout "maps" needs [N,H,W], [H,W] or [N,H,W,1], but got [${s.join(', ')}]`);
      if (dims[0] > 0 && (dims[1] === 0 || dims[2] === 0)) throw new InputError(where, `maps are empty (shape [${s.join(', ')}])`);
      if (dims[0] > 0) addStack({ data: a.data, n: dims[0], h: dims[1], w: dims[2] }, 'maps', a);
    } else if (layout === 'channels') {
      const d = s.length === 3 ? s : s.length === 4 && s[0] === 1 ? s.slice(1) : null;
      if (!d) throw new InputError(where, `layout "channels" needs [H,W,C] or [1,H,W,C], but got [${s.join(', ')}]`);
      if (d[2] > 0 && (d[0] === 0 || d[1] === 0)) throw new InputError(where, `maps are empty (shape [${s.join(', ')}])`);
      if (d[2] > 0) addStack(channelsToStack(a, d[0], d[1], d[2]), 'maps', a);
    } else {
      if (s.length !== 4 || (s[3] !== 3 && s[3] !== 1)) {
        throw new InputError(where, `layout "images" needs [N,H,W,3] or [N,H,W,1], but got [${s.join(', ')}]`);
      }
      const [n, h, w, c] = s;
      const size = h * w * c;
      for (let i = 0; i < n; i++) {
        tiles.push({ kind: 'image', image: floatToImage(where, { data: a.data.subarray(i * size, (i + 1) * size), shape: [h, w, c] }, o.imageRange) });
      }
    }
  }
  if (tiles.length === 0) throw new InputError(where, 'nothing to tile: the gallery is empty (0 maps)');

  const labels = o.labels === true ? tiles.map((_, i) => String(i)) : o.labels === false ? null : o.labels;
  if (labels && (!Array.isArray(labels) || labels.length !== tiles.length || !labels.every((l) => typeof l === 'string'))) {
    throw new OptionError(where, `labels must be true, false or ${tiles.length} strings (one per tile), but got ${Array.isArray(labels) ? `${labels.length} entries` : typeof labels}`);
  }
  const columns = o.columns === undefined ? Math.ceil(Math.sqrt(tiles.length)) : checkInt(where, 'columns', o.columns, 1);
  const rows = Math.ceil(tiles.length / columns);

  const tileH = Math.max(...tiles.map((t) => (t.kind === 'map' ? t.h : t.image.height)));
  const tileW = Math.max(...tiles.map((t) => (t.kind === 'map' ? t.w : t.image.width)));
  const labelH = labels ? GLYPH_HEIGHT * labelScale + 3 : 0;
  const cellW = tileW * zoom, cellH = tileH * zoom + labelH;
  const width = Math.min(columns, tiles.length) * (cellW + padding) + padding;
  const height = rows * (cellH + padding) + padding;
  const atlas = new RGBAImage(width, height);
  const px = atlas.data;
  const [br, bg, bb] = o.background;
  for (let q = 0; q < px.length; q += 4) { px[q] = br; px[q + 1] = bg; px[q + 2] = bb; px[q + 3] = 255; }

  const normalized = normalizeStacks(stacks, norm).data;
  const lut = colormapLUT(o.colormap, 1024);
  const labelColor = o.labelColor ?? ((0.299 * br + 0.587 * bg + 0.114 * bb) > 128 ? [0, 0, 0] : [255, 255, 255]);
  const maxChars = Math.max(1, Math.floor((cellW + 1) / (GLYPH_ADVANCE * labelScale)));

  tiles.forEach((tile, i) => {
    const col = i % columns, row = Math.floor(i / columns);
    const cellX = padding + col * (cellW + padding), cellY = padding + row * (cellH + padding);
    if (labels) drawText(px, width, height, labels[i].slice(0, maxChars), cellX, cellY + 1, labelColor as [number, number, number], labelScale);
    const th = tile.kind === 'map' ? tile.h : tile.image.height;
    const tw = tile.kind === 'map' ? tile.w : tile.image.width;
    const x0 = cellX + ((tileW - tw) * zoom >> 1), y0 = cellY + labelH + ((tileH - th) * zoom >> 1);
    const values = tile.kind === 'map' ? normalized[tile.stack] : null;
    const base = tile.kind === 'map' ? tile.index * th * tw : 0;
    for (let y = 0; y < th * zoom; y++) {
      const sy = (y / zoom) | 0;
      let q = ((y0 + y) * width + x0) * 4;
      for (let x = 0; x < tw * zoom; x++, q += 4) {
        const sx = (x / zoom) | 0;
        if (values) {
          const l = Math.round(values[base + sy * tw + sx] * 1023) * 3;
          px[q] = lut[l]; px[q + 1] = lut[l + 1]; px[q + 2] = lut[l + 2];
        } else {
          const s = (sy * tw + sx) * 4, d = (tile as { image: RGBAImage }).image.data;
          px[q] = d[s]; px[q + 1] = d[s + 1]; px[q + 2] = d[s + 2];
        }
        px[q + 3] = 255;
      }
    }
  });
  return atlas;
}
