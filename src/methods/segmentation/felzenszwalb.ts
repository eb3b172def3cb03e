/**
 * Felzenszwalb and Huttenlocher's graph-based segmentation (2004, "Efficient Graph-Based Image
 * Segmentation"), with scikit-image's conventions (`skimage.segmentation.felzenszwalb`), which PAIR's
 * XRAI calls: the image is smoothed with a Gaussian of `sigma` (per channel, borders reflected, kernel
 * truncated at 4σ); pixels are joined over 8-connected edges weighted by the Euclidean distance of their
 * colours, in increasing order, when the edge is lighter than min over the two components of
 * (their largest internal edge + k / size), k = `scale` / 255 (scikit-image's rescaling of the paper's
 * k); then components smaller than `minSize` are merged along the sorted edges. Labels are numbered by
 * each segment's first pixel in raster order, as scikit-image's are.
 *
 * Plain JavaScript on typed arrays (float64), no tensors. Edges of equal weight keep their order of
 * creation (a stable sort; numpy's argsort there is not stable, so ties may join in another order).
 */

export interface FelzenszwalbOptions {
  /** The paper's k times 255: larger gives larger segments. Default 1 (scikit-image's). */
  scale?: number;
  /** σ in pixels of the smoothing before segmentation. Default 0.8. */
  sigma?: number;
  /** Smallest segment, in pixels, enforced after the merge. Default 20. */
  minSize?: number;
}

/** Mirror index for scipy's 'reflect' mode (d c b a | a b c d | d c b a). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/** scipy's gaussian_filter along one axis (truncate 4, mode 'reflect') of an [h, w, c] image. */
function smoothAxis(src: Float64Array, h: number, w: number, c: number, sigma: number, axis: 0 | 1): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let t = -radius; t <= radius; t++) sum += k[t + radius] = Math.exp(-0.5 * (t * t) / (sigma * sigma));
  for (let t = 0; t < k.length; t++) k[t] /= sum;
  const out = new Float64Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) {
          const yy = axis === 0 ? reflect(y + t, h) : y;
          const xx = axis === 1 ? reflect(x + t, w) : x;
          acc += k[t + radius] * src[(yy * w + xx) * c + ch];
        }
        out[(y * w + x) * c + ch] = acc;
      }
    }
  }
  return out;
}

/** The smoothed image's 8-connected edges sorted by weight: what every scale shares (see `felzenszwalbGraph`). */
export interface FelzenszwalbGraph {
  h: number;
  w: number;
  /** Edge e joins pixels a[e] and b[e] with weight cost[e], in increasing order of weight. */
  a: Int32Array;
  b: Int32Array;
  cost: Float64Array;
}

/**
 * Smooths an image `[h, w, c]` (row-major, channels last) with a Gaussian of `sigma` and builds its edges
 * sorted by weight; `segmentGraph` then segments it at any scale (XRAI uses six).
 */
export function felzenszwalbGraph(image: ArrayLike<number>, h: number, w: number, c: number, sigma = 0.8): FelzenszwalbGraph {
  let im = Float64Array.from(image);
  if (sigma > 0) im = smoothAxis(smoothAxis(im, h, w, c, sigma, 0), h, w, c, sigma, 1);
  const count = h * (w - 1) + (h - 1) * w + 2 * (h - 1) * (w - 1);
  const ea = new Int32Array(count);
  const eb = new Int32Array(count);
  const cost = new Float64Array(count);
  let e = 0;
  const add = (p: number, q: number) => {
    let s = 0;
    for (let ch = 0; ch < c; ch++) {
      const dv = im[p * c + ch] - im[q * c + ch];
      s += dv * dv;
    }
    ea[e] = p;
    eb[e] = q;
    cost[e++] = Math.sqrt(s);
  };
  // Edges in scikit-image's order: right, down, down-right, up-right neighbours.
  for (let y = 0; y < h; y++) for (let x = 0; x + 1 < w; x++) add(y * w + x + 1, y * w + x);
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x < w; x++) add((y + 1) * w + x, y * w + x);
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x + 1 < w; x++) add((y + 1) * w + x + 1, y * w + x);
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x + 1 < w; x++) add(y * w + x + 1, (y + 1) * w + x);
  const order = Array.from({ length: count }, (_, i) => i).sort((i, j) => cost[i] - cost[j] || i - j);
  return { h, w, a: Int32Array.from(order, (i) => ea[i]), b: Int32Array.from(order, (i) => eb[i]), cost: Float64Array.from(order, (i) => cost[i]) };
}

/** Segments an image `[h, w, c]`: one label per pixel, 0 to (segments − 1), `Int32Array(h · w)`. */
export function felzenszwalb(image: ArrayLike<number>, h: number, w: number, c: number, options: FelzenszwalbOptions = {}): Int32Array {
  return segmentGraph(felzenszwalbGraph(image, h, w, c, options.sigma ?? 0.8), options);
}

/** Felzenszwalb's merge at one scale over a graph from `felzenszwalbGraph` (its `sigma` is the graph's). */
export function segmentGraph(graph: FelzenszwalbGraph, options: Omit<FelzenszwalbOptions, 'sigma'> = {}): Int32Array {
  const { scale = 1, minSize = 20 } = options;
  const k = scale / 255;
  const { a: ea, b: eb, cost } = graph;
  const size = graph.h * graph.w;
  const parent = new Int32Array(size);
  for (let i = 0; i < size; i++) parent[i] = i;
  const find = (p: number): number => {
    let r = p;
    while (parent[r] !== r) r = parent[r];
    while (parent[p] !== r) {
      const next = parent[p];
      parent[p] = r;
      p = next;
    }
    return r;
  };
  const segSize = new Int32Array(size).fill(1);
  const internal = new Float64Array(size);
  // The smaller root index becomes the root, as scikit-image's join_trees.
  const join = (a: number, b: number): number => {
    const [r, other] = a < b ? [a, b] : [b, a];
    parent[other] = r;
    segSize[r] = segSize[a] + segSize[b];
    return r;
  };
  const edges = cost.length;
  for (let e = 0; e < edges; e++) {
    const a = find(ea[e]);
    const b = find(eb[e]);
    if (a === b) continue;
    if (cost[e] < Math.min(internal[a] + k / segSize[a], internal[b] + k / segSize[b])) {
      internal[join(a, b)] = cost[e];
    }
  }
  for (let e = 0; e < edges; e++) {
    const a = find(ea[e]);
    const b = find(eb[e]);
    if (a === b) continue;
    if (segSize[a] < minSize || segSize[b] < minSize) join(a, b);
  }
  const labels = new Int32Array(size);
  const ids = new Map<number, number>();
  for (let p = 0; p < size; p++) {
    const r = find(p);
    let id = ids.get(r);
    if (id === undefined) {
      id = ids.size;
      ids.set(r, id);
    }
    labels[p] = id;
  }
  return labels;
}
