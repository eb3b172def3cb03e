/**
 * Pixel groups for the perturbation methods that switch whole groups of pixels on and off (feature
 * ablation, Shapley value sampling, LIME, KernelSHAP): Captum's `feature_mask`, one integer label per
 * pixel, shared by every channel. Three sources:
 *
 * - `'grid'`: rows × columns cells of (nearly) equal size, about `segments` of them (rows = round(√(segments·H/W)),
 *   columns = round(segments / rows), each at most the image's side); the same for every item.
 * - `'slic'`: SLIC superpixels (Achanta et al. 2012, "SLIC Superpixels Compared to State-of-the-Art
 *   Superpixel Methods") per item, written here after scikit-image's `slic` defaults: a regular grid of
 *   about `segments` seeds (step S = √(HW/segments)), 10 iterations of local k-means in a 2S × 2S window
 *   with distance √(d_c² + (d_s · compactness / S)²), then connectivity enforced (pieces smaller than half
 *   the mean segment size join a neighbour). Departures from scikit-image: colour distance is measured
 *   on the item's own channels rescaled to [0, 1] (min–max over the item), not in CIELAB (a model's input
 *   may be normalized or have any number of channels), so `compactness` is on that scale (default 0.1,
 *   within scikit-image's advice for non-Lab images); labels start at 0. Deterministic: no random draws.
 * - an integer mask `[H,W]` (every item) or `[N,H,W]` (one per item), as a tf.Tensor: the caller's groups.
 *   Labels must be integers ≥ 0; as in Captum they need not be contiguous — here they are renumbered
 *   0..M−1 in order of value, so a result's group `g` is the g-th smallest label.
 *
 * Groups are plain arrays in JavaScript (labels per pixel, one Int32Array per item): the methods build
 * each batch's masks from them.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../errors';
import { optionSpecs, resolveOptions, showValue } from './options';

export const GROUP_KINDS = ['slic', 'grid'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/** The `groups` option: a kind, or an integer label mask `[H,W]` or `[N,H,W]`. */
export type Groups = GroupKind | tf.Tensor;

/** Pixel groups per item: labels 0..count−1 per pixel (row-major, H·W), and the count. */
export interface PixelGroups {
  labels: Int32Array[];
  counts: number[];
}

/** The grid's rows and columns for about `segments` cells on an h × w image. */
export function gridShape(h: number, w: number, segments: number): [number, number] {
  const rows = Math.min(h, Math.max(1, Math.round(Math.sqrt((segments * h) / w))));
  const cols = Math.min(w, Math.max(1, Math.round(segments / rows)));
  return [rows, cols];
}

/** Grid cells, labelled row by row: cell (i, j) spans rows ⌊iH/r⌋..⌊(i+1)H/r⌋ and likewise for columns. */
export function gridGroups(h: number, w: number, segments: number): Int32Array {
  const [rows, cols] = gridShape(h, w, segments);
  const labels = new Int32Array(h * w);
  for (let y = 0; y < h; y++) {
    const i = Math.min(rows - 1, Math.floor((y * rows) / h));
    for (let x = 0; x < w; x++) labels[y * w + x] = i * cols + Math.min(cols - 1, Math.floor((x * cols) / w));
  }
  return labels;
}

/** Labels renumbered 0..M−1 in order of first appearance (raster order). */
function compact(labels: Int32Array): { labels: Int32Array; count: number } {
  const map = new Map<number, number>();
  const out = new Int32Array(labels.length);
  for (let p = 0; p < labels.length; p++) {
    let v = map.get(labels[p]);
    if (v === undefined) {
      v = map.size;
      map.set(labels[p], v);
    }
    out[p] = v;
  }
  return { labels: out, count: map.size };
}

/**
 * SLIC superpixels of one image (`values` row-major h × w × c), see the module comment. Returns labels
 * 0..M−1 in raster order of first appearance.
 */
export function slicGroups(values: ArrayLike<number>, h: number, w: number, c: number, segments: number, compactness: number): { labels: Int32Array; count: number } {
  const n = h * w;
  // The item rescaled to [0, 1] over all its channels (a constant image stays 0).
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n * c; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  const img = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) img[i] = (values[i] - lo) * scale;
  // Seeds on a regular grid, step S, offset S/2 (scikit-image's placement).
  const step = Math.max(1, Math.sqrt(n / Math.max(1, segments)));
  const rows = Math.max(1, Math.round(h / step));
  const cols = Math.max(1, Math.round(w / step));
  const k = rows * cols;
  const cy = new Float64Array(k);
  const cx = new Float64Array(k);
  const cc = new Float64Array(k * c);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const s = i * cols + j;
      cy[s] = Math.min(h - 1, ((i + 0.5) * h) / rows - 0.5);
      cx[s] = Math.min(w - 1, ((j + 0.5) * w) / cols - 0.5);
      const p = Math.round(cy[s]) * w + Math.round(cx[s]);
      for (let ch = 0; ch < c; ch++) cc[s * c + ch] = img[p * c + ch];
    }
  }
  const sy = h / rows;
  const sx = w / cols;
  const spatial = compactness / Math.max(sy, sx);
  const ratio = spatial * spatial;
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const sum = new Float64Array(k * (c + 3));
  for (let iter = 0; iter < 10; iter++) {
    dist.fill(Infinity);
    for (let s = 0; s < k; s++) {
      const y0 = Math.max(0, Math.floor(cy[s] - sy));
      const y1 = Math.min(h - 1, Math.ceil(cy[s] + sy));
      const x0 = Math.max(0, Math.floor(cx[s] - sx));
      const x1 = Math.min(w - 1, Math.ceil(cx[s] + sx));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const p = y * w + x;
          let dc = 0;
          for (let ch = 0; ch < c; ch++) {
            const d = img[p * c + ch] - cc[s * c + ch];
            dc += d * d;
          }
          const dy = y - cy[s];
          const dx = x - cx[s];
          const d = dc + (dy * dy + dx * dx) * ratio;
          if (d < dist[p]) {
            dist[p] = d;
            labels[p] = s;
          }
        }
      }
    }
    // New centres: the mean position and colour of each cluster (an empty one keeps its place).
    sum.fill(0);
    for (let p = 0; p < n; p++) {
      const s = labels[p];
      if (s < 0) continue;
      const o = s * (c + 3);
      sum[o] += 1;
      sum[o + 1] += Math.floor(p / w);
      sum[o + 2] += p % w;
      for (let ch = 0; ch < c; ch++) sum[o + 3 + ch] += img[p * c + ch];
    }
    for (let s = 0; s < k; s++) {
      const o = s * (c + 3);
      if (sum[o] === 0) continue;
      cy[s] = sum[o + 1] / sum[o];
      cx[s] = sum[o + 2] / sum[o];
      for (let ch = 0; ch < c; ch++) cc[s * c + ch] = sum[o + 3 + ch] / sum[o];
    }
  }
  // A pixel no window reached (possible only on tiny images): the nearest centre.
  for (let p = 0; p < n; p++) {
    if (labels[p] >= 0) continue;
    let best = 0;
    let bd = Infinity;
    for (let s = 0; s < k; s++) {
      const d = (Math.floor(p / w) - cy[s]) ** 2 + ((p % w) - cx[s]) ** 2;
      if (d < bd) [bd, best] = [d, s];
    }
    labels[p] = best;
  }
  return enforceConnectivity(labels, h, w, Math.max(1, Math.floor((0.5 * n) / k)));
}

/**
 * Connected components (4-neighbours) of the same label become segments; one smaller than `minSize`
 * joins the segment of the pixel just before its first pixel in raster order (scikit-image's rule: its
 * adjacent segment found first), or after it when it starts at the origin.
 */
function enforceConnectivity(labels: Int32Array, h: number, w: number, minSize: number): { labels: Int32Array; count: number } {
  const n = h * w;
  const comp = new Int32Array(n).fill(-1);
  const sizes: number[] = [];
  const queue = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (comp[start] >= 0) continue;
    const id = sizes.length;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    comp[start] = id;
    while (head < tail) {
      const p = queue[head++];
      const y = Math.floor(p / w);
      const x = p % w;
      const nb = [y > 0 ? p - w : -1, y < h - 1 ? p + w : -1, x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1];
      for (const q of nb) {
        if (q >= 0 && comp[q] < 0 && labels[q] === labels[p]) {
          comp[q] = id;
          queue[tail++] = q;
        }
      }
    }
    sizes.push(tail);
  }
  // Small components merge, in raster order of their first pixel, into the component before them.
  const parent = sizes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const first = new Int32Array(sizes.length).fill(-1);
  for (let p = 0; p < n; p++) if (first[comp[p]] < 0) first[comp[p]] = p;
  const merged = sizes.slice();
  for (let id = 0; id < sizes.length; id++) {
    const root = find(id);
    if (merged[root] >= minSize || sizes.length === 1) continue;
    const p = first[id];
    const y = Math.floor(p / w);
    const x = p % w;
    const q = x > 0 ? p - 1 : y > 0 ? p - w : x < w - 1 ? p + 1 : y < h - 1 ? p + w : -1;
    if (q < 0) continue;
    const other = find(comp[q]);
    if (other === root) continue;
    parent[root] = other;
    merged[other] += merged[root];
  }
  const out = new Int32Array(n);
  for (let p = 0; p < n; p++) out[p] = find(comp[p]);
  return compact(out);
}

/** Renumbers a caller's labels 0..M−1 in order of value. */
function byValue(labels: Int32Array): { labels: Int32Array; count: number } {
  const values = [...new Set(labels)].sort((a, b) => a - b);
  const map = new Map(values.map((v, i) => [v, i]));
  return { labels: labels.map((v) => map.get(v) as number), count: values.length };
}

export interface GroupOptions {
  groups: Groups;
  segments: number;
  compactness: number;
}

/** The pixel-group options' defaults, shared by every method that perturbs groups. */
export const GROUP_DEFAULTS = { groups: 'slic' as Groups, segments: 16, compactness: 0.1 };

export const GROUP_TYPES = {
  groups: { type: 'groups', choices: GROUP_KINDS, description: "pixel groups switched together: 'slic' superpixels per item, a 'grid', or your own label mask" },
  segments: { type: 'integer', min: 1, max: 100000, description: "about how many groups 'slic' and 'grid' make" },
  compactness: { type: 'number', min: 0, exclusiveMin: true, description: "SLIC's balance of space against colour (colours on [0, 1])" },
} as const;

const GROUP_SPECS = optionSpecs(GROUP_DEFAULTS, GROUP_TYPES);

/** Checks the `groups` option value alone (a kind or a tensor); the tensor's shape is checked against the input later. */
export function checkGroupsValue(where: string, v: unknown): Groups {
  if (v instanceof tf.Tensor || (GROUP_KINDS as readonly unknown[]).includes(v)) return v as Groups;
  throw new OptionError(where, `groups must be ${GROUP_KINDS.map((k) => `'${k}'`).join(', ')} or an integer tf.Tensor [H,W] or [N,H,W] of labels ≥ 0, got ${showValue(v)}`);
}

/**
 * The groups of every item of `x` `[N,H,W,C]` (reads the input back for SLIC, and a caller's mask).
 * A mask of the wrong shape, not integers, or with negative labels is an InputError.
 */
export async function resolveGroups(where: string, x: tf.Tensor4D, o: GroupOptions): Promise<PixelGroups> {
  const [n, h, w, c] = x.shape;
  const groups = checkGroupsValue(where, o.groups);
  if (groups === 'grid') {
    const labels = gridGroups(h, w, o.segments);
    const count = labels[labels.length - 1] + 1;
    return { labels: new Array(n).fill(labels), counts: new Array(n).fill(count) };
  }
  if (groups === 'slic') {
    const values = await x.data();
    const out: PixelGroups = { labels: [], counts: [] };
    for (let i = 0; i < n; i++) {
      const s = slicGroups(values.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c, o.segments, o.compactness);
      out.labels.push(s.labels);
      out.counts.push(s.count);
    }
    return out;
  }
  const mask = groups;
  if (mask.isDisposed) throw new InputError(where, 'groups tensor is disposed');
  const fits = (mask.rank === 2 && mask.shape[0] === h && mask.shape[1] === w) || (mask.rank === 3 && mask.shape[0] === n && mask.shape[1] === h && mask.shape[2] === w);
  if (!fits) throw new InputError(where, `groups mask of shape [${mask.shape}] does not fit the input [${x.shape}]: give [${h},${w}] (every item) or [${n},${h},${w}] (one per item)`);
  const raw = await mask.data();
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] as number;
    if (!Number.isInteger(v) || v < 0) throw new InputError(where, `groups mask labels must be integers ≥ 0, got ${v} at index ${i}`);
  }
  const per = h * w;
  const out: PixelGroups = { labels: [], counts: [] };
  for (let i = 0; i < n; i++) {
    const part = mask.rank === 2 ? raw : raw.subarray(i * per, (i + 1) * per);
    const g = byValue(Int32Array.from(part as ArrayLike<number>));
    out.labels.push(g.labels);
    out.counts.push(g.count);
  }
  return out;
}

/**
 * The pixel groups the perturbation methods would use for `input` `[N,H,W,C]`, as an int32 tensor
 * `[N,H,W]` of labels 0..M−1 (draw it, or edit it and pass it back as `groups`). The caller owns it.
 * Options: `groups`, `segments`, `compactness`, with the methods' defaults (GROUP_DEFAULTS).
 */
export async function pixelGroups(input: tf.Tensor4D, options: Partial<GroupOptions> = {}): Promise<tf.Tensor3D> {
  const where = 'pixelGroups';
  if (!(input instanceof tf.Tensor) || input.rank !== 4) throw new InputError(where, `input must be a tf.Tensor of shape [N,H,W,C], got ${showValue(input)}`);
  const o = resolveOptions(where, GROUP_SPECS, options);
  const g = await resolveGroups(where, input, o);
  const [n, h, w] = input.shape;
  const flat = new Int32Array(n * h * w);
  g.labels.forEach((l, i) => flat.set(l, i * h * w));
  return tf.tensor3d(flat, [n, h, w], 'int32');
}
