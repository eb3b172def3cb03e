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
import { OptionError } from '../errors';
import { incrementalEvaluator, incrementalStructure, occludedRows } from './occlusion-incremental';

export { occludedRows };
import { checkBaseline, checkChoice, checkWindow, extendSpecs, optionSpecs, Resolved, resolveOptions } from './options';

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
  /**
   * How drops are computed: `'full'` (one forward pass per occluded image), `'incremental'` (only the
   * activations the window can change, layer by layer: the same map to float rounding; an OptionError
   * when the model cannot be walked, see ./occlusion-incremental), or `'auto'` (incremental where the
   * model allows it, else full). Default `auto`.
   */
  algorithm?: OcclusionAlgorithm;
  /**
   * Approximations, each off by default (also `null`: the exact map); see OcclusionApproximate. Default (also
   * `null`): off.
   */
  approximate?: OcclusionApproximate | null;
  /**
   * The same as `approximate.drillDown` (give one of the two). Default (also `null`): off, every window. First every other window position per axis
   * (a quarter of the windows, each exact), then the rest only next to the coarse windows whose drop is
   * in the top `drillDown` fraction of the item's; every other window takes the mean drop of its
   * evaluated neighbours. A number in (0, 1]; `1` evaluates every window (the exact map).
   */
  drillDown?: number | null;
}

/** Approximations of occlusion (Krypton's), each off unless given. */
export interface OcclusionApproximate {
  /**
   * Projective-field threshold τ in (0, 1] (Krypton's τ; needs the incremental algorithm): at each windowed
   * layer the changed window is cut to at most ⌈τ · side⌉ of the layer's output along each axis, centred on
   * the exact window; what lies outside is taken as unchanged, so the window stops growing once it covers
   * that fraction of a layer. `1` is exact. Default (also `null`): off.
   */
  tau?: number | null;
  /** Adaptive drill-down: see OcclusionOptions.drillDown. Default (also `null`): off. */
  drillDown?: number | null;
}

/** The approximations' own defaults: one source for `approximate`'s fields. */
export const OCCLUSION_APPROXIMATE_DEFAULTS = {
  tau: null as number | null,
  drillDown: null as number | null,
};

const FRACTION = { type: 'number', min: 0, exclusiveMin: true, max: 1 } as const;
const DRILL_DOWN = { ...FRACTION, description: 'approximate: coarse windows first, then the fine ones only near the top fraction of coarse drops', defaultText: 'off (every window)' };

export const OCCLUSION_APPROXIMATE_OPTIONS = optionSpecs(OCCLUSION_APPROXIMATE_DEFAULTS, {
  tau: { ...FRACTION, description: "projective-field threshold: each layer's changed window at most this fraction of the layer's side (incremental only)", defaultText: 'off (exact)' },
  drillDown: DRILL_DOWN,
});

export const OCCLUSION_ALGORITHMS = ['auto', 'full', 'incremental'] as const;
export type OcclusionAlgorithm = (typeof OCCLUSION_ALGORITHMS)[number];

/** occlusion's own defaults (besides target and preSoftmax). */
export const OCCLUSION_DEFAULTS = {
  window: null as number | [number, number] | null,
  stride: null as number | [number, number] | null,
  baseline: 0 as number | tf.Tensor,
  algorithm: 'auto' as OcclusionAlgorithm,
  approximate: null as OcclusionApproximate | null,
  drillDown: null as number | null,
  batchSize: 32,
  ...POOL_DEFAULTS,
};

/** The window side used when `window` is not given (at most the image's side). */
const DEFAULT_WINDOW = 8;

export const OCCLUSION_OPTIONS = extendSpecs(COMMON_OPTIONS, OCCLUSION_DEFAULTS, {
  window: { type: 'window', min: 1, description: 'size of the occluding window', defaultText: `${DEFAULT_WINDOW}, at most the image` },
  stride: { type: 'window', min: 1, description: 'step between window positions', defaultText: 'half the window' },
  baseline: { type: 'baseline', choices: [], description: 'value (or tensor) that fills the window' },
  algorithm: { type: 'choice', choices: OCCLUSION_ALGORITHMS, description: "'incremental' recomputes only the activations each window can change (same map); 'auto': incremental where the model allows it" },
  approximate: { type: 'fields', fields: OCCLUSION_APPROXIMATE_OPTIONS, description: "approximations, each off unless given: 'tau', Krypton's projective-field threshold (incremental only), and 'drillDown' (as below); see “Fast occlusion”", defaultText: 'off (exact)' },
  drillDown: { ...DRILL_DOWN, description: `${DRILL_DOWN.description} (also approximate.drillDown)` },
  batchSize: { ...BATCH_SIZE, description: 'occluded images per forward pass' },
  ...POOL_TYPES,
});

/**
 * The evaluator an `algorithm` picks for a model: the standard one (`dispose` does nothing) or an
 * incremental one (`dispose` frees the clean activations it keeps). `'incremental'` on a model that
 * cannot be walked is an OptionError saying why; `'auto'` then picks the standard one.
 */
export function occlusionEvaluator(where: string, model: Model, algorithm: OcclusionAlgorithm, tau: number | null = null): { evaluator: OcclusionEvaluator; incremental: boolean; dispose(): void } {
  const algo = checkChoice(where, 'algorithm', algorithm, OCCLUSION_ALGORITHMS);
  const structure = algo === 'full' ? 'algorithm is full' : incrementalStructure(model);
  if (typeof structure === 'string') {
    if (algo === 'incremental') throw new OptionError(where, `algorithm 'incremental' cannot run on this model: ${structure}; use 'auto' or 'full'`);
    if (tau !== null) throw new OptionError(where, `approximate.tau needs the incremental algorithm, and this run is full occlusion (${structure}); leave tau out`);
    return { evaluator: evaluateDrops, incremental: false, dispose: () => undefined };
  }
  const e = incrementalEvaluator(structure, { tau });
  return { evaluator: e.evaluate, incremental: true, dispose: e.dispose };
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
export type OcclusionEvaluator = (context: OcclusionContext, plan: OcclusionPlan, start: number, end: number, order?: readonly number[]) => tf.Tensor1D | Promise<tf.Tensor1D>;


/** The standard evaluator: one forward pass over the batch of occluded images. */
export const evaluateDrops: OcclusionEvaluator = ({ where, model, x, target, forward, clean }, plan, start, end, order) => {
  const [, height, width] = x.shape;
  const pw = plan.colSpans.length;
  const rows = occludedRows(start, end, order);
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
export function pooledOcclusionEvaluator(model: Model, t: OcclusionTensors, p: OcclusionParams) {
  const context: OcclusionContext = { where: p.where, model, x: t.x, target: p.target, forward: p.forward, clean: t.clean, dispose: () => undefined };
  const plan: OcclusionPlan = { ...p, rowMask: t.rowMask, colMask: t.colMask, baseline: t.baseline, dispose: () => undefined };
  return (start: number, end: number) => evaluateDrops(context, plan, start, end);
}

/** The approximations of resolved options: `approximate`'s fields, with the flat `drillDown` (given once at most). */
function approximationsOf(where: string, o: { approximate: OcclusionApproximate | null; drillDown: number | null }): { tau: number | null; drillDown: number | null } {
  const a = { ...OCCLUSION_APPROXIMATE_DEFAULTS, ...(o.approximate ?? {}) };
  if (o.drillDown !== null && a.drillDown !== null) throw new OptionError(where, `drillDown is given twice (drillDown ${o.drillDown}, approximate.drillDown ${a.drillDown}); give one`);
  return { tau: a.tau ?? null, drillDown: a.drillDown ?? o.drillDown };
}

export interface RunOcclusionOptions extends LoopOptions<OcclusionPartial>, Pick<OcclusionOptions, 'algorithm' | 'approximate' | 'drillDown'> {
  /** How drops are computed. Default: the one `algorithm` picks (see `occlusionEvaluator`). */
  evaluator?: OcclusionEvaluator;
}

/**
 * Evaluates a plan on a context through the batched-evaluation loop and returns the map `[N,H,W]` (the
 * caller owns it). `batchSize` (default 32), `onProgress(done, total)` in occluded images, `onPartial`
 * (see OcclusionPartial), `signal` (default: the kernel's) stops between batches ("AbortError"),
 * `algorithm`, `approximate` and `drillDown` as for `occlusion`, `evaluator` (overrides `algorithm`; then
 * `approximate.tau`, which only the incremental evaluator that `algorithm` picks applies, is an OptionError).
 */
export async function runOcclusion(context: OcclusionContext, plan: OcclusionPlan, options: RunOcclusionOptions = {}): Promise<tf.Tensor3D> {
  const { where } = context;
  const o = resolveOptions(where, OCCLUSION_OPTIONS, options);
  const approx = approximationsOf(where, o);
  if (options.evaluator) {
    if (approx.tau !== null) throw new OptionError(where, 'approximate.tau is applied by the evaluator that algorithm picks, not by a given evaluator; leave one of them out');
    return runWith(context, plan, o, options.evaluator, approx.drillDown);
  }
  // The evaluator `algorithm` (default 'auto') and `approximate.tau` pick, for this run only.
  const chosen = occlusionEvaluator(where, context.model, o.algorithm, approx.tau);
  try {
    return await runWith(context, plan, o, chosen.evaluator, approx.drillDown);
  } finally {
    chosen.dispose();
  }
}

/** runOcclusion with resolved options and its evaluator. */
async function runWith(context: OcclusionContext, plan: OcclusionPlan, o: Resolved<typeof OCCLUSION_DEFAULTS, RunOcclusionOptions>, evaluator: OcclusionEvaluator, drillDown: number | null): Promise<tf.Tensor3D> {
  const { where, x } = context;
  const n = x.shape[0];
  if (drillDown !== null) return runDrillDown(context, plan, o, evaluator, drillDown);
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

/** Grid indices along one axis for the coarse pass: every other one, and the last. */
function coarseIndices(count: number): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < count; i += 2) out.add(i);
  out.add(count - 1);
  return out;
}

/**
 * Adaptive drill-down (see OcclusionOptions.drillDown): the coarse windows, then the refined ones, each
 * batch through the batched-evaluation loop; partial maps from the drops so far with the estimates
 * filled in. Progress counts evaluated images out of those planned (the refined ones are known after the
 * coarse pass; until then, every remaining window is counted).
 */
async function runDrillDown(context: OcclusionContext, plan: OcclusionPlan, o: Resolved<typeof OCCLUSION_DEFAULTS, RunOcclusionOptions>, evaluator: OcclusionEvaluator, fraction: number): Promise<tf.Tensor3D> {
  const { where, x } = context;
  const n = x.shape[0];
  const ph = plan.rowSpans.length;
  const pw = plan.colSpans.length;
  const drops = new Float32Array(plan.total);
  const have = new Uint8Array(plan.total);
  const cr = coarseIndices(ph);
  const cc = coarseIndices(pw);
  const coarse: number[] = [];
  for (let r = 0; r < plan.total; r++) if (cr.has(Math.floor((r % plan.positions) / pw)) && cc.has(r % pw)) coarse.push(r);
  /** Evaluated drops, each other window the mean of its evaluated neighbours (0 when none). */
  const filled = (): Float32Array => {
    const out = drops.slice();
    for (let r = 0; r < plan.total; r++) {
      if (have[r]) continue;
      const base = r - (r % plan.positions);
      const i = Math.floor((r % plan.positions) / pw);
      const j = r % pw;
      let sum = 0;
      let count = 0;
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const [a, b] = [i + di, j + dj];
          const q = base + a * pw + b;
          if (a >= 0 && a < ph && b >= 0 && b < pw && have[q]) [sum, count] = [sum + drops[q], count + 1];
        }
      }
      out[r] = count > 0 ? sum / count : 0;
    }
    return out;
  };
  const mapOf = () => tf.tidy(() => aggregateOcclusion(plan, n, tf.tensor1d(filled()), plan.total));
  let planned = plan.total;
  let offset = 0;
  const phase = (order: number[]) => runBatches<tf.Tensor1D, tf.Tensor1D[], tf.Tensor3D>({
    where,
    total: order.length,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress ? (done) => o.onProgress?.(offset + done, planned) : undefined,
    onPartial: o.onPartial ? (partial, done) => o.onPartial?.(partial, offset + done, planned) : undefined,
    initial: [] as tf.Tensor1D[],
    evaluate: (start, end) => evaluator(context, plan, start, end, order),
    fold: (acc, d) => [...acc, d],
    finish: (acc, done) => {
      const values = acc.length > 0 ? tf.tidy(() => tf.concat(acc).dataSync()) : new Float32Array(0);
      for (let k = 0; k < done; k++) [drops[order[k]], have[order[k]]] = [values[k], 1];
      return mapOf();
    },
  });
  (await phase(coarse)).dispose();
  // The coarse windows whose drop is in the top fraction of their item's, and the unevaluated windows next to them.
  const refine: number[] = [];
  for (let item = 0; item < n; item++) {
    const own = coarse.filter((r) => Math.floor(r / plan.positions) === item);
    const sorted = own.map((r) => drops[r]).sort((a, b) => b - a);
    const threshold = sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
    const chosen = new Uint8Array(plan.positions);
    for (const r of own) {
      if (drops[r] < threshold) continue;
      const i = Math.floor((r % plan.positions) / pw);
      const j = r % pw;
      for (let a = Math.max(0, i - 1); a <= Math.min(ph - 1, i + 1); a++) for (let b = Math.max(0, j - 1); b <= Math.min(pw - 1, j + 1); b++) chosen[a * pw + b] = 1;
    }
    for (let p = 0; p < plan.positions; p++) if (chosen[p] && !have[item * plan.positions + p]) refine.push(item * plan.positions + p);
  }
  offset = coarse.length;
  planned = coarse.length + refine.length;
  if (refine.length === 0) {
    o.onProgress?.(planned, planned);
    return mapOf();
  }
  return phase(refine);
}

/**
 * Occlusion map `[N,H,W]`: per pixel, the mean score drop over the windows covering it. The caller owns
 * the result. Options: OCCLUSION_OPTIONS (window, stride, baseline, algorithm, approximate, drillDown, target, preSoftmax, batchSize),
 * `onProgress(done, total)` in occluded images, `onPartial` (see OcclusionPartial), `signal` (default:
 * the kernel's) stops between batches with an error named "AbortError".
 */
export async function occlusion(model: Model, input: tf.Tensor4D, options: OcclusionOptions = {}): Promise<tf.Tensor3D> {
  const where = 'occlusion';
  checkModel(where, model);
  const o = resolveOptions(where, OCCLUSION_OPTIONS, options);
  // Chosen before anything is allocated (an OptionError for 'incremental' on a model it cannot walk);
  // the incremental evaluator allocates its clean activations on its first batch.
  const approx = approximationsOf(where, o);
  const chosen = occlusionEvaluator(where, model, o.algorithm, approx.tau);
  await checkpoint(where, effectiveSignal(o.signal));
  const x = await checkInput(where, model, input);
  const plan = await planFor(where, x.shape, o);
  try {
    const context = await contextOf(where, model, x, o);
    try {
      return await runWith(context, plan, o, chosen.evaluator, approx.drillDown);
    } finally {
      chosen.dispose();
      context.dispose();
    }
  } finally {
    plan.dispose();
  }
}
