/**
 * The pictures of the widget views, composed from widget state on typed arrays. The front end paints
 * them on its canvases at every change (look-only controls never reach the kernel) and the kernel
 * encodes the same pixels as the `image/png` of the display bundle, so a renderer without the front end
 * shows what the live view showed. Browser-safe.
 */
import { GLYPH_HEIGHT, drawText, textWidth } from '../viz/core';
import type { WireArray } from './arrays';
import { drawColorbar, drawHeatmap, drawImage, fillRect, normalizeMap, rangeOf, smoothed, type Look } from './render';

/** An RGBA picture with the zoom its image pixels were drawn at. */
export interface Picture {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Short number formatting for readouts and scale labels. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toFixed(a < 1 ? 4 : 2);
}

/** The integer zoom that shows an h×w picture at about `target` pixels on its long side. */
export function zoomFor(h: number, w: number, target = 256): number {
  return Math.max(1, Math.round(target / Math.max(h, w)));
}

const WHITE: [number, number, number] = [255, 255, 255];
const BLACK: [number, number, number] = [0, 0, 0];
const BAR_GAP = 4, BAR_H = 10, LABEL_GAP = 3;

function blank(width: number, height: number): Picture {
  const rgba = new Uint8ClampedArray(width * height * 4);
  fillRect(rgba, width, 0, 0, width, height, WHITE);
  return { rgba, width, height };
}

/** The h×w slice `index` of a stack of maps (float32 [..., h, w]). */
export function mapAt(maps: WireArray, index: number, h: number, w: number): Float32Array {
  return (maps.data as Float32Array).subarray(index * h * w, (index + 1) * h * w);
}

/** The RGB pixels of image `index` of uint8 [N,H,W,3]. */
export function imageAt(images: WireArray, index: number): Uint8Array {
  const [, h, w] = images.shape;
  return (images.data as Uint8Array).subarray(index * h * w * 3, (index + 1) * h * w * 3);
}

/** A colorbar with its range written under its ends. Returns the height used. */
function colorbar(p: Picture, x: number, y: number, width: number, look: Look, range: [number, number]): void {
  drawColorbar(p.rgba, p.width, x, y, width, BAR_H, look.colormap);
  const ty = y + BAR_H + LABEL_GAP;
  const lo = fmt(range[0]), hi = fmt(range[1]);
  drawText(p.rgba, p.width, p.height, lo, x, ty, BLACK);
  drawText(p.rgba, p.width, p.height, hi, x + Math.max(0, width - textWidth(hi)), ty, BLACK);
}

/** One map over its image with a colorbar under it: the heatmap and occlusion views. */
export interface OverlayPicture extends Picture {
  zoom: number;
  /** The scale [lo, hi] the colors span. */
  range: [number, number];
  /** Size of the image area in image pixels. */
  h: number;
  w: number;
}

export function renderOverlay(image: Uint8Array, map: Float32Array, h: number, w: number, look: Look, zoom = zoomFor(h, w)): OverlayPicture {
  const width = Math.max(w * zoom, 120);
  const p = blank(width, h * zoom + BAR_GAP + BAR_H + LABEL_GAP + GLYPH_HEIGHT + 1);
  const { t, range } = normalizeMap(smoothed(map, h, w, look), h, w, look);
  drawHeatmap(p.rgba, p.width, 0, 0, t, h, w, look, image, zoom);
  colorbar(p, 0, h * zoom + BAR_GAP, w * zoom, look, range);
  return { ...p, zoom, range, h, w };
}

/** Heatmap explorer: image `page`, map of method `method`. State shapes: images [N,H,W,3], maps [N,M,H,W]. */
export function renderHeatmapExplorer(images: WireArray, maps: WireArray, page: number, method: number, look: Look): OverlayPicture {
  const [, h, w] = images.shape;
  const m = maps.shape[1];
  return renderOverlay(imageAt(images, page), mapAt(maps, page * m + method, h, w), h, w, look);
}

export type CompareScale = 'shared' | 'per-method' | 'per-map';
export const COMPARE_SCALES: readonly CompareScale[] = ['shared', 'per-method', 'per-map'];

/**
 * Methods × images: one row per image, one column per method, the image itself first. With scale
 * "shared" one range spans every map (the colorbar's), "per-method" one per column, "per-map" each alone.
 */
export function renderCompare(images: WireArray, maps: WireArray, titles: string[], look: Look, scale: CompareScale): Picture & { zoom: number; ranges: [number, number][] } {
  const [n, h, w] = images.shape;
  const m = maps.shape[1];
  const zoom = zoomFor(h, w, 128);
  const gap = 4, head = GLYPH_HEIGHT + 4;
  const cellW = w * zoom, cellH = h * zoom;
  const width = (m + 1) * (cellW + gap);
  const footer = scale === 'shared' ? BAR_GAP + BAR_H + LABEL_GAP + GLYPH_HEIGHT + 2 : 0;
  const p = blank(width, head + n * (cellH + gap) + footer);
  const sm = Array.from({ length: n * m }, (_, i) => smoothed(mapAt(maps, i, h, w), h, w, look));
  const shared = scale === 'shared' ? rangeOf(sm, h, w, look) : undefined;
  const perMethod = scale === 'per-method' ? titles.map((_, j) => rangeOf(Array.from({ length: n }, (_, i) => sm[i * m + j]), h, w, look)) : undefined;
  drawText(p.rgba, p.width, p.height, 'image', 0, 1, BLACK);
  titles.forEach((t, j) => drawText(p.rgba, p.width, p.height, t.slice(0, Math.floor(cellW / 6)), (j + 1) * (cellW + gap), 1, BLACK));
  const ranges: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const y = head + i * (cellH + gap);
    drawImage(p.rgba, p.width, 0, y, imageAt(images, i), h, w, zoom);
    for (let j = 0; j < m; j++) {
      const { t, range } = normalizeMap(sm[i * m + j], h, w, look, shared ?? perMethod?.[j]);
      ranges.push(range);
      drawHeatmap(p.rgba, p.width, (j + 1) * (cellW + gap), y, t, h, w, look, imageAt(images, i), zoom);
    }
  }
  if (shared) colorbar(p, 0, head + n * (cellH + gap) + BAR_GAP - gap, Math.min(width, 256), look, shared);
  return { ...p, zoom, ranges };
}

export const GALLERY_SORTS = ['index', 'mean', 'max'] as const;
export type GallerySort = (typeof GALLERY_SORTS)[number];
export const GALLERY_SCALES = ['shared', 'per-channel'] as const;
export type GalleryScale = (typeof GALLERY_SCALES)[number];

/** Channel order for a sort: by index, or by mean or max activation, largest first. */
export function channelOrder(acts: WireArray, sort: GallerySort): number[] {
  const [c, h, w] = acts.shape;
  const order = Array.from({ length: c }, (_, i) => i);
  if (sort === 'index') return order;
  const d = acts.data as Float32Array;
  const key = order.map((k) => {
    let s = 0, mx = -Infinity;
    for (let i = k * h * w, e = (k + 1) * h * w; i < e; i++) { s += d[i]; if (d[i] > mx) mx = d[i]; }
    return sort === 'mean' ? s / (h * w) : mx;
  });
  return order.sort((a, b) => key[b] - key[a] || a - b);
}

export interface GalleryLayout extends Picture {
  /** Channels shown on this page, in order, and the tile rectangles [x, y, size] in picture pixels. */
  channels: number[];
  tiles: [number, number, number][];
  tileZoom: number;
  /** The enlarged channel's rectangle [x, y, zoom], or null. */
  enlarged: [number, number, number] | null;
}

/**
 * Activation gallery: the page's channels as tiles (label, map), the selected channel enlarged at the
 * right, and filter visualizations (uint8 [K,fh,fw,3] for `filterChannels`) under their tiles when given.
 */
export function renderGallery(
  acts: WireArray, look: Look, options: { sort: GallerySort; scale: GalleryScale; page: number; pageSize: number; selected: number; columns?: number },
  filters: WireArray | null = null, filterChannels: number[] = [],
): GalleryLayout {
  const [c, h, w] = acts.shape;
  const order = channelOrder(acts, options.sort);
  const channels = order.slice(options.page * options.pageSize, (options.page + 1) * options.pageSize);
  const tileZoom = zoomFor(h, w, 48);
  const size = Math.max(h, w) * tileZoom;
  const columns = options.columns ?? Math.min(8, Math.max(1, channels.length));
  const label = GLYPH_HEIGHT + 2, gap = 4;
  const fh = filters ? filters.shape[1] : 0, fw = filters ? filters.shape[2] : 0;
  const filterZoom = filters ? Math.max(1, Math.floor(size / Math.max(fh, fw))) : 0;
  const filterRow = filters ? Math.max(fh, fw) * filterZoom + gap : 0;
  const cellH = label + size + gap + filterRow;
  const rows = Math.ceil(channels.length / columns);
  const gridW = columns * (size + gap);
  const selected = options.selected >= 0 && options.selected < c ? options.selected : -1;
  const bigZoom = zoomFor(h, w, 192);
  const bigW = selected >= 0 ? w * bigZoom + 2 * gap : 0;
  const p = blank(gridW + bigW, Math.max(rows * cellH, selected >= 0 ? label + h * bigZoom + BAR_GAP + BAR_H + LABEL_GAP + GLYPH_HEIGHT + 2 : 0, 1));
  const sm = channels.map((k) => smoothed(mapAt(acts, k, h, w), h, w, look));
  const all = Array.from({ length: c }, (_, k) => mapAt(acts, k, h, w));
  const shared = options.scale === 'shared' ? rangeOf(all, h, w, look) : undefined;
  const tiles: [number, number, number][] = [];
  channels.forEach((k, i) => {
    const x = (i % columns) * (size + gap), y = Math.floor(i / columns) * cellH;
    drawText(p.rgba, p.width, p.height, String(k), x, y + 1, k === selected ? [230, 100, 0] : BLACK);
    const { t } = normalizeMap(sm[i], h, w, look, shared);
    drawHeatmap(p.rgba, p.width, x, y + label, t, h, w, look, null, tileZoom);
    if (k === selected) {
      fillRect(p.rgba, p.width, x, y + label + size, size, 2, [230, 100, 0]);
    }
    tiles.push([x, y + label, size]);
    const fi = filterChannels.indexOf(k);
    if (filters && fi >= 0) drawImage(p.rgba, p.width, x, y + label + size + gap, imageAt(filters, fi), fh, fw, filterZoom);
  });
  let enlarged: [number, number, number] | null = null;
  if (selected >= 0) {
    const x = gridW + gap;
    drawText(p.rgba, p.width, p.height, `channel ${selected}`, x, 1, BLACK);
    const { t, range } = normalizeMap(smoothed(mapAt(acts, selected, h, w), h, w, look), h, w, look, shared);
    drawHeatmap(p.rgba, p.width, x, label, t, h, w, look, null, bigZoom);
    colorbar(p, x, label + h * bigZoom + BAR_GAP, w * bigZoom, look, range);
    enlarged = [x, label, bigZoom];
  }
  return { ...p, channels, tiles, tileZoom, enlarged };
}
