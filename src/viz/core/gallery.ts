/**
 * Atlases: map and image tiles drawn into one picture in a grid, with labels in the bitmap font. Map
 * tiles are normalized (per tile or on one shared scale) and colored; image tiles are copied.
 */
import { MapStack } from './arrays';
import { ColormapSpec, colormapLUT, LUT_SIZE, lutIndex } from './colormap';
import { InputError, OptionError } from './errors';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, drawText } from './font';
import { NormalizeOptions, checkNormalizeOptions, normalizeStacks } from './normalize';
import { Pixels, RGB, checkColor, newPixels } from './pixels';

export interface AtlasOptions {
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
}

export const ATLAS_DEFAULTS = {
  zoom: 1,
  padding: 2,
  background: [255, 255, 255] as [number, number, number],
  colormap: 'viridis' as ColormapSpec,
  normalize: {} as NormalizeOptions,
  labels: false as boolean | string[],
  labelScale: 1,
};

/** A tile: map `index` of `stacks[stack]`, or a picture drawn as it is. */
export type AtlasTile = { kind: 'map'; stack: number; index: number } | { kind: 'image'; image: Pixels };

export function checkInt(where: string, name: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new OptionError(where, `${name} must be an integer >= ${min}, but got ${String(v)}`);
  return v as number;
}

/** Fills in the defaults and checks the options that do not depend on the tiles. */
export function checkAtlasOptions(where: string, options: AtlasOptions): AtlasOptions & typeof ATLAS_DEFAULTS {
  const o = { ...ATLAS_DEFAULTS, ...options };
  checkNormalizeOptions(where, o.normalize);
  checkInt(where, 'zoom', o.zoom, 1);
  checkInt(where, 'padding', o.padding, 0);
  checkInt(where, 'labelScale', o.labelScale, 1);
  checkColor(where, 'background', o.background);
  if (o.labelColor !== undefined) checkColor(where, 'labelColor', o.labelColor);
  return o;
}

/**
 * Tiles into one atlas. Tiles of different sizes are centered in cells of the largest size. `stacks`
 * hold the map tiles' data (checked finite, as mapStack does); a shared scale spans all of them.
 */
export function drawAtlas(stacks: MapStack[], tiles: AtlasTile[], options: AtlasOptions = {}, where = 'drawAtlas'): Pixels {
  const o = checkAtlasOptions(where, options);
  if (tiles.length === 0) throw new InputError(where, 'nothing to tile: the gallery is empty (0 maps)');
  const size = (t: AtlasTile): [number, number] => {
    if (t.kind === 'image') return [t.image.height, t.image.width];
    const s = stacks[t.stack];
    if (!s || !(t.index >= 0 && t.index < s.n)) throw new InputError(where, `tile refers to map ${t.index} of stack ${t.stack}, which does not exist`);
    return [s.h, s.w];
  };
  const sizes = tiles.map(size);
  const labels = o.labels === true ? tiles.map((_, i) => String(i)) : o.labels === false ? null : o.labels;
  if (labels && (!Array.isArray(labels) || labels.length !== tiles.length || !labels.every((l) => typeof l === 'string'))) {
    throw new OptionError(where, `labels must be true, false or ${tiles.length} strings (one per tile), but got ${Array.isArray(labels) ? `${labels.length} entries` : typeof labels}`);
  }
  const columns = o.columns === undefined ? Math.ceil(Math.sqrt(tiles.length)) : checkInt(where, 'columns', o.columns, 1);
  const rows = Math.ceil(tiles.length / columns);
  const { zoom, padding, labelScale } = o;

  const tileH = Math.max(...sizes.map((s) => s[0]));
  const tileW = Math.max(...sizes.map((s) => s[1]));
  const labelH = labels ? GLYPH_HEIGHT * labelScale + 3 : 0;
  const cellW = tileW * zoom, cellH = tileH * zoom + labelH;
  const width = Math.min(columns, tiles.length) * (cellW + padding) + padding;
  const height = rows * (cellH + padding) + padding;
  const atlas = newPixels(width, height);
  const px = atlas.data;
  const [br, bg, bb] = o.background;
  for (let q = 0; q < px.length; q += 4) { px[q] = br; px[q + 1] = bg; px[q + 2] = bb; px[q + 3] = 255; }

  const normalized = normalizeStacks(stacks, checkNormalizeOptions(where, o.normalize)).data;
  const lut = colormapLUT(o.colormap, LUT_SIZE);
  const labelColor: RGB = o.labelColor ?? ((0.299 * br + 0.587 * bg + 0.114 * bb) > 128 ? [0, 0, 0] : [255, 255, 255]);
  const maxChars = Math.max(1, Math.floor((cellW + 1) / (GLYPH_ADVANCE * labelScale)));

  const index = lutIndex; // a local constant for the pixel loop (see HOT in overlay.ts)
  tiles.forEach((tile, i) => {
    const col = i % columns, row = Math.floor(i / columns);
    const cellX = padding + col * (cellW + padding), cellY = padding + row * (cellH + padding);
    if (labels) drawText(px, width, height, labels[i].slice(0, maxChars), cellX, cellY + 1, labelColor, labelScale);
    const [th, tw] = sizes[i];
    const x0 = cellX + ((tileW - tw) * zoom >> 1), y0 = cellY + labelH + ((tileH - th) * zoom >> 1);
    const values = tile.kind === 'map' ? normalized[tile.stack] : null;
    const base = tile.kind === 'map' ? tile.index * th * tw : 0;
    for (let y = 0; y < th * zoom; y++) {
      const sy = (y / zoom) | 0;
      let q = ((y0 + y) * width + x0) * 4;
      for (let x = 0; x < tw * zoom; x++, q += 4) {
        const sx = (x / zoom) | 0;
        if (values) {
          const l = index(values[base + sy * tw + sx]) * 3;
          px[q] = lut[l]; px[q + 1] = lut[l + 1]; px[q + 2] = lut[l + 2];
        } else {
          const s = (sy * tw + sx) * 4, d = (tile as { image: Pixels }).image.data;
          px[q] = d[s]; px[q + 1] = d[s + 1]; px[q + 2] = d[s + 2];
        }
        px[q + 3] = 255;
      }
    }
  });
  return atlas;
}
