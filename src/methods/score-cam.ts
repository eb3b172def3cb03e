/**
 * Score-CAM (Wang et al. 2020, "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
 * Networks"): no gradients; each channel's weight is the score the model gives the input seen through
 * that channel's activation as a mask,
 *
 *   H_c = minmax(upsample(A_c)),   s_c = y(X ∘ H_c),   w = softmax_c(s),   map = ReLU( Σ_c w_c A_c ).
 *
 * The paper's score increase s_c − y(X_baseline) differs from s_c by a constant per item, which softmax
 * removes, so it is not computed (pytorch-grad-cam does the same). Masks are upsampled bilinearly at
 * half-pixel centres, as the maps themselves (pytorch-grad-cam uses align_corners=True there), and
 * min-max normalized with ε = 1e-8 in the denominator, so a constant channel masks the input to zero.
 * Costs one forward pass per (item, channel); `batchSize` masked inputs go through the model at once.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { CamOptions, CamVariant, runCam, upsampleMaps } from './cam-pipeline';
import { checkpoint, chunks, effectiveSignal, LoopOptions, positiveInt, rowSelector } from './common';

export interface ScoreCamOptions extends CamOptions, LoopOptions {}

/** Default masked inputs per forward pass. */
export const SCORE_CAM_BATCH_SIZE = 32;

const EPSILON = 1e-8;

/** Score-CAM's channel weights, `[N,1,1,c]`, from N·c masked forward passes in batches. */
export function scoreCamWeights(batchSize: number, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): CamVariant {
  return {
    needsGradient: false,
    weigh: async ({ where, model, x, target, forward, activation }) => {
      const [n, height, width] = x.shape;
      const [, h, w, c] = activation.shape;
      const total = n * c;
      // Row r = item·c + channel: one low-resolution mask per row.
      const masks = tf.tidy(() => tf.reshape(tf.transpose(activation, [0, 3, 1, 2]), [total, h, w, 1]) as tf.Tensor4D);
      const scores: tf.Tensor1D[] = [];
      try {
        for (const [start, end] of chunks(total, batchSize)) {
          await checkpoint(where, signal);
          const items = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / c));
          scores.push(
            tf.tidy(() => {
              const m = upsampleMaps(tf.slice(masks, [start, 0, 0, 0], [end - start, h, w, 1]), [height, width]);
              const lo = tf.min(m, [1, 2, 3], true);
              const hi = tf.max(m, [1, 2, 3], true);
              const mask = tf.div(tf.sub(m, lo), tf.add(tf.sub(hi, lo), EPSILON));
              const masked = tf.mul(tf.gather(x, items), mask) as tf.Tensor4D;
              return rowSelector(where, target, items)(forwardScores(where, model, masked, forward));
            }),
          );
          onProgress?.(end, total);
        }
        return tf.tidy(() => tf.reshape(tf.softmax(tf.reshape(tf.concat(scores), [n, c])), [n, 1, 1, c]) as tf.Tensor4D);
      } finally {
        masks.dispose();
        tf.dispose(scores);
      }
    },
  };
}

/**
 * Score-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: `layer` (default: the last layer with a 4-D output), `target` (default: the argmax class),
 * `preSoftmax` (default true: the masked inputs are scored before the softmax), `relu` (default true),
 * `upsample` (default true), `batchSize` (default 32), `onProgress(done, total)` in masked forward passes,
 * `signal` (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function scoreCam(model: Model, input: tf.Tensor4D, options: ScoreCamOptions = {}): Promise<tf.Tensor3D> {
  const where = 'scoreCam';
  const batchSize = positiveInt(where, 'batchSize', options.batchSize ?? SCORE_CAM_BATCH_SIZE);
  const signal = effectiveSignal(options.signal);
  await checkpoint(where, signal);
  return runCam(where, scoreCamWeights(batchSize, options.onProgress, signal), model, input, options);
}
