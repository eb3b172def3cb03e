/**
 * Occlusion (Zeiler and Fergus 2014, "Visualizing and Understanding Convolutional Networks"), with
 * Captum's `Occlusion` conventions: a window slides over the image with a stride; per spatial axis there
 * are ceil((D − W) / S) + 1 positions, the last window cropped at the border; each window spans all
 * channels and is filled with the baseline. A pixel's attribution is the mean, over the windows that cover
 * it, of the score drop F(x) − F(x with that window occluded).
 *
 * Departures from Captum: the output is `[N,H,W]` (windows span all channels, so every channel would hold
 * the same number); a pixel that no window covers (stride larger than the window) gets 0 rather than
 * 0/0; the explained score is pre-softmax unless `preSoftmax: false`, as for every saliency-lab method.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { checkFinite, checkInput, checkModel, checkpoint, chunks, CommonOptions, effectiveSignal, LoopOptions, positiveInt, resolveTarget, rowSelector } from './common';

export interface OcclusionOptions extends CommonOptions, LoopOptions {
  /** Window height and width in pixels (one number for both). Default 8, at most the image size. */
  window?: number | [number, number];
  /** Step between window positions (one number for both). Default half the window, at least 1. */
  stride?: number | [number, number];
  /** What fills the window: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
}

/** Default occluded images per forward pass. */
export const OCCLUSION_BATCH_SIZE = 32;
export const OCCLUSION_WINDOW = 8;

function perAxis(where: string, name: string, v: unknown, size: [number, number]): [number, number] {
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new OptionError(where, `${name} must be a number or [height, width], got ${JSON.stringify(v)}`);
  }
  const axes = ['height', 'width'];
  return pair.map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > size[i]) {
      throw new OptionError(where, `${name} ${axes[i]} must be an integer from 1 to ${size[i]} (the input's ${axes[i]}), got ${JSON.stringify(d)}`);
    }
    return d;
  }) as [number, number];
}

/** Window positions along one axis, as Captum counts them: starts 0, S, 2S, ..., ends cropped at D. */
export function windowSpans(size: number, window: number, stride: number): [number, number][] {
  const count = Math.ceil((size - window) / stride) + 1;
  return Array.from({ length: count }, (_, i) => [i * stride, Math.min(i * stride + window, size)] as [number, number]);
}

/** `[positions, size]`: row p is 1 where window p covers the pixel. */
function coverage(spans: [number, number][], size: number): Float32Array {
  const m = new Float32Array(spans.length * size);
  spans.forEach(([s, e], p) => m.fill(1, p * size + s, p * size + e));
  return m;
}

/** The baseline as a rank-4 tensor that broadcasts to the input (owned by the caller). */
async function checkBaseline(where: string, baseline: unknown, shape: number[]): Promise<tf.Tensor4D> {
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) throw new OptionError(where, `baseline must be a finite number or a tensor, got ${baseline}`);
    return tf.fill([1, 1, 1, 1], baseline) as tf.Tensor4D;
  }
  if (!(baseline instanceof tf.Tensor) || baseline.isDisposed) {
    throw new OptionError(where, `baseline must be a number or a tf.Tensor broadcastable to the input [${shape}], got ${baseline === null ? 'null' : typeof baseline}`);
  }
  const b: number[] = (baseline as tf.Tensor).shape;
  const fits = b.length <= 4 && b.every((d, i) => d === 1 || d === shape[4 - b.length + i]);
  if (!fits) throw new OptionError(where, `baseline of shape [${b}] does not broadcast to the input shape [${shape}]`);
  await checkFinite(where, 'baseline', baseline);
  return tf.tidy(() => tf.reshape(tf.cast(baseline, 'float32'), [...new Array<number>(4 - b.length).fill(1), ...b] as [number, number, number, number]) as tf.Tensor4D);
}

/**
 * Occlusion map `[N,H,W]`: per pixel, the mean score drop over the windows covering it. The caller owns
 * the result.
 *
 * Options: `window` (default 8, at most the image), `stride` (default half the window), `baseline`
 * (default 0), `target` (default: the argmax class of the clean input), `preSoftmax` (default true),
 * `batchSize` (default 32 occluded images per forward pass), `onProgress(done, total)` in occluded images,
 * `signal` (default: the kernel's) stops between batches with an error named "AbortError".
 */
export async function occlusion(model: Model, input: tf.Tensor4D, options: OcclusionOptions = {}): Promise<tf.Tensor3D> {
  const where = 'occlusion';
  checkModel(where, model);
  const batchSize = positiveInt(where, 'batchSize', options.batchSize ?? OCCLUSION_BATCH_SIZE);
  const signal = effectiveSignal(options.signal);
  await checkpoint(where, signal);
  const x = await checkInput(where, model, input);
  const [n, height, width] = x.shape;
  const size: [number, number] = [height, width];
  const [wh, ww] = perAxis(where, 'window', options.window ?? [Math.min(OCCLUSION_WINDOW, height), Math.min(OCCLUSION_WINDOW, width)], size);
  const [sh, sw] = perAxis(where, 'stride', options.stride ?? [Math.max(1, Math.floor(wh / 2)), Math.max(1, Math.floor(ww / 2))], size);
  const rowSpans = windowSpans(height, wh, sh);
  const colSpans = windowSpans(width, ww, sw);
  const [ph, pw] = [rowSpans.length, colSpans.length];
  const positions = ph * pw;
  const total = n * positions;

  const baseline = await checkBaseline(where, options.baseline ?? 0, x.shape);
  const owned: tf.Tensor[] = [baseline];
  try {
    const target = await resolveTarget(where, model, x, options.target, options);
    const forward = { preSoftmax: options.preSoftmax };
    const items = Array.from({ length: n }, (_, i) => i);
    const rowMask = tf.tensor2d(coverage(rowSpans, height), [ph, height]);
    const colMask = tf.tensor2d(coverage(colSpans, width), [pw, width]);
    owned.push(rowMask, colMask);
    const clean = tf.tidy(() => rowSelector(where, target, items)(forwardScores(where, model, x, forward)));
    owned.push(clean);
    const drops: tf.Tensor[] = [];
    try {
      for (const [start, end] of chunks(total, batchSize)) {
        await checkpoint(where, signal);
        const rows = Array.from({ length: end - start }, (_, i) => start + i);
        const item = rows.map((r) => Math.floor(r / positions));
        const windowRow = rows.map((r) => Math.floor((r % positions) / pw));
        const windowCol = rows.map((r) => r % pw);
        drops.push(
          tf.tidy(() => {
            const b = rows.length;
            const mask = tf.mul(tf.reshape(tf.gather(rowMask, windowRow), [b, height, 1, 1]), tf.reshape(tf.gather(colMask, windowCol), [b, 1, width, 1]));
            const xi = tf.gather(x, item);
            const fill = baseline.shape[0] > 1 ? tf.gather(baseline, item) : baseline;
            const occluded = tf.add(xi, tf.mul(mask, tf.sub(fill, xi))) as tf.Tensor4D;
            const scores = rowSelector(where, target, item)(forwardScores(where, model, occluded, forward));
            return tf.sub(tf.gather(clean, item), scores);
          }),
        );
        options.onProgress?.(end, total);
      }
      return tf.tidy(() => {
        // Σ over windows of drop × coverage: R^T · D[n] · C for each item, then ÷ the number of windows.
        const d = tf.reshape(tf.concat(drops), [n * ph, pw]);
        const t = tf.reshape(tf.matMul(d, colMask), [n, ph, width]);
        const u = tf.matMul(tf.reshape(tf.transpose(t, [0, 2, 1]), [n * width, ph]), rowMask);
        const sum = tf.transpose(tf.reshape(u, [n, width, height]), [0, 2, 1]);
        const count = tf.matMul(tf.sum(rowMask, 0).reshape([height, 1]), tf.sum(colMask, 0).reshape([1, width]));
        return tf.div(sum, tf.maximum(count, 1)) as tf.Tensor3D;
      });
    } finally {
      tf.dispose(drops);
    }
  } finally {
    tf.dispose(owned);
  }
}
