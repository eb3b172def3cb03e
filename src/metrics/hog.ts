/**
 * Histogram-of-oriented-gradients features of maps and their Pearson correlation, the third similarity
 * of Adebayo et al. 2018 (beside Spearman rank correlation and SSIM): two maps whose edges run the same
 * way in the same places correlate near 1 even when their values differ.
 *
 * The features are skimage's `skimage.feature.hog` of a single-channel image with its defaults:
 * gradients by central differences (0 on the first and last row / column), unsigned orientations in
 * [0°, 180°) in `orientations` (9) bins, each pixel's magnitude added to its bin (no interpolation),
 * histograms of `pixelsPerCell`² (8×8) cells divided by the cell's area, blocks of `cellsPerBlock`²
 * (3×3) cells at a stride of one cell normalized by L2-Hys (L2, clip at 0.2, L2 again, ε = 1e-5), and
 * rows and columns beyond the last whole cell ignored.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { checkInteger } from '../methods/options';
import { checkMap, pearson } from './common';

export interface HogOptions {
  /** Orientation bins over [0°, 180°). Default 9. */
  orientations?: number;
  /** Side of a cell in pixels. Default 8. */
  pixelsPerCell?: number;
  /** Side of a block in cells. Default 3. */
  cellsPerBlock?: number;
}

export const HOG_DEFAULTS = { orientations: 9, pixelsPerCell: 8, cellsPerBlock: 3 };

/** The checked HOG options; a map smaller than one block is an OptionError naming both sizes. */
export function hogSettings(where: string, options: HogOptions, h: number, w: number): Required<HogOptions> {
  const o = { ...HOG_DEFAULTS, ...options };
  checkInteger(where, 'orientations', o.orientations, { min: 1, max: 360 });
  checkInteger(where, 'pixelsPerCell', o.pixelsPerCell, { min: 1 });
  checkInteger(where, 'cellsPerBlock', o.cellsPerBlock, { min: 1 });
  const side = o.pixelsPerCell * o.cellsPerBlock;
  if (h < side || w < side) {
    throw new OptionError(where, `a HOG block of ${o.cellsPerBlock}×${o.cellsPerBlock} cells of ${o.pixelsPerCell} px needs maps of at least ${side}×${side}, got ${h}×${w}`);
  }
  return o;
}

/** True when maps of this size hold at least one HOG block at the default settings. */
export function hogFits(h: number, w: number): boolean {
  const side = HOG_DEFAULTS.pixelsPerCell * HOG_DEFAULTS.cellsPerBlock;
  return h >= side && w >= side;
}

/** HOG features of one map `[h,w]` (row-major), as skimage's `hog(..., feature_vector=True)`. */
export function hogFeatures(v: ArrayLike<number>, h: number, w: number, o: Required<HogOptions>): Float64Array {
  const { orientations: bins, pixelsPerCell: cell, cellsPerBlock: block } = o;
  const cellsY = Math.floor(h / cell), cellsX = Math.floor(w / cell);
  const hist = new Float64Array(cellsY * cellsX * bins);
  const perBin = 180 / bins;
  for (let y = 0; y < cellsY * cell; y++) {
    for (let x = 0; x < cellsX * cell; x++) {
      const gr = y === 0 || y === h - 1 ? 0 : v[(y + 1) * w + x] - v[(y - 1) * w + x];
      const gc = x === 0 || x === w - 1 ? 0 : v[y * w + x + 1] - v[y * w + x - 1];
      const mag = Math.hypot(gr, gc);
      if (mag === 0) continue;
      let deg = ((Math.atan2(gr, gc) * 180) / Math.PI) % 180;
      if (deg < 0) deg += 180;
      const b = Math.min(bins - 1, Math.floor(deg / perBin));
      hist[(Math.floor(y / cell) * cellsX + Math.floor(x / cell)) * bins + b] += mag;
    }
  }
  for (let k = 0; k < hist.length; k++) hist[k] /= cell * cell;
  const blocksY = cellsY - block + 1, blocksX = cellsX - block + 1;
  const len = block * block * bins;
  const out = new Float64Array(blocksY * blocksX * len);
  const eps2 = 1e-10;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const base = (by * blocksX + bx) * len;
      let k = 0;
      for (let cy = 0; cy < block; cy++) {
        for (let cx = 0; cx < block; cx++) {
          for (let b = 0; b < bins; b++) out[base + k++] = hist[((by + cy) * cellsX + bx + cx) * bins + b];
        }
      }
      let s = 0;
      for (let j = 0; j < len; j++) s += out[base + j] ** 2;
      let norm = Math.sqrt(s + eps2);
      s = 0;
      for (let j = 0; j < len; j++) {
        out[base + j] = Math.min(out[base + j] / norm, 0.2);
        s += out[base + j] ** 2;
      }
      norm = Math.sqrt(s + eps2);
      for (let j = 0; j < len; j++) out[base + j] /= norm;
    }
  }
  return out;
}

/**
 * Pearson correlation of the HOG features of two maps `[N,H,W]`, per item (Adebayo et al. 2018); 0 when
 * either side's features are constant (a map without edges).
 */
export async function hogSimilarity(a: tf.Tensor, b: tf.Tensor, options: HogOptions = {}): Promise<number[]> {
  const where = 'hogSimilarity';
  const ma = await checkMap(where, 'a', a);
  const mb = await checkMap(where, 'b', b, ma.shape);
  const [n, h, w] = ma.shape;
  const o = hogSettings(where, options, h, w);
  const [va, vb] = await Promise.all([ma.data(), mb.data()]);
  const px = h * w;
  return Array.from({ length: n }, (_, i) =>
    pearson(hogFeatures(va.subarray(i * px, (i + 1) * px), h, w, o), hogFeatures(vb.subarray(i * px, (i + 1) * px), h, w, o)));
}
