/**
 * Occlusion (Zeiler and Fergus 2014, "Visualizing and Understanding Convolutional Networks"), with
 * Captum's `Occlusion` conventions: a window slides over the image with a stride; per spatial axis there
 * are ceil((D − W) / S) + 1 positions, the last window cropped at the border; each window spans all
 * channels and is filled with the baseline. A pixel's attribution is the mean, over the windows that cover
 * it, of the score drop F(x) − F(x with that window occluded).
 *
 * Departures from Captum: the output is `[N,H,W]` (windows span all channels, so every channel would hold
 * the same number); a pixel that no window covers (stride larger than the window) gets 0 rather than
 * 0/0; the explained score is pre-softmax unless `preSoftmax: false`, as for every saliency-lab method;
 * the default stride is half the window (Captum's is 1, which costs about four times the forward passes).
 *
 * The work is split in three, so that a caller can change the window and rerun without recomputing what
 * does not change, or swap how drops are computed (an incremental evaluator):
 * - `occlusionContext(model, input, options)`: the checked input, the resolved target of each item and
 *   its clean score F(x): kept across reruns;
 * - `planOcclusion(context, options)`: window spans per axis, their coverage of each pixel, the baseline;
 * - `runOcclusion(context, plan, options)`: the drops, batch by batch through the batched-evaluation loop
 *   (./loop) with an `OcclusionEvaluator` (`evaluateDrops` by default), aggregated into the map by
 *   `aggregateOcclusion`; partial maps after each batch with `onPartial`.
 * `occlusion(model, input, options)` does all three and frees the context and the plan.
 */

import * as tf from '@tensorflow/tfjs';
import { forwardScores, ForwardOptions } from '../models/forward';
import type { Model } from '../models/types';
import { effectiveSignal } from '../signal';
import type { PoolJob } from '../pool';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, POOL_DEFAULTS, POOL_TYPES, resolveTarget, rowSelector } from './common';
import { checkpoint, runBatches } from './loop';
import { checkBaseline, checkWindow, extendSpecs, resolveOptions } from './options';

/**
 * A partial result of occlusion (`onPartial`): the map `[N,H,W]` from the windows evaluated so far, each
 * pixel the mean drop over those of its windows (0 where none is evaluated yet). Windows run item by
 * item, row by row.
 */
export type OcclusionPartial = tf.Tensor3D;

export interface OcclusionOptions extends CommonOptions, LoopOptions<OcclusionPartial> {
  /** Window height and width in pixels (one number for both). Default (also `null`): 8, at most the image size. */
  window?: number | [number, number] | null;
  /** Step between window positions (one number for both). Default (also `null`): half the window, at least 1. */
  stride?: number | [number, number] | null;
  /** What fills the window: a number, or a tensor broadcastable to the input `[N,H,W,C]`. Default 0. */
  baseline?: number | tf.Tensor;
}

/** occlusion's own defaults (besides target and preSoftmax). */
export const OCCLUSION_DEFAULTS = {
  window: null as number | [number, number] | null,
  stride: null as number | [number, number] | null,
  baseline: 0 as number | tf.Tensor,
  batchSize: 32,
  ...POOL_DEFAULTS,
};

/** The window side used when `window` is not given (at most the image's side). */
const DEFAULT_WINDOW = 8;

export const OCCLUSION_OPTIONS = extendSpecs(COMMON_OPTIONS, OCCLUSION_DEFAULTS, {
  window: { type: 'window', min: 1, description: 'size of the occluding window', defaultText: `${DEFAULT_WINDOW}, at most the image` },
  stride: { type: 'window', min: 1, description: 'step between window positions', defaultText: 'half the window' },
  baseline: { type: 'baseline', choices: [], description: 'value (or tensor) that fills the window' },
  batchSize: { ...BATCH_SIZE, description: 'occluded images per forward pass' },
  ...POOL_TYPES,
});

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

/** What stays the same across reruns on one input: the checked input, the targets, the clean scores. */
export interface OcclusionContext {
  where: string;
  model: Model;
  /** The input batch `[N,H,W,C]` (the caller's tensor: not disposed by `dispose`). */
  x: tf.Tensor4D;
  /** Each item's output index, or the caller's target function, fixed on the clean input. */
  target: number[] | ((output: tf.Tensor2D) => tf.Tensor);
  forward: ForwardOptions;
  /** F(x) per item `[N]`, owned by the context. */
  clean: tf.Tensor1D;
  /** Frees what the context owns. */
  dispose(): void;
}

/**
 * Checks the model and input, fixes each item's target and computes its clean score. The caller
 * disposes the context (`context.dispose()`); the input tensor must stay alive while it is used.
 */
export async function occlusionContext(
  model: Model, input: tf.Tensor4D, options: Pick<OcclusionOptions, 'target' | 'preSoftmax'> = {}, where = 'occlusion',
): Promise<OcclusionContext> {
  checkModel(where, model);
  const o = resolveOptions(where, COMMON_OPTIONS, options);
  const x = await checkInput(where, model, input);
  return contextOf(where, model, x, o);
}

async function contextOf(where: string, model: Model, x: tf.Tensor4D, o: CommonOptions): Promise<OcclusionContext> {
  const target = await resolveTarget(where, model, x, o.target, o);
  const forward: ForwardOptions = { preSoftmax: o.preSoftmax };
  const items = Array.from({ length: x.shape[0] }, (_, i) => i);
  const clean = tf.tidy(() => rowSelector(where, target, items)(forwardScores(where, model, x, forward)));
  return { where, model, x, target, forward, clean, dispose: () => clean.dispose() };
}

/** Where the windows go for one input shape, and what fills them. */
export interface OcclusionPlan {
  window: [number, number];
  stride: [number, number];
  /** [start, end) of each window position along the height and the width. */
  rowSpans: [number, number][];
  colSpans: [number, number][];
  /** Window positions per item (rowSpans × colSpans) and occluded images in all (items × positions). */
  positions: number;
  total: number;
  /** `[positions along the height, H]` and `[positions along the width, W]`: 1 where a window covers the pixel. */
  rowMask: tf.Tensor2D;
  colMask: tf.Tensor2D;
  /** The baseline, rank 4, broadcastable to the input. */
  baseline: tf.Tensor4D;
  /** Frees the plan's tensors. */
  dispose(): void;
}

/**
 * Plans the windows for the context's input: `window` (default 8, at most the image), `stride` (default
 * half the window), `baseline` (default 0). The caller disposes the plan.
 */
export async function planOcclusion(context: OcclusionContext, options: Pick<OcclusionOptions, 'window' | 'stride' | 'baseline'> = {}): Promise<OcclusionPlan> {
  const o = resolveOptions(context.where, OCCLUSION_OPTIONS, options);
  return planFor(context.where, context.x.shape, o);
}

async function planFor(where: string, shape: number[], o: Pick<OcclusionOptions, 'window' | 'stride' | 'baseline'>): Promise<OcclusionPlan> {
  const [, height, width] = shape;
  const size: [number, number] = [height, width];
  const window = checkWindow(where, 'window', o.window ?? [Math.min(DEFAULT_WINDOW, height), Math.min(DEFAULT_WINDOW, width)], size);
  const stride = checkWindow(where, 'stride', o.stride ?? [Math.max(1, Math.floor(window[0] / 2)), Math.max(1, Math.floor(window[1] / 2))], size);
  const checked = await checkBaseline(where, o.baseline ?? OCCLUSION_DEFAULTS.baseline, shape);
  const baseline = checked.kind === 'tensor' ? checked.tensor : (tf.fill([1, 1, 1, 1], checked.kind === 'number' ? checked.value : 0) as tf.Tensor4D);
  const rowSpans = windowSpans(height, window[0], stride[0]);
  const colSpans = windowSpans(width, window[1], stride[1]);
  const rowMask = tf.tensor2d(coverage(rowSpans, height), [rowSpans.length, height]);
  const colMask = tf.tensor2d(coverage(colSpans, width), [colSpans.length, width]);
  const positions = rowSpans.length * colSpans.length;
  return {
    window, stride, rowSpans, colSpans, positions, total: shape[0] * positions, rowMask, colMask, baseline,
    dispose: () => tf.dispose([rowMask, colMask, baseline]),
  };
}

/**
 * Computes the score drops F(x) − F(x occluded) of occluded images [start, end) of a plan, `[end − start]`
 * (image r is item floor(r / positions) with window r % positions, windows row-major). Sync or async;
 * the result belongs to the caller. Swap it to compute drops another way (incrementally, for instance).
 */
export type OcclusionEvaluator = (context: OcclusionContext, plan: OcclusionPlan, start: number, end: number) => tf.Tensor1D | Promise<tf.Tensor1D>;

/** The standard evaluator: one forward pass over the batch of occluded images. */
export const evaluateDrops: OcclusionEvaluator = ({ where, model, x, target, forward, clean }, plan, start, end) => {
  const [, height, width] = x.shape;
  const pw = plan.colSpans.length;
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  const item = rows.map((r) => Math.floor(r / plan.positions));
  const windowRow = rows.map((r) => Math.floor((r % plan.positions) / pw));
  const windowCol = rows.map((r) => r % pw);
  return tf.tidy(() => {
    const b = rows.length;
    const mask = tf.mul(tf.reshape(tf.gather(plan.rowMask, windowRow), [b, height, 1, 1]), tf.reshape(tf.gather(plan.colMask, windowCol), [b, 1, width, 1]));
    const xi = tf.gather(x, item);
    const fill = plan.baseline.shape[0] > 1 ? tf.gather(plan.baseline, item) : plan.baseline;
    const occluded = tf.add(xi, tf.mul(mask, tf.sub(fill, xi))) as tf.Tensor4D;
    const scores = rowSelector(where, target, item)(forwardScores(where, model, occluded, forward));
    return tf.sub(tf.gather(clean, item), scores) as tf.Tensor1D;
  });
};

/**
 * The map `[N,H,W]` from the drops of the first `done` occluded images (`drops`, `[done]`): per pixel the
 * sum over evaluated windows of drop × coverage, divided by the number of evaluated windows covering it
 * (at least 1). With every image done, the occlusion map. Sync; the caller owns the result.
 */
export function aggregateOcclusion(plan: OcclusionPlan, n: number, drops: tf.Tensor1D, done = plan.total): tf.Tensor3D {
  const { rowMask, colMask } = plan;
  const [ph, height] = rowMask.shape;
  const [pw, width] = colMask.shape;
  return tf.tidy(() => {
    // Σ over windows of drop × coverage: R^T · D[n] · C for each item, then ÷ the number of windows.
    const all = done === plan.total ? drops : tf.concat([drops, tf.zeros([plan.total - done])]);
    const d = tf.reshape(all, [n * ph, pw]);
    const t = tf.reshape(tf.matMul(d, colMask), [n, ph, width]);
    const u = tf.matMul(tf.reshape(tf.transpose(t, [0, 2, 1]), [n * width, ph]), rowMask);
    const sum = tf.transpose(tf.reshape(u, [n, width, height]), [0, 2, 1]);
    if (done === plan.total) {
      const count = tf.matMul(tf.sum(rowMask, 0).reshape([height, 1]), tf.sum(colMask, 0).reshape([1, width]));
      return tf.div(sum, tf.maximum(count, 1)) as tf.Tensor3D;
    }
    // Evaluated windows per pixel: the same sum with 1 for each evaluated image instead of its drop.
    const ones = tf.reshape(tf.concat([tf.ones([done]), tf.zeros([plan.total - done])]), [n * ph, pw]);
    const tc = tf.reshape(tf.matMul(ones, colMask), [n, ph, width]);
    const uc = tf.matMul(tf.reshape(tf.transpose(tc, [0, 2, 1]), [n * width, ph]), rowMask);
    const count = tf.transpose(tf.reshape(uc, [n, width, height]), [0, 2, 1]);
    return tf.div(sum, tf.maximum(count, 1)) as tf.Tensor3D;
  });
}

type OcclusionTensors = { x: tf.Tensor4D; clean: tf.Tensor1D; rowMask: tf.Tensor2D; colMask: tf.Tensor2D; baseline: tf.Tensor4D };
type OcclusionParams = Pick<OcclusionContext, 'where' | 'target' | 'forward'> & Pick<OcclusionPlan, 'window' | 'stride' | 'rowSpans' | 'colSpans' | 'positions' | 'total'>;

/** What pool workers need to run `evaluateDrops` on a context and plan (see ../pool). */
function occlusionJob({ where, model, x, clean, target, forward }: OcclusionContext, plan: OcclusionPlan): PoolJob {
  const { window, stride, rowSpans, colSpans, positions, total, rowMask, colMask, baseline } = plan;
  const params: OcclusionParams = { where, target, forward, window, stride, rowSpans, colSpans, positions, total };
  return {
    kind: 'occlusion', model, tensors: { x, clean, rowMask, colMask, baseline }, params,
    inProcess: typeof target === 'function' ? 'a target function cannot be sent to a worker' : undefined,
  };
}

/** `evaluateDrops` on a context and plan rebuilt from an occlusion job (in a pool worker). */
export function occlusionEvaluator(model: Model, t: OcclusionTensors, p: OcclusionParams) {
  const context: OcclusionContext = { where: p.where, model, x: t.x, target: p.target, forward: p.forward, clean: t.clean, dispose: () => undefined };
  const plan: OcclusionPlan = { ...p, rowMask: t.rowMask, colMask: t.colMask, baseline: t.baseline, dispose: () => undefined };
  return (start: number, end: number) => evaluateDrops(context, plan, start, end);
}

export interface RunOcclusionOptions extends LoopOptions<OcclusionPartial> {
  /** How drops are computed. Default `evaluateDrops`. */
  evaluator?: OcclusionEvaluator;
}

/**
 * Evaluates a plan on a context through the batched-evaluation loop and returns the map `[N,H,W]` (the
 * caller owns it). `batchSize` (default 32), `onProgress(done, total)` in occluded images, `onPartial`
 * (see OcclusionPartial), `signal` (default: the kernel's) stops between batches ("AbortError").
 */
export async function runOcclusion(context: OcclusionContext, plan: OcclusionPlan, options: RunOcclusionOptions = {}): Promise<tf.Tensor3D> {
  const { where, x } = context;
  const o = resolveOptions(where, OCCLUSION_OPTIONS, options);
  const evaluator = options.evaluator ?? evaluateDrops;
  const n = x.shape[0];
  return runBatches({
    where,
    total: plan.total,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress,
    onPartial: o.onPartial,
    initial: [] as tf.Tensor1D[],
    evaluate: (start, end) => evaluator(context, plan, start, end),
    // The standard evaluator can run in pool workers; another (an incremental one) runs here.
    pool: evaluator === evaluateDrops ? { job: occlusionJob(context, plan), workers: o.workers } : undefined,
    fold: (drops, d) => [...drops, d],
    finish: (drops, done) => tf.tidy(() => aggregateOcclusion(plan, n, tf.concat(drops) as tf.Tensor1D, done)),
  });
}

/**
 * Occlusion map `[N,H,W]`: per pixel, the mean score drop over the windows covering it. The caller owns
 * the result. Options: OCCLUSION_OPTIONS (window, stride, baseline, target, preSoftmax, batchSize),
 * `onProgress(done, total)` in occluded images, `onPartial` (see OcclusionPartial), `signal` (default:
 * the kernel's) stops between batches with an error named "AbortError".
 */
export async function occlusion(model: Model, input: tf.Tensor4D, options: OcclusionOptions = {}): Promise<tf.Tensor3D> {
  const where = 'occlusion';
  checkModel(where, model);
  const o = resolveOptions(where, OCCLUSION_OPTIONS, options);
  await checkpoint(where, effectiveSignal(o.signal));
  const x = await checkInput(where, model, input);
  const plan = await planFor(where, x.shape, o);
  try {
    const context = await contextOf(where, model, x, o);
    try {
      return await runOcclusion(context, plan, o);
    } finally {
      context.dispose();
    }
  } finally {
    plan.dispose();
  }
}
