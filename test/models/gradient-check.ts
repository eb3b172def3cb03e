/**
 * Gradient checks against central finite differences, for op and layer tests: the gradient of
 * L(x) = Σ_k Σ y_k(x) ⊙ r_k (fixed random weights r_k per output) taken under saliency-lab's gradient
 * rules, against (L(x + h·e_i) − L(x − h·e_i)) / 2h for every coordinate i, all perturbed inputs
 * evaluated as one batch (the functions checked treat batch items independently).
 *
 * Piecewise functions (ReLU, max, masks) have kinks and steps; a coordinate within h of one has a
 * central difference that is neither side's derivative. There the one-sided differences disagree, and
 * the analytic gradient must match the one taken on its own side: each coordinate's error is the
 * smallest against the central and the two one-sided differences, and such coordinates are counted.
 */
import * as tf from '@tensorflow/tfjs';
import { withGradientRules } from '../../src/models/gradient-rules';

/** A function of a batch, returning one or more outputs whose first axis is the batch. Sync. */
export type BatchFunction = (x: tf.Tensor) => tf.Tensor | tf.Tensor[];

/** Values of one item, away from 0 (|v| ≥ 0.1) so that kinks at zero are not straddled. */
export function itemValues(size: number, seed: number, scale = 1): Float32Array {
  const u = tf.tidy(() => tf.randomNormal([size], 0, 1, 'float32', seed).dataSync() as Float32Array);
  return u.map((v) => Math.sign(v || 1) * (0.1 + Math.abs(v)) * scale);
}

export interface GradientCheck {
  /** Largest |analytic − finite difference| over the largest |gradient| (analytic, or finite away from kinks). */
  relErr: number;
  /** Largest |analytic gradient|. */
  maxGrad: number;
  /** Largest |central difference| away from kinks. */
  maxFd: number;
  /** Coordinates whose one-sided differences disagree (a kink or step within h). */
  kinks: number;
  size: number;
}

function outputsOf(y: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return (Array.isArray(y) ? y : [y]).map((t) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
}

/**
 * Checks f's input gradient at `x` (one item, shape [1, ...]) against finite differences with step h.
 * `model` is passed to the rules so that failures name nodes.
 */
export function checkGradient(f: BatchFunction, x: tf.Tensor, options: { h?: number; seed?: number; model?: unknown; oneAtATime?: boolean } = {}): GradientCheck {
  const h = options.h ?? 1e-3;
  return tf.tidy(() => {
    const probe = outputsOf(f(x));
    const weights = probe.map((y, k) => tf.randomNormal([1, ...y.shape.slice(1)], 0, 1, 'float32', (options.seed ?? 11) + k));
    const loss = (xs: tf.Tensor) => {
      const ys = outputsOf(f(xs));
      const n = xs.shape[0];
      return ys.map((y, k) => tf.sum(tf.reshape(tf.mul(y, weights[k]), [n, -1]), 1)).reduce((a, b) => tf.add(a, b));
    };
    const g = withGradientRules({}, () => tf.grad((xi: tf.Tensor) => tf.sum(loss(xi)))(x), { where: 'gradientCheck', model: options.model });
    const size = x.size;
    const eye = tf.mul(tf.eye(size), h);
    const flat = tf.reshape(x, [1, size]);
    const batch = tf.reshape(tf.concat([tf.add(flat, eye), tf.sub(flat, eye), flat], 0), [2 * size + 1, ...x.shape.slice(1)]);
    const l = (options.oneAtATime ? tf.concat(tf.split(batch, batch.shape[0]).map(loss)) : loss(batch)).dataSync();
    const ga = g.reshape([size]).dataSync();
    const l0 = l[2 * size];
    let maxFd = 0;
    let maxGrad = 0;
    let maxDiff = 0;
    let kinks = 0;
    for (let i = 0; i < size; i++) {
      const central = (l[i] - l[size + i]) / (2 * h);
      const right = (l[i] - l0) / h;
      const left = (l0 - l[size + i]) / h;
      maxGrad = Math.max(maxGrad, Math.abs(ga[i]));
      if (Math.abs(right - left) > 0.05 * (1 + Math.abs(central))) kinks++;
      else maxFd = Math.max(maxFd, Math.abs(central));
      maxDiff = Math.max(maxDiff, Math.min(Math.abs(ga[i] - central), Math.abs(ga[i] - right), Math.abs(ga[i] - left)));
    }
    const scale = Math.max(maxFd, maxGrad);
    return { relErr: scale > 1e-6 ? maxDiff / scale : maxDiff, maxGrad, maxFd, kinks, size };
  });
}
