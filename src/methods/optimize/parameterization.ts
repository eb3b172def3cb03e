/**
 * How the optimized image is represented. The optimizer changes unconstrained parameters; `toImage` maps
 * them to an image in (0, 1) through a sigmoid, so every result lies in the valid range.
 *
 * - `pixel`: one parameter per pixel and channel (logits of the image).
 * - `fourier`: Lucid's color-decorrelated Fourier parameterization (Olah et al. 2017, "Feature
 *   Visualization"; lucid/optvis/param/spatial.py and color.py): the parameters are the real and imaginary
 *   parts of the image's 2-D real spectrum, scaled by 1/frequency, so that plain gradient steps act like a
 *   whitened (preconditioned) ascent and favour natural-image statistics; for three channels, the colors
 *   pass through the square root of ImageNet's color correlation. Departure from Lucid: the inverse real
 *   2-D DFT is two matrix products with precomputed cos/sin matrices instead of `irfft2d`, because the
 *   wasm backend has no FFT kernels; the result is the same (exact up to float32 rounding).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';
import { gaussianBlur } from './transforms';

export const PARAMETERIZATIONS = ['pixel', 'fourier'] as const;
export type ParameterizationName = (typeof PARAMETERIZATIONS)[number];

export interface ImageParameterization {
  readonly name: ParameterizationName;
  /** Batch, height, width, channels of the images. */
  readonly shape: [number, number, number, number];
  /** Parameters → image in (0, 1), `[N,H,W,C]`. Sync, differentiable. */
  toImage(params: tf.Tensor): tf.Tensor4D;
  /** Random parameters (normal, standard deviation `sd`) from the seeded generator. The caller owns them. */
  random(rng: Rng, sd: number): tf.Tensor;
  /** Parameters whose image is `image` (values clamped into (0, 1) first). The caller owns them. */
  fromImage(image: tf.Tensor4D): tf.Tensor;
  /** Parameters of the image blurred by a Gaussian of standard deviation `sigma` pixels. The caller owns them. */
  blur(params: tf.Tensor, sigma: number): tf.Tensor;
  /** Frees the precomputed matrices. */
  dispose(): void;
}

/** lucid.optvis.param.color: square root of ImageNet's RGB correlation, normalized by its largest column norm. */
const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

function colorMatrixT(): number[][] {
  const m = COLOR_CORRELATION_SVD_SQRT;
  let maxNorm = 0;
  for (let j = 0; j < 3; j++) maxNorm = Math.max(maxNorm, Math.hypot(m[0][j], m[1][j], m[2][j]));
  // Lucid multiplies the flat [P,3] colors by the transpose: out = in · Mᵀ.
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => m[j][i] / maxNorm));
}

function invert3(a: number[][]): number[][] {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = a;
  const det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
  return [
    [(b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det, (a1 * b2 - a2 * b1) / det],
    [(b2 * c0 - b0 * c2) / det, (a0 * c2 - a2 * c0) / det, (a2 * b0 - a0 * b2) / det],
    [(b0 * c1 - b1 * c0) / det, (a1 * c0 - a0 * c1) / det, (a0 * b1 - a1 * b0) / det],
  ];
}

const EPS = 1e-4;

function logit(image: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const p = tf.clipByValue(image, EPS, 1 - EPS);
    return tf.log(tf.div(p, tf.sub(1, p))) as tf.Tensor4D;
  });
}

export function pixelParameterization(shape: [number, number, number, number]): ImageParameterization {
  return {
    name: 'pixel',
    shape,
    toImage: (p) => tf.sigmoid(p) as tf.Tensor4D,
    random: (rng, sd) => tf.tensor4d(rng.normals(shape[0] * shape[1] * shape[2] * shape[3], sd), shape),
    fromImage: (image) => logit(image),
    blur: (p, sigma) => tf.tidy(() => logit(gaussianBlur(tf.sigmoid(p) as tf.Tensor4D, sigma))),
    dispose: () => undefined,
  };
}

/**
 * `m · x` (or `x · m` with `right`) for a constant matrix `m`, differentiable in `x`, with the gradient
 * computed by plain products with the precomputed transpose: tfjs's own matMul gradient multiplies with
 * transposed operands, which the wasm backend runs about 8× slower than plain products.
 */
function constantProduct(m: tf.Tensor2D, mT: tf.Tensor2D, right: boolean): (x: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor2D;
    return {
      value: right ? tf.matMul(x, m) : tf.matMul(m, x),
      gradFunc: (dy: tf.Tensor) => (right ? tf.matMul(dy as tf.Tensor2D, mT) : tf.matMul(mT, dy as tf.Tensor2D)),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
}

/** |frequency| in cycles per pixel of each (u, v) bin of an H×W real spectrum (numpy's fftfreq/rfftfreq). */
export function rfft2Frequencies(h: number, w: number): number[][] {
  const v = Math.floor(w / 2) + 1;
  const out: number[][] = [];
  for (let u = 0; u < h; u++) {
    const fy = (u < Math.ceil(h / 2) ? u : u - h) / h;
    const row: number[] = [];
    for (let j = 0; j < v; j++) row.push(Math.hypot(fy, j / w));
    out.push(row);
  }
  return out;
}

/**
 * Lucid's `fft_image`: parameters `[2, H, N, C, V]` (real and imaginary parts, laid out so that the DFT is
 * plain matrix products), V = ⌊W/2⌋ + 1. `decayPower` is the exponent of the 1/frequency scaling (Lucid: 1).
 */
export function fourierParameterization(shape: [number, number, number, number], decayPower = 1): ImageParameterization {
  const [n, h, w, c] = shape;
  const v = Math.floor(w / 2) + 1;
  const freqs = rfft2Frequencies(h, w);
  const scaleValues = freqs.flatMap((row) => row.map((f) => Math.sqrt(h * w) / Math.pow(Math.max(f, 1 / Math.max(h, w)), decayPower)));
  const cosH: number[] = [];
  const sinH: number[] = [];
  for (let a = 0; a < h; a++) for (let u = 0; u < h; u++) {
    cosH.push(Math.cos((2 * Math.PI * a * u) / h));
    sinH.push(Math.sin((2 * Math.PI * a * u) / h));
  }
  // Inverse along W (irfft): weight 2 for bins that stand for a conjugate pair, 1 for DC and Nyquist.
  const cosWInv: number[] = [];
  const sinWInv: number[] = [];
  for (let j = 0; j < v; j++) for (let x = 0; x < w; x++) {
    const weight = (j === 0 || (w % 2 === 0 && j === w / 2) ? 1 : 2) / (h * w);
    cosWInv.push(weight * Math.cos((2 * Math.PI * j * x) / w));
    sinWInv.push(weight * Math.sin((2 * Math.PI * j * x) / w));
  }
  const cosWFwd: number[] = [];
  const sinWFwd: number[] = [];
  for (let x = 0; x < w; x++) for (let j = 0; j < v; j++) {
    cosWFwd.push(Math.cos((2 * Math.PI * j * x) / w));
    sinWFwd.push(Math.sin((2 * Math.PI * j * x) / w));
  }
  const mats = {
    scale: tf.tensor(scaleValues, [1, h, 1, 1, v]),
    cosH: tf.tensor2d(cosH, [h, h]),
    sinH: tf.tensor2d(sinH, [h, h]),
    cosWInv: tf.tensor2d(cosWInv, [v, w]),
    sinWInv: tf.tensor2d(sinWInv, [v, w]),
    cosWFwd: tf.tensor2d(cosWFwd, [w, v]),
    sinWFwd: tf.tensor2d(sinWFwd, [w, v]),
    color: c === 3 ? tf.tensor2d(colorMatrixT()) : null,
    colorInv: c === 3 ? tf.tensor2d(invert3(colorMatrixT())) : null,
    freqSq: tf.tensor(freqs.flatMap((row) => row.map((f) => f * f)), [1, h, 1, 1, v]),
  };
  const transposes = [mats.cosH, mats.sinH, mats.cosWInv, mats.sinWInv].map((m) => tf.transpose(m) as tf.Tensor2D);
  const [cosHT, sinHT, cosWInvT, sinWInvT] = transposes;
  const byCosH = constantProduct(mats.cosH, cosHT, false);
  const bySinH = constantProduct(mats.sinH, sinHT, false);
  const byCosW = constantProduct(mats.cosWInv, cosWInvT, true);
  const bySinW = constantProduct(mats.sinWInv, sinWInvT, true);

  const toImage = (p: tf.Tensor): tf.Tensor4D => {
    const s = tf.mul(p, mats.scale);
    const re = tf.reshape(tf.slice(s, [0], [1]), [h, n * c * v]) as tf.Tensor2D;
    const im = tf.reshape(tf.slice(s, [1], [1]), [h, n * c * v]) as tf.Tensor2D;
    // Inverse DFT along H (complex), then the inverse real DFT along W.
    const aRe = tf.sub(byCosH(re), bySinH(im));
    const aIm = tf.add(bySinH(re), byCosH(im));
    const spatial = tf.sub(byCosW(tf.reshape(aRe, [h * n * c, v])), bySinW(tf.reshape(aIm, [h * n * c, v])));
    let x = tf.div(tf.transpose(tf.reshape(spatial, [h, n, c, w]), [1, 0, 3, 2]), 4);
    if (mats.color) x = tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), mats.color), shape);
    return tf.sigmoid(x) as tf.Tensor4D;
  };

  const fromImage = (image: tf.Tensor4D): tf.Tensor =>
    tf.tidy(() => {
      let y = logit(image);
      if (mats.colorInv) y = tf.reshape(tf.matMul(tf.reshape(y, [-1, 3]), mats.colorInv), shape);
      y = tf.mul(y, 4);
      const rows = tf.reshape(tf.transpose(y, [1, 0, 3, 2]), [h * n * c, w]);
      const bRe = tf.reshape(tf.matMul(rows, mats.cosWFwd), [h, n * c * v]);
      const bIm = tf.neg(tf.reshape(tf.matMul(rows, mats.sinWFwd), [h, n * c * v]));
      const sRe = tf.add(tf.matMul(mats.cosH, bRe), tf.matMul(mats.sinH, bIm));
      const sIm = tf.sub(tf.matMul(mats.cosH, bIm), tf.matMul(mats.sinH, bRe));
      return tf.div(tf.stack([tf.reshape(sRe, [h, n, c, v]), tf.reshape(sIm, [h, n, c, v])]), mats.scale);
    });

  return {
    name: 'fourier',
    shape,
    toImage,
    random: (rng, sd) => tf.tensor(rng.normals(2 * h * n * c * v, sd), [2, h, n, c, v]),
    fromImage,
    // A Gaussian blur multiplies the spectrum by exp(-2π²σ²f²); the sigmoid makes it approximate in pixels.
    blur: (p, sigma) => tf.tidy(() => tf.mul(p, tf.exp(tf.mul(mats.freqSq, -2 * Math.PI * Math.PI * sigma * sigma)))),
    dispose: () => tf.dispose([...Object.values(mats).filter((m): m is tf.Tensor => m !== null), ...transposes]),
  };
}

export function createParameterization(name: ParameterizationName, shape: [number, number, number, number]): ImageParameterization {
  return name === 'fourier' ? fourierParameterization(shape) : pixelParameterization(shape);
}
