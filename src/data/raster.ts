/** Plain-array drawing for the data generators: one RGB image in [0, 1] and masks, row-major. */
import type { Rng } from './random';

export type RGB = [number, number, number];

export class Raster {
  readonly rgb: Float32Array;
  constructor(readonly width: number, readonly height: number) {
    this.rgb = new Float32Array(width * height * 3);
  }

  /** Blends `color` into pixel (x, y) with weight `alpha` in [0, 1]. */
  blend(x: number, y: number, color: RGB, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const a = Math.min(alpha, 1);
    const i = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.rgb[i + c] = this.rgb[i + c] * (1 - a) + color[c] * a;
  }

  /** Multiplies pixel (x, y) by `factor` per channel. */
  scale(x: number, y: number, factor: RGB): void {
    const i = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.rgb[i + c] *= factor[c];
  }

  /**
   * Paints every pixel whose center satisfies `inside(px, py)` (pixel centers at x + 0.5) within the
   * box [x0, x1) × [y0, y1); marks them in `mask` when given. Returns the number painted.
   */
  fillWhere(
    x0: number, y0: number, x1: number, y1: number,
    inside: (px: number, py: number) => boolean,
    color: (x: number, y: number) => RGB,
    mask?: Float32Array,
  ): number {
    let count = 0;
    const xa = Math.max(0, Math.floor(x0));
    const ya = Math.max(0, Math.floor(y0));
    const xb = Math.min(this.width, Math.ceil(x1));
    const yb = Math.min(this.height, Math.ceil(y1));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        if (!inside(x + 0.5, y + 0.5)) continue;
        this.blend(x, y, color(x, y));
        if (mask) mask[y * this.width + x] = 1;
        count++;
      }
    }
    return count;
  }

  /** Clamps every value into [0, 1]. */
  clamp(): void {
    for (let i = 0; i < this.rgb.length; i++) this.rgb[i] = Math.min(1, Math.max(0, this.rgb[i]));
  }
}

/** HSV (each in [0, 1]) to RGB. */
export function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((i % 6) + 6) % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/**
 * A smooth random field: a sum of `waves` plane waves with random direction, phase and a spatial
 * period between `minPeriod` and `maxPeriod` pixels; values roughly in [-1, 1].
 */
export function waveField(rng: Rng, waves: number, minPeriod: number, maxPeriod: number): (x: number, y: number) => number {
  const params: [number, number, number][] = [];
  for (let k = 0; k < waves; k++) {
    const angle = rng.uniform(0, Math.PI);
    const freq = (2 * Math.PI) / rng.uniform(minPeriod, maxPeriod);
    params.push([Math.cos(angle) * freq, Math.sin(angle) * freq, rng.uniform(0, 2 * Math.PI)]);
  }
  const norm = 1 / Math.sqrt(Math.max(waves, 1) / 2);
  return (x, y) => {
    let v = 0;
    for (const [fx, fy, ph] of params) v += Math.sin(fx * x + fy * y + ph);
    return v * norm * 0.7;
  };
}

/** Fills the whole raster: `base` modulated by a wave field and per-pixel noise of std `grain`. */
export function texture(r: Raster, rng: Rng, base: RGB, other: RGB, grain: number, minPeriod: number, maxPeriod: number): void {
  const field = waveField(rng, 4, minPeriod, maxPeriod);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + 0.5 * field(x, y)));
      const n = rng.normal() * grain;
      const i = (y * r.width + x) * 3;
      for (let c = 0; c < 3; c++) r.rgb[i + c] = base[c] * (1 - t) + other[c] * t + n;
    }
  }
}

/** Point-in-polygon (even-odd rule). `poly` is [x0, y0, x1, y1, ...]. */
export function inPolygon(poly: readonly number[], x: number, y: number): boolean {
  let inside = false;
  const n = poly.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = poly[2 * i], yi = poly[2 * i + 1], xj = poly[2 * j], yj = poly[2 * j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from (px, py) to the segment (ax, ay)-(bx, by). */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
