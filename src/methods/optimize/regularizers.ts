/**
 * Image priors for feature visualization, on images in [0, 1] (`[N,H,W,C]`), one penalty per batch item
 * (`[N]`), sync and differentiable.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * L2 penalty (Simonyan et al. 2014; Mahendran and Vedaldi 2015's α-norm with α = 2): the mean squared
 * distance from mid-gray 0.5, so that it pulls toward a neutral image rather than toward black.
 */
export function l2Penalty(x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(x, 0.5)), [1, 2, 3]) as tf.Tensor1D);
}

/**
 * Total variation (Mahendran and Vedaldi 2015): the mean over pixels of (Δx² + Δy²)^(β/2), with forward
 * differences; β = 2 (default) is smooth, β = 1 the isotropic TV, which keeps edges.
 */
export function totalVariation(x: tf.Tensor4D, beta = 2): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const dx = tf.sub(tf.slice(x, [0, 0, 1, 0], [n, h - 1, w - 1, c]), tf.slice(x, [0, 0, 0, 0], [n, h - 1, w - 1, c]));
    const dy = tf.sub(tf.slice(x, [0, 1, 0, 0], [n, h - 1, w - 1, c]), tf.slice(x, [0, 0, 0, 0], [n, h - 1, w - 1, c]));
    const sq = tf.add(tf.square(dx), tf.square(dy));
    // The epsilon keeps the gradient of the square root finite where the image is flat.
    const v = beta === 2 ? sq : tf.pow(tf.add(sq, 1e-8), beta / 2);
    return tf.mean(v, [1, 2, 3]) as tf.Tensor1D;
  });
}
