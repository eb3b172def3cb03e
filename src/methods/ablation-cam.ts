/**
 * Ablation-CAM (Desai and Ramaswamy 2020, "Ablation-CAM: Visual Explanations for Deep Convolutional
 * Network via Gradient-free Localization"): no gradients; each channel's weight is the relative drop of
 * the score when that channel of the layer's activation is ablated,
 *
 *   w_c = (y − y_c) / y,   y_c = the score with A_c replaced by the ablation value,   map = ReLU( Σ_c w_c A_c ).
 *
 * As pytorch-grad-cam's AblationCAM (with `ratio_channels_to_ablate` 1, every channel): the ablation
 * value is 0 when the item's activation has minimum 0 (post-ReLU layers), else that minimum − 1e7, and
 * the division by y has no ε (a zero score gives non-finite weights, as there). One departure:
 * pytorch-grad-cam reads the minimum from its batch of copies while it ablates them, so that rows later
 * in a batch get ever lower values when the minimum is not 0; here each item's minimum is read once.
 * Only the part of the model after the layer runs for each ablation (the split model's tail, as
 * pytorch-grad-cam caches the activation); `batchSize` ablated activations go through it at once.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { CAM_OPTIONS, CamLoop, CamOptions, CamVariant, runLoopingCam } from './cam-pipeline';
import { BATCH_SIZE, LoopOptions, rowSelector } from './common';
import { runBatches } from './loop';
import { extendSpecs } from './options';

/**
 * A partial result of Ablation-CAM (`onPartial`): the map `[N,H,W]` (or `[N,h,w]`) from the channels
 * ablated so far (the others weigh 0). Channels are ablated item by item, so the items before the
 * current one are complete.
 */
export type AblationCamPartial = tf.Tensor3D;

export interface AblationCamOptions extends CamOptions, LoopOptions<AblationCamPartial> {}

/** ablationCam's own defaults (besides those of CAM_OPTIONS): pytorch-grad-cam's batch size. */
export const ABLATION_CAM_DEFAULTS = { batchSize: 32 };

export const ABLATION_CAM_OPTIONS = extendSpecs(CAM_OPTIONS, ABLATION_CAM_DEFAULTS, { batchSize: { ...BATCH_SIZE, description: 'ablated activations per forward pass of the layer’s tail' } });

/** pytorch-grad-cam's offset below the minimum for activations that can be negative. */
const ABLATION_OFFSET = 1e7;

/** Ablation-CAM's channel weights, `[N,1,1,c]`, from N·c passes of the model after the layer. */
function ablationCamWeights(o: CamLoop): CamVariant {
  return {
    needsGradient: false,
    weigh: async (ctx) => {
      const { where, adapter, x, target, forward, activation, layer } = ctx;
      const [n, h, w, c] = activation.shape;
      const total = n * c;
      const split = adapter.split(layer.name);
      const all = Array.from({ length: n }, (_, i) => i);
      const [original, value] = tf.tidy(() => {
        const y = rowSelector(where, target, all)(split.tail(activation, split.needsInput ? x : undefined, forward));
        const lo = tf.min(activation, [1, 2, 3], true);
        return [y, tf.where(tf.equal(lo, 0), tf.zerosLike(lo), tf.sub(lo, ABLATION_OFFSET))];
      });
      const onPartialWeights = o.onPartialWeights;
      const weightsOf = (list: tf.Tensor1D[], done: number) =>
        tf.tidy(() => {
          const ablated = tf.concat([...list, tf.zeros([total - done])]).reshape([n, c]);
          const y = original.reshape([n, 1]);
          const known = tf.concat([tf.ones([done]), tf.zeros([total - done])]).reshape([n, c]);
          return tf.reshape(tf.mul(tf.div(tf.sub(y, ablated), y), known), [n, 1, 1, c]) as tf.Tensor4D;
        });
      try {
        return await runBatches({
          where,
          total,
          batchSize: o.batchSize,
          signal: o.signal,
          onProgress: o.onProgress,
          onPartial: onPartialWeights && ((weights: tf.Tensor4D, done: number) => onPartialWeights(weights, ctx, done, total)),
          initial: [] as tf.Tensor1D[],
          evaluate: (start, end) => {
            const rows = Array.from({ length: end - start }, (_, i) => start + i);
            const items = rows.map((r) => Math.floor(r / c));
            return tf.tidy(() => {
              const a = tf.gather(activation, items);
              const hit = tf.reshape(tf.oneHot(rows.map((r) => r % c), c), [rows.length, 1, 1, c]);
              const ablated = tf.add(tf.mul(a, tf.sub(1, hit)), tf.mul(hit, tf.gather(value, items)));
              const scores = split.tail(ablated, split.needsInput ? (tf.gather(x, items) as tf.Tensor4D) : undefined, forward);
              return rowSelector(where, target, items)(scores);
            });
          },
          fold: (list, s) => [...list, s],
          finish: (list, done) => weightsOf(list, done),
        });
      } finally {
        tf.dispose([original, value]);
      }
    },
  };
}

/**
 * Ablation-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: ABLATION_CAM_OPTIONS, `onProgress(done, total)` in ablated channels, `onPartial` (see
 * AblationCamPartial), `signal` (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function ablationCam(model: Model, input: tf.Tensor4D, options: AblationCamOptions = {}): Promise<tf.Tensor3D> {
  return runLoopingCam('ablationCam', ABLATION_CAM_OPTIONS, ablationCamWeights, model, input, options);
}
