/**
 * What the pixel-group perturbation methods share (feature ablation, Shapley value sampling, LIME,
 * KernelSHAP, and RISE's masks): the checked input, each item's fixed target, F(x) and F(baseline), the
 * groups, and one batch evaluator that scores the input with pixels blended towards the baseline,
 *
 *   x̃ = x ⊙ m + b ⊙ (1 − m),   m ∈ [0, 1] per pixel (all channels),
 *
 * for rows (item, mask) given as typed arrays, returning the scores to JavaScript. The masks are built
 * in JavaScript from seeded draws (../random), so a result depends only on the seed, never on
 * `batchSize` or the backend, and each item's draws are the same whether it is explained alone or in a
 * batch. Scores come back with `await data()` after each batch (no synchronous reads).
 */
import * as tf from '@tensorflow/tfjs';
import { forwardScores, ForwardOptions } from '../models/forward';
import type { Model } from '../models/types';
import { mulberry32 } from '../random';
import { effectiveSignal } from '../signal';
import { BATCH_SIZE, checkInput, checkModel, CommonOptions, LoopOptions, resolveTarget, rowSelector } from './common';
import { checkpoint, runBatches } from './loop';
import { checkBaseline, OptionSpecs, Resolved, resolveOptions } from './options';
import { GroupOptions, PixelGroups, resolveGroups } from './pixel-groups';

/** Options of every group-perturbation method (those in the loop are in process: no worker pool yet). */
export interface PerturbationOptions extends CommonOptions, Omit<LoopOptions<tf.Tensor3D>, 'workers'> {
  baseline?: number | tf.Tensor;
}

/** The spec of `baseline` for these methods (Captum's `baselines`: what a switched-off pixel becomes). */
export const PERTURBATION_BASELINE = { type: 'baseline', choices: [] as string[], description: 'value (or tensor broadcastable to the input) that a switched-off pixel takes' } as const;
export const PERTURBATION_BATCH = { ...BATCH_SIZE, description: 'perturbed images per forward pass' } as const;

/** The checked input and what stays fixed during a run. */
export interface PerturbationContext {
  where: string;
  model: Model;
  x: tf.Tensor4D;
  shape: [number, number, number, number];
  target: number[] | ((output: tf.Tensor2D) => tf.Tensor);
  forward: ForwardOptions;
  /** The baseline as a number or a rank-4 tensor (owned by the context). */
  baseline: number | tf.Tensor4D;
  /** F(x) per item, and F(baseline) (0 unless the context was made `withBase`). */
  clean: Float32Array;
  base: Float32Array;
  /** |x|² per item (LIME's distances). */
  norms: Float64Array;
  dispose(): void;
}

/** Checks model, input, options and baseline, fixes each item's target and computes F(x) (and F(baseline) `withBase`). The caller disposes it. */
export async function perturbationContext<D>(where: string, model: Model, input: tf.Tensor4D, specs: OptionSpecs<D>, options: object, withBase = false): Promise<{ ctx: PerturbationContext; o: Resolved<D, PerturbationOptions> }> {
  checkModel(where, model);
  const o = resolveOptions(where, specs, options) as Resolved<D, PerturbationOptions>;
  // Every such method's specs extend COMMON_OPTIONS (target, preSoftmax) and carry `baseline`.
  const common = o as unknown as PerturbationOptions & { preSoftmax: boolean };
  await checkpoint(where, effectiveSignal(common.signal));
  const x = await checkInput(where, model, input);
  const checked = await checkBaseline(where, common.baseline ?? 0, x.shape, []);
  const baseline = checked.kind === 'tensor' ? checked.tensor : checked.kind === 'number' ? checked.value : 0;
  try {
    const forward: ForwardOptions = { preSoftmax: common.preSoftmax };
    const target = await resolveTarget(where, model, x, common.target, forward);
    const n = x.shape[0];
    const items = Array.from({ length: n }, (_, i) => i);
    // F(x) and |x|², and F(baseline) when the method needs it (Shapley sampling); 0 otherwise.
    const both = tf.tidy(() => {
      const select = rowSelector(where, target, items);
      const base = withBase ? select(forwardScores(where, model, tf.add(tf.mul(x, 0), baseline) as tf.Tensor4D, forward)) : tf.zeros([n]);
      return tf.concat([select(forwardScores(where, model, x, forward)), base, tf.sum(tf.square(x), [1, 2, 3])]);
    });
    const values = await both.data();
    both.dispose();
    const ctx: PerturbationContext = {
      where, model, x, shape: x.shape, target, forward, baseline,
      clean: Float32Array.from(values.subarray(0, n)),
      base: Float32Array.from(values.subarray(n, 2 * n)),
      norms: Float64Array.from(values.subarray(2 * n, 3 * n)),
      dispose: () => {
        if (baseline instanceof tf.Tensor) baseline.dispose();
      },
    };
    return { ctx, o };
  } catch (e) {
    if (baseline instanceof tf.Tensor) baseline.dispose();
    throw e;
  }
}

/** What LIME needs of each perturbed image besides its score: x·x̃, |x̃|², |x − x̃|². */
export interface RowScores {
  scores: Float32Array;
  /** Three numbers per row (x·x̃, |x̃|², |x − x̃|²) when asked for. */
  stats: Float32Array | null;
}

/**
 * Scores of rows (item `items[r]`, pixel mask `masks[r·H·W ...]`) on the context's model, read back
 * asynchronously; with `stats`, also LIME's distance terms.
 */
export async function scoreRows(ctx: PerturbationContext, items: number[], masks: Float32Array, stats = false): Promise<RowScores> {
  const [, h, w] = ctx.shape;
  const b = items.length;
  const out = tf.tidy(() => {
    const m = tf.tensor4d(masks, [b, h, w, 1]);
    const xi = tf.gather(ctx.x, items);
    const base = ctx.baseline instanceof tf.Tensor ? (ctx.baseline.shape[0] === 1 ? ctx.baseline : tf.gather(ctx.baseline, items)) : tf.scalar(ctx.baseline);
    const pert = tf.add(tf.mul(xi, m), tf.mul(base, tf.sub(1, m))) as tf.Tensor4D;
    const scores = rowSelector(ctx.where, ctx.target, items)(forwardScores(ctx.where, ctx.model, pert, ctx.forward));
    if (!stats) return scores;
    const extra = tf.stack([tf.sum(tf.mul(xi, pert), [1, 2, 3]), tf.sum(tf.square(pert), [1, 2, 3]), tf.sum(tf.square(tf.sub(xi, pert)), [1, 2, 3])], 1);
    return tf.concat([scores, tf.reshape(extra, [-1])]);
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return { scores: values.slice(0, b), stats: stats ? values.slice(b) : null };
}

/** The pixel mask of a binary group vector: m[p] = keep[labels[p]], written into `out` at `offset`. */
export function maskOf(labels: Int32Array, keep: ArrayLike<number>, out: Float32Array, offset: number): void {
  for (let p = 0; p < labels.length; p++) out[offset + p] = keep[labels[p]];
}

/** The map `[N,H,W]` with each pixel its group's value (`values[item][group]`). The caller owns it. */
export function groupMap(ctx: PerturbationContext, groups: PixelGroups, values: ArrayLike<number>[]): tf.Tensor3D {
  const [n, h, w] = ctx.shape;
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const labels = groups.labels[i];
    const v = values[i];
    for (let p = 0; p < h * w; p++) out[i * h * w + p] = v[labels[p]];
  }
  return tf.tensor3d(out, [n, h, w]);
}

/** A generator of floats in [0, 1) for draw `t` of a run seeded `seed`: independent of batching and of the item. */
export function drawRandom(seed: number, t: number): () => number {
  return mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(t + 1, 0x85ebca77)) >>> 0);
}

/** A random permutation of 0..m−1 (Fisher–Yates). */
export function permutation(next: () => number, m: number): Int32Array {
  const p = Int32Array.from({ length: m }, (_, i) => i);
  for (let i = m - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The seed a run uses: the caller's, else a random one (as SmoothGrad). */
export function runSeed(seed: number | null | undefined): number {
  return seed ?? Math.floor(Math.random() * 2 ** 31);
}

/** Units per item and where each item's units start. */
export function unitLayout(perItem: number[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const k of perItem) {
    offsets.push(total);
    total += k;
  }
  return { offsets, total };
}

/** Which item a unit belongs to (units run item by item). */
export function itemOf(offsets: number[], u: number): number {
  let i = offsets.length - 1;
  while (i > 0 && offsets[i] > u) i--;
  return i;
}

/**
 * Runs `total` units through the batch loop: `rows(u)` says unit u's item and writes its pixel mask;
 * scores (and LIME's stats) land in arrays that `result(scores, stats, done)` turns into the map.
 */
export async function runGroupUnits(
  ctx: PerturbationContext, o: PerturbationOptions & { batchSize: number }, total: number,
  row: (u: number, out: Float32Array, offset: number) => number,
  result: (scores: Float32Array, stats: Float32Array | null, done: number) => tf.Tensor3D,
  stats = false,
): Promise<tf.Tensor3D> {
  const [, h, w] = ctx.shape;
  const scores = new Float32Array(total);
  const extra = stats ? new Float32Array(3 * total) : null;
  return runBatches<RowScores, object, tf.Tensor3D>({
    where: ctx.where,
    total,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress,
    onPartial: o.onPartial,
    initial: {},
    evaluate: (start, end) => {
      const masks = new Float32Array((end - start) * h * w);
      const items: number[] = [];
      for (let u = start; u < end; u++) items.push(row(u, masks, (u - start) * h * w));
      return scoreRows(ctx, items, masks, stats);
    },
    fold: (state, batch, start) => {
      scores.set(batch.scores, start);
      if (extra && batch.stats) extra.set(batch.stats, 3 * start);
      return state;
    },
    finish: (_, done) => result(scores, extra, done),
  });
}
