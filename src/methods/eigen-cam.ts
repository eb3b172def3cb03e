/**
 * Eigen-CAM (Bany Muhammad and Yeasin 2020, "Eigen-CAM: Class Activation Map using Principal
 * Components") and Eigen-Grad-CAM (pytorch-grad-cam's EigenGradCAM): the map is the projection of each
 * position's channel vector on the first principal component of the layer's activation,
 *
 *   R = [A(i,j)]_(ij) as an (h·w) × c matrix, centred over positions (each channel minus its mean),
 *   v = the first right singular vector of R,   map(i,j) = ReLU( R(i,j) · v ).
 *
 * Eigen-CAM needs no gradient and no target (it is class-agnostic); Eigen-Grad-CAM does the same with
 * g·A (∂y/∂A times A, element-wise) in place of A, so it follows the target. As pytorch-grad-cam's
 * `get_2d_projection` (centring, then SVD, then R·v; the final ReLU is the pipeline's `relu`, default
 * true, as its `np.maximum(cam, 0)`), with one departure: a singular vector's sign is arbitrary (PyTorch
 * leaves it to LAPACK, so its maps can come out negated); here it is fixed so that Σ_c v_c ≥ 0, which for
 * non-negative (post-ReLU) activations makes the map high where many channels are. v comes from power
 * iteration in float64 on the smaller of RᵀR and RRᵀ; a constant activation gives a zero map.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam } from './cam-pipeline';

export type EigenCamOptions = CamOptions;

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

/** Eigen-CAM's map: the activation's principal projection. */
export const eigenCamMap: CamVariant = {
  needsGradient: false,
  project: ({ activation }) => principalProjection(activation),
};

/** Eigen-Grad-CAM's map: the principal projection of gradient × activation. */
export const eigenGradCamMap: CamVariant = {
  needsGradient: true,
  project: async ({ activation, gradient }) => {
    const ga = tf.mul(gradient as tf.Tensor4D, activation) as tf.Tensor4D;
    try {
      return await principalProjection(ga);
    } finally {
      ga.dispose();
    }
  },
};

/**
 * Eigen-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS); the map does not
 * depend on `target` or `preSoftmax`, which are still checked.
 */
export async function eigenCam(model: Model, input: tf.Tensor4D, options: EigenCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('eigenCam', eigenCamMap, model, input, options);
}

/**
 * Eigen-Grad-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: CAM_OPTIONS (layer, target, preSoftmax, relu, upsample; see CAM_DEFAULTS).
 */
export async function eigenGradCam(model: Model, input: tf.Tensor4D, options: EigenCamOptions = {}): Promise<tf.Tensor3D> {
  return runCam('eigenGradCam', eigenGradCamMap, model, input, options);
}
