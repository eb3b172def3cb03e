/** Gaussian smoothing and bilinear resizing of map stacks, on typed arrays (same results everywhere). */
import { MapStack } from './arrays';
import { OptionError } from './errors';

/** Index into [0, n) with mirror reflection at both ends (d c b a | a b c d | d c b a), any distance. */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/** Normalized 1-D Gaussian taps for offsets -r..r, r = ceil(4 sigma) (scipy's default truncate). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(4 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Smooths each map of a stack in place order: rows, then columns. Returns new data. */
export function smoothStack(s: MapStack, sigma: number): Float32Array {
  const out = new Float32Array(s.data.length);
  if (sigma === 0) {
    out.set(s.data);
    return out;
  }
  const { n, h, w } = s;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(h * w);
  // Precomputed reflected indices keep the inner loops free of branches.
  const colIdx = new Int32Array(w + 2 * r);
  for (let i = 0; i < colIdx.length; i++) colIdx[i] = reflect(i - r, w);
  const rowIdx = new Int32Array(h + 2 * r);
  for (let i = 0; i < rowIdx.length; i++) rowIdx[i] = reflect(i - r, h);
  for (let m = 0; m < n; m++) {
    const base = m * h * w;
    const src = s.data;
    for (let y = 0; y < h; y++) {
      const row = base + y * w;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let t = 0; t < k.length; t++) acc += k[t] * src[row + colIdx[x + t]];
        tmp[y * w + x] = acc;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let t = 0; t < k.length; t++) acc += k[t] * tmp[rowIdx[y + t] * w + x];
        out[base + y * w + x] = acc;
      }
    }
  }
  return out;
}

export function checkSigma(where: string, sigma: unknown): number {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new OptionError(where, `sigma must be a finite number >= 0 (pixels), but got ${String(sigma)}`);
  }
  return sigma;
}

/**
 * Bilinear resize of each map to h×w with half-pixel centers: the same as
 * `tf.image.resizeBilinear(x, [h, w], false, true)` and PyTorch's `interpolate(..., align_corners=False)`.
 */
export function resizeStack(s: MapStack, h: number, w: number): Float32Array {
  const out = new Float32Array(s.n * h * w);
  const sy = s.h / h, sx = s.w / w;
  const x0s = new Int32Array(w), x1s = new Int32Array(w), fxs = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const x0 = Math.min(Math.floor(fx), s.w - 1);
    x0s[x] = x0;
    x1s[x] = Math.min(x0 + 1, s.w - 1);
    fxs[x] = fx - x0;
  }
  for (let m = 0; m < s.n; m++) {
    const src = m * s.h * s.w;
    const dst = m * h * w;
    for (let y = 0; y < h; y++) {
      const fy = Math.max(0, (y + 0.5) * sy - 0.5);
      const y0 = Math.min(Math.floor(fy), s.h - 1);
      const y1 = Math.min(y0 + 1, s.h - 1);
      const dy = fy - y0;
      const r0 = src + y0 * s.w, r1 = src + y1 * s.w;
      for (let x = 0; x < w; x++) {
        const a = s.data[r0 + x0s[x]], b = s.data[r0 + x1s[x]];
        const c = s.data[r1 + x0s[x]], d = s.data[r1 + x1s[x]];
        const top = a + (b - a) * fxs[x];
        const bottom = c + (d - c) * fxs[x];
        out[dst + y * w + x] = top + (bottom - top) * dy;
      }
    }
  }
  return out;
}

export function checkSize(where: string, size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OptionError(where, `size must be [height, width] of positive integers, but got ${JSON.stringify(size)}`);
  }
  return [size[0], size[1]];
}
