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
import { effectiveSignal } from '../signal';
import type { Model } from '../models/types';
import { resolveModel } from '../models/adapter';
import type { ForwardOptions } from '../models/forward';
import type { PoolJob, Workers } from '../pool';
import { CAM_OPTIONS, CamContext, CamOptions, CamVariant, combineCam, ResolvedTarget, runCam, upsampleMaps } from './cam-pipeline';
import { BATCH_SIZE, LoopOptions, POOL_DEFAULTS, POOL_TYPES, rowSelector } from './common';
import { checkpoint, runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

/**
 * A partial result of Score-CAM (`onPartial`): the map `[N,H,W]` (or `[N,h,w]`) from the channels scored
 * so far, their weights a softmax over those channels only. Channels are scored item by item, so the
 * items before the current one are complete and later ones are 0.
 */
export type ScoreCamPartial = tf.Tensor3D;

export interface ScoreCamOptions extends CamOptions, LoopOptions<ScoreCamPartial> {}

/** scoreCam's own defaults (besides those of CAM_OPTIONS). */
export const SCORE_CAM_DEFAULTS = { batchSize: 32, ...POOL_DEFAULTS };

export const SCORE_CAM_OPTIONS = extendSpecs(CAM_OPTIONS, SCORE_CAM_DEFAULTS, { batchSize: { ...BATCH_SIZE, description: 'masked inputs per forward pass' }, ...POOL_TYPES });

/** How Score-CAM's loop runs: batch size, progress, cancellation, and partial channel weights with their context. */
export interface ScoreCamLoop {
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
  /** Partial weights `[N,1,1,c]` (0 for channels not scored yet); the loop disposes them afterwards. */
  onPartialWeights?: (weights: tf.Tensor4D, ctx: CamContext, done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
  workers?: Workers | null;
}

const EPSILON = 1e-8;

/** Softmax over the channels of each item whose score is known (the first `done` rows), 0 elsewhere. Sync; caller owns. */
function partialWeights(scores: tf.Tensor1D, done: number, n: number, c: number): tf.Tensor4D {
  return tf.tidy(() => {
    const total = n * c;
    const known = tf.concat([tf.ones([done]), tf.zeros([total - done])]).reshape([n, c]);
    const s = tf.concat([scores, tf.zeros([total - done])]).reshape([n, c]);
    // A large negative score for unknown channels gives them weight 0; items with none known get 0.
    const w = tf.mul(tf.softmax(tf.where(tf.cast(known, 'bool'), s, tf.fill([n, c], -1e30))), tf.max(known, 1, true));
    return tf.reshape(w, [n, 1, 1, c]) as tf.Tensor4D;
  });
}

type ScoreCamTensors = { masks: tf.Tensor4D; x: tf.Tensor4D };
type ScoreCamParams = { where: string; c: number; size: [number, number]; target: ResolvedTarget; forward: ForwardOptions };

/**
 * Score-CAM's batch evaluator (in process and in pool workers, see ../pool): rows [start, end) (row r =
 * item·c + channel), each the score of the input masked by that channel's upsampled, min-max normalized
 * activation, `[end − start]`.
 */
export function scoreCamEvaluator(model: Model, { masks, x }: ScoreCamTensors, p: ScoreCamParams) {
  const { where, c, size, target, forward } = p;
  const adapter = resolveModel(where, model);
  const [, h, w] = masks.shape;
  return (start: number, end: number): tf.Tensor1D => {
    const items = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / c));
    return tf.tidy(() => {
      const m = upsampleMaps(tf.slice(masks, [start, 0, 0, 0], [end - start, h, w, 1]), size);
      const lo = tf.min(m, [1, 2, 3], true);
      const hi = tf.max(m, [1, 2, 3], true);
      const mask = tf.div(tf.sub(m, lo), tf.add(tf.sub(hi, lo), EPSILON));
      const masked = tf.mul(tf.gather(x, items), mask) as tf.Tensor4D;
      return rowSelector(where, target, items)(adapter.scores(masked, forward));
    });
  };
}

/** Score-CAM's channel weights, `[N,1,1,c]`, from N·c masked forward passes in batches. */
export function scoreCamWeights(loop: ScoreCamLoop): CamVariant {
  return {
    needsGradient: false,
    weigh: async (ctx) => {
      const { where, model, x, target, forward, activation } = ctx;
      const [n, height, width] = x.shape;
      const [, h, w, c] = activation.shape;
      const total = n * c;
      // Row r = item·c + channel: one low-resolution mask per row.
      const masks = tf.tidy(() => tf.reshape(tf.transpose(activation, [0, 3, 1, 2]), [total, h, w, 1]) as tf.Tensor4D);
      const onPartialWeights = loop.onPartialWeights;
      const params: ScoreCamParams = { where, c, size: [height, width], target, forward };
      const job: PoolJob = {
        kind: 'scoreCam', model, tensors: { masks, x }, params,
        inProcess: typeof target === 'function' ? 'a target function cannot be sent to a worker' : undefined,
      };
      try {
        return await runBatches({
          where,
          total,
          batchSize: loop.batchSize,
          signal: loop.signal,
          onProgress: loop.onProgress,
          onPartial: onPartialWeights && ((weights: tf.Tensor4D, done: number) => onPartialWeights(weights, ctx, done, total)),
          initial: [] as tf.Tensor1D[],
          evaluate: scoreCamEvaluator(model, job.tensors as ScoreCamTensors, params),
          pool: { job, workers: loop.workers },
          fold: (list, s) => [...list, s],
          finish: (list, done) =>
            done === total
              ? tf.tidy(() => tf.reshape(tf.softmax(tf.reshape(tf.concat(list), [n, c])), [n, 1, 1, c]) as tf.Tensor4D)
              : tf.tidy(() => partialWeights(tf.concat(list) as tf.Tensor1D, done, n, c)),
        });
      } finally {
        masks.dispose();
      }
    },
  };
}

/**
 * Score-CAM map, `[N,H,W]` (or `[N,h,w]` with `upsample: false`). The caller owns the result.
 *
 * Options: SCORE_CAM_OPTIONS (the masked inputs are scored before the softmax unless `preSoftmax:
 * false`), `onProgress(done, total)` in masked forward passes, `onPartial` (see ScoreCamPartial), `signal`
 * (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function scoreCam(model: Model, input: tf.Tensor4D, options: ScoreCamOptions = {}): Promise<tf.Tensor3D> {
  const where = 'scoreCam';
  const o = resolveOptions(where, SCORE_CAM_OPTIONS, options);
  await checkpoint(where, effectiveSignal(o.signal));
  const onPartial = o.onPartial;
  const variant = scoreCamWeights({
    batchSize: o.batchSize,
    onProgress: o.onProgress,
    signal: o.signal,
    workers: o.workers,
    onPartialWeights: onPartial && (async (weights, ctx, done, total) => {
      const map = combineCam(ctx.activation, weights, o.relu, o.upsample ? [ctx.x.shape[1], ctx.x.shape[2]] : null);
      try {
        await onPartial(map, done, total);
      } finally {
        map.dispose();
      }
    }),
  });
  return runCam(where, variant, model, input, o, undefined, SCORE_CAM_OPTIONS);
}
