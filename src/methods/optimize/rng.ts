/**
 * A small seeded random number generator (mulberry32), so that feature visualization is deterministic for
 * a given seed on every backend: noise, jitter offsets, scales and angles are all drawn from it in a fixed
 * order, in JavaScript, never from a backend's own RNG.
 */
import { mulberry32, standardNormal } from '../../random';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] (both ends included). */
  int(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** `n` standard normal values times `sd`. */
  normals(n: number, sd: number): Float32Array;
}

export function createRng(seed: number): Rng {
  const next = mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  const normal = (): number => standardNormal(next);
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.min(hi - lo, Math.floor(next() * (hi - lo + 1))),
    normal,
    normals: (n, sd) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = sd * normal();
      return out;
    },
  };
}
