import * as tf from '@tensorflow/tfjs';

/**
 * An additive model on [h, w, 1] inputs: f(x) = Σ w_p x_p (one output, no bias, no softmax), so the
 * true importance of pixel p is w_p x_p and the gradient is w.
 */
export function additiveModel(weights: number[], h: number, w: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [h, w, 1] }),
      tf.layers.dense({ units: 1, useBias: false, activation: 'linear', kernelInitializer: 'zeros' }),
    ],
  });
  tf.tidy(() => model.layers[1].setWeights([tf.tensor2d(weights, [h * w, 1])]));
  return model;
}

/** Deterministic values in [lo, hi) (a small LCG), for fixtures. */
export function seeded(n: number, seed: number, lo = 0, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (1664525 * s + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}
