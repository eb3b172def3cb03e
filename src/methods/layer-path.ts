/**
 * What the layer attributions along a path share (layerConductance, internalInfluence,
 * layerIntegratedGradients, as Captum's): their options (Integrated Gradients' path options plus the
 * layer), the layer resolved once per call through the model adapter, and the batched loop over
 * (item, step) rows that each method feeds with its own per-row evaluator. Results are shaped like the
 * layer's output, `[N, ...]`.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, OptionError } from '../errors';
import { ModelAdapter, resolveModel } from '../models/adapter';
import { withGradientRules } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector, ScoreSelector } from './common';
import { IG_BASELINES, IG_DEFAULTS, IG_METHODS, IntegrationMethod, makeBaseline, Baseline } from './integrated-gradients';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';
import { BATCH_SIZE } from './common';

/** The options of the path layer attributions (a partial result is layer-shaped, the rows done so far). */
export interface LayerPathOptions extends CommonOptions, Omit<LoopOptions<tf.Tensor>, 'workers'> {
  /** The layer attributed to (its output). Default (also `null`): the last layer with a 4-D output. */
  layer?: string | null;
  /** Reference input x′. Default `zeros`. */
  baseline?: Baseline;
  /** Sigma in pixels of the `blur` baseline. Default 5. */
  blurSigma?: number;
  /** Number of points on the path. Default 50 (Captum's n_steps). */
  steps?: number;
  /** Quadrature rule. Default `gaussLegendre` (Captum's default). */
  method?: IntegrationMethod;
  /** Path points per forward/backward pass. Default 32. */
  batchSize?: number;
}

/** The defaults of the path layer attributions (besides target and preSoftmax); IG's path options. */
export const LAYER_PATH_DEFAULTS = {
  layer: null as string | null, baseline: IG_DEFAULTS.baseline, blurSigma: IG_DEFAULTS.blurSigma, steps: IG_DEFAULTS.steps,
  method: IG_DEFAULTS.method, batchSize: IG_DEFAULTS.batchSize,
};

export const LAYER_ATTRIBUTION_LAYER = { type: 'layer', description: 'layer whose output is attributed to', defaultText: 'the last layer with a 4-D output' } as const;

export const LAYER_PATH_OPTIONS = extendSpecs(COMMON_OPTIONS, LAYER_PATH_DEFAULTS, {
  layer: LAYER_ATTRIBUTION_LAYER,
  baseline: { type: 'baseline', choices: IG_BASELINES, description: "reference input x′: 'zeros', 'blur' (the input blurred), a number or a tensor" },
  blurSigma: { type: 'number', min: 0, exclusiveMin: true, description: "σ in pixels of the 'blur' baseline" },
  steps: { type: 'integer', min: 1, max: 10000, description: 'points on the path (Captum’s n_steps)' },
  method: { type: 'choice', choices: IG_METHODS, description: 'quadrature rule, with Captum’s points and weights' },
  batchSize: BATCH_SIZE,
});

type Resolved = typeof LAYER_PATH_DEFAULTS & { target: CommonOptions['target']; preSoftmax: boolean };

/** One call's resolved state: the input, the baseline, the layer, the targets and the adapter. */
export interface LayerPath {
  where: string;
  adapter: ModelAdapter;
  /** The model's own name for the layer. */
  layer: string;
  x: tf.Tensor4D;
  base: tf.Tensor4D;
  options: Resolved;
  /** The selector of the explained score for rows whose items are `items`. */
  select(items: number[]): ScoreSelector;
}

/** The layer named, or the default (the last with a 4-D output); LayerError for a plain function. */
export function resolveAttributionLayer(where: string, adapter: ModelAdapter, x: tf.Tensor4D, layer: string | null): string {
  if (adapter.kind === 'function') throw new LayerError(where, 'a plain function has no layers; pass a tf.LayersModel or tf.GraphModel');
  return layer === null ? adapter.defaultCamLayer(x) : adapter.resolveLayer(layer);
}

/** Checks the model, options and input, fixes the targets and makes the baseline. The caller disposes `base`. */
export async function prepareLayerPath(where: string, model: Model, input: tf.Tensor, options: LayerPathOptions): Promise<LayerPath> {
  checkModel(where, model);
  const o = resolveOptions(where, LAYER_PATH_OPTIONS, options) as Resolved;
  const x = await checkInput(where, model, input);
  const adapter = resolveModel(where, model);
  const layer = resolveAttributionLayer(where, adapter, x, o.layer);
  if (o.method === 'riemannTrapezoid' && o.steps < 2) throw new OptionError(where, `riemannTrapezoid needs steps ≥ 2, got ${o.steps}`);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const base = await makeBaseline(where, x, o.baseline, o.blurSigma);
  return { where, adapter, layer, x, base, options: o, select: (items) => rowSelector(where, resolved, items) };
}

/** The input-space path points of rows [start, end) (row r: item ⌊r / steps⌋ at α_{r mod steps}), `[rows, H, W, C]`, and their items. */
export function pathPoints(p: LayerPath, alphas: number[], start: number, end: number): { points: tf.Tensor4D; items: number[]; steps: number[] } {
  const steps = alphas.length;
  const items = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / steps));
  const k = Array.from({ length: end - start }, (_, i) => (start + i) % steps);
  const points = tf.tidy(() => {
    const xs = rowsOf(p.x, items);
    const bs = rowsOf(p.base, items);
    const a = tf.tensor1d(k.map((i) => alphas[i])).reshape([-1, 1, 1, 1]);
    return tf.add(bs, tf.mul(a, tf.sub(xs, bs))) as tf.Tensor4D;
  });
  return { points, items, steps: k };
}

/** Rows of `t` (items, with repeats), by a one-hot matrix product (no gather: wasm lacks its gradient). */
export function rowsOf<T extends tf.Tensor>(t: T, items: number[]): T {
  return tf.tidy(() => {
    const n = t.shape[0];
    const flat = t.reshape([n, -1]);
    const m = new Float32Array(items.length * n);
    items.forEach((item, r) => (m[r * n + item] = 1));
    return tf.matMul(tf.tensor2d(m, [items.length, n]), flat).reshape([items.length, ...t.shape.slice(1)]) as T;
  });
}

/** Σ over rows of `perRow` (`[rows, ...]`) into its items, `[n, ...]`, by a matrix product. */
export function sumIntoItems(perRow: tf.Tensor, items: number[], n: number): tf.Tensor {
  return tf.tidy(() => {
    const rows = items.length;
    const m = new Float32Array(n * rows);
    items.forEach((item, r) => (m[item * rows + r] = 1));
    return tf.matMul(tf.tensor2d(m, [n, rows]), perRow.reshape([rows, -1])).reshape([n, ...perRow.shape.slice(1)]);
  });
}

/**
 * The layer's activation and ∂score/∂activation at input points (one forward pass; the backward pass
 * covers what follows the layer), under saliency-lab's gradient rules. Sync; the caller disposes both.
 */
export function layerGradientAt(p: LayerPath, points: tf.Tensor4D, items: number[]): { activation: tf.Tensor; gradient: tf.Tensor } {
  const select = p.select(items);
  const r = withGradientRules({ relu: 'standard' }, () => p.adapter.layerGradient(points, p.layer, (s) => tf.sum(select(s)) as tf.Scalar, p.options), { where: p.where, model: p.adapter.model });
  // layerGradient keeps its tensors (out of every tidy): ordinary tensors of the caller's scope instead.
  const out = { activation: tf.clone(r.activation), gradient: tf.clone(r.gradient) };
  tf.dispose([r.activation, r.gradient, r.scores]);
  return out;
}

/**
 * Runs `rowsPerItem` rows per item in batches (progress, partial results, cancellation as every
 * looping method), summing each row's layer-shaped value into its item. `evaluate(start, end)` returns
 * the per-item sums of rows [start, end), `[n, ...layer]`. The caller owns the result.
 */
export async function runLayerRows(p: LayerPath, rowsPerItem: number, layerShape: number[], evaluate: (start: number, end: number) => tf.Tensor): Promise<tf.Tensor> {
  const o = p.options as Resolved & LayerPathOptions;
  return runBatches({
    where: p.where,
    total: p.x.shape[0] * rowsPerItem,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress,
    onPartial: o.onPartial,
    initial: tf.zeros([p.x.shape[0], ...layerShape]),
    evaluate,
    fold: (acc, b) => tf.add(acc, b),
    finish: (acc) => tf.clone(acc),
  });
}

/** The layer's activation shape for one item (one head pass on the first item). */
export function layerShapeOf(p: LayerPath): number[] {
  return tf.tidy(() => p.adapter.split(p.layer).head(p.x.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D).shape.slice(1));
}
