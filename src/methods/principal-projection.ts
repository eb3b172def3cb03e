/**
 * The first-principal-component projection of a layer's (weighted) activations, pytorch-grad-cam's
 * `get_2d_projection`: per item, the (h·w) × c matrix centred over positions, its first right singular
 * vector v (power iteration in float64 on the smaller of RᵀR and RRᵀ), the map R·v. A singular vector's
 * sign is arbitrary (PyTorch leaves it to LAPACK); here it is fixed so that Σ_c v_c ≥ 0. Used by
 * Eigen-CAM, Eigen-Grad-CAM and the CAM pipeline's `eigenSmooth`.
 */
import * as tf from '@tensorflow/tfjs';

const MAX_ITERATIONS = 5000;
const TOLERANCE = 1e-12;

function norm2(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** The unit top eigenvector of the symmetric positive semi-definite m × m matrix `g` (zeros when g = 0). */
function topEigenvector(g: Float64Array, m: number): Float64Array {
  let v = Float64Array.from({ length: m }, (_, i) => 1 + i / m);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const next = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += g[i * m + j] * v[j];
      next[i] = s;
    }
    const norm = norm2(next);
    if (norm === 0) return next;
    let change = 0;
    for (let i = 0; i < m; i++) {
      next[i] /= norm;
      change = Math.max(change, Math.abs(next[i] - v[i]));
    }
    v = next;
    if (change < TOLERANCE) break;
  }
  return v;
}

/** R·v for one item's centred `[p, c]` matrix, v its first right singular vector with Σ v ≥ 0. */
function projectItem(r: Float64Array, p: number, c: number): Float64Array {
  let v: Float64Array;
  if (c <= p) {
    const g = new Float64Array(c * c);
    for (let a = 0; a < c; a++) for (let b = a; b < c; b++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += r[k * c + a] * r[k * c + b];
      g[a * c + b] = s;
      g[b * c + a] = s;
    }
    v = topEigenvector(g, c);
  } else {
    const g = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += r[a * c + k] * r[b * c + k];
      g[a * p + b] = s;
      g[b * p + a] = s;
    }
    const u = topEigenvector(g, p);
    v = new Float64Array(c);
    for (let k = 0; k < p; k++) for (let j = 0; j < c; j++) v[j] += r[k * c + j] * u[k];
    const norm = norm2(v);
    if (norm > 0) for (let j = 0; j < c; j++) v[j] /= norm;
  }
  const sum = v.reduce((s, x) => s + x, 0);
  const sign = sum < 0 ? -1 : 1;
  const out = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += r[k * c + j] * v[j];
    out[k] = sign * s;
  }
  return out;
}

/** The first-principal-component projection of each item of `m` `[N,h,w,c]`, `[N,h,w]`. The caller owns the result. */
export async function principalProjection(m: tf.Tensor4D): Promise<tf.Tensor3D> {
  const [n, h, w, c] = m.shape;
  const p = h * w;
  const data = await m.data();
  const out = new Float32Array(n * p);
  for (let item = 0; item < n; item++) {
    const r = Float64Array.from(data.subarray(item * p * c, (item + 1) * p * c), (x) => (Number.isNaN(x) ? 0 : x));
    for (let j = 0; j < c; j++) {
      let mean = 0;
      for (let k = 0; k < p; k++) mean += r[k * c + j];
      mean /= p;
      for (let k = 0; k < p; k++) r[k * c + j] -= mean;
    }
    out.set(projectItem(r, p, c), item * p);
  }
  return tf.tensor3d(out, [n, h, w]);
}
