/**
 * Integrated Gradients (Sundararajan, Taly and Yan 2017, "Axiomatic Attribution for Deep Networks"):
 *
 *   IG_i(x) = (x_i − x'_i) · ∫₀¹ ∂F(x' + α(x − x'))/∂x_i dα
 *
 * with the integral approximated by Σ_k w_k ∂F(x' + α_k(x − x'))/∂x. Points α_k and weights w_k are
 * Captum's (`captum/attr/_utils/approximation_methods.py`): `gaussLegendre` (default; Gauss–Legendre
 * nodes mapped to [0,1], weights halved), `riemannLeft`, `riemannRight`, `riemannMiddle` (weights 1/n)
 * and `riemannTrapezoid` (α evenly from 0 to 1, weights 1/n with the two ends halved, so they sum to
 * (n − 1)/n, not 1: Captum's convention, kept so that results match it). Departure: Captum asserts n > 1
 * for every Riemann rule; here the left, right and middle rules take n = 1 (one point, weight 1).
 * Completeness: Σ_i IG_i ≈ F(x) − F(x'); `integratedGradientsWithDelta` also returns the gap (Captum's
 * convergence delta, Σ IG − (F(x) − F(x'))).
 *
 * Baselines: `zeros` (default), a number, a tensor broadcastable to the input, or `blur` (the input
 * blurred with a Gaussian of `blurSigma` pixels, borders reflected as scipy's gaussian_filter does, as in
 * Sturmfels et al. 2020, "Visualizing the Impact of Feature Attribution Baselines").
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { forwardScores } from '../models/forward';
import type { Model } from '../models/types';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, POOL_DEFAULTS, POOL_TYPES, resolveTarget, rowSelector } from './common';
import { inputGradient } from './gradient';
import type { PoolJob } from '../pool';
import { runBatches } from './loop';
import { checkBaseline, extendSpecs, resolveOptions } from './options';
import { gaussianBlur } from './optimize/transforms';

export const IG_METHODS = ['gaussLegendre', 'riemannLeft', 'riemannRight', 'riemannMiddle', 'riemannTrapezoid'] as const;
export type IntegrationMethod = (typeof IG_METHODS)[number];

export const IG_BASELINES = ['zeros', 'blur'] as const;
export type Baseline = (typeof IG_BASELINES)[number] | number | tf.Tensor;

/**
 * A partial result of Integrated Gradients (`onPartial`): the attributions of the path points evaluated
 * so far, (x − x') · Σ_{k done} w_k ∂F/∂x, input-shaped. Points run item by item, so the items before
 * the current one are complete, the current one has part of its integral, later ones are 0.
 */
export type IntegratedGradientsPartial = tf.Tensor4D;

export interface IntegratedGradientsOptions extends CommonOptions, LoopOptions<IntegratedGradientsPartial> {
  /** Reference input x'. Default `zeros`. */
  baseline?: Baseline;
  /** Sigma in pixels of the `blur` baseline. Default 5. */
  blurSigma?: number;
  /** Number of points on the path. Default 50 (Captum's n_steps). */
  steps?: number;
  /** Quadrature rule. Default `gaussLegendre` (Captum's default). */
  method?: IntegrationMethod;
}

/** integratedGradients' own defaults (besides target and preSoftmax). */
export const IG_DEFAULTS = {
  baseline: 'zeros' as Baseline,
  blurSigma: 5,
  steps: 50,
  method: 'gaussLegendre' as IntegrationMethod,
  batchSize: 32,
  ...POOL_DEFAULTS,
};

export const IG_OPTIONS = extendSpecs(COMMON_OPTIONS, IG_DEFAULTS, {
  baseline: { type: 'baseline', choices: IG_BASELINES, description: "reference input x': 'zeros', 'blur' (the input blurred), a number or a tensor" },
  blurSigma: { type: 'number', min: 0, exclusiveMin: true, description: "σ in pixels of the 'blur' baseline" },
  steps: { type: 'integer', min: 1, max: 10000, description: 'points on the path (Captum’s n_steps)' },
  method: { type: 'choice', choices: IG_METHODS, description: 'quadrature rule, with Captum’s points and weights' },
  batchSize: BATCH_SIZE,
  ...POOL_TYPES,
});

/** Gauss–Legendre nodes and weights on [−1, 1], ascending (numpy.polynomial.legendre.leggauss). */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = new Array(n);
  const weights: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    // Newton's method on P_n from the usual initial guess; the roots come out descending.
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pnm1 = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pnm1)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    nodes[n - 1 - i] = x;
    weights[n - 1 - i] = 2 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

/** Path points α_k in [0,1] and weights w_k of a rule with n steps, as Captum defines them. */
export function integrationPoints(method: IntegrationMethod, n: number): { alphas: number[]; weights: number[] } {
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
  switch (method) {
    case 'riemannLeft':
      return { alphas: lin(0, 1 - 1 / n), weights: new Array(n).fill(1 / n) };
    case 'riemannRight':
      return { alphas: lin(1 / n, 1), weights: new Array(n).fill(1 / n) };
    case 'riemannMiddle':
      return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), weights: new Array(n).fill(1 / n) };
    case 'riemannTrapezoid': {
      if (n < 2) throw new OptionError('integratedGradients', `riemannTrapezoid needs steps ≥ 2, got ${n}`);
      // Captum's step sizes: 1/n each, the first and last halved (they sum to (n − 1)/n).
      const w = new Array(n).fill(1 / n);
      w[0] = w[n - 1] = 1 / (2 * n);
      return { alphas: lin(0, 1), weights: w };
    }
    case 'gaussLegendre': {
      const { nodes, weights } = gaussLegendre(n);
      return { alphas: nodes.map((x) => 0.5 * (1 + x)), weights: weights.map((w) => 0.5 * w) };
    }
  }
}

/** The baseline x' as a full input-shaped tensor (the caller owns it); also the reference image of the deletion/insertion measures. */
export async function makeBaseline(where: string, x: tf.Tensor4D, baseline: unknown, sigma: number): Promise<tf.Tensor4D> {
  const b = await checkBaseline(where, baseline, x.shape, IG_BASELINES);
  if (b.kind === 'name') return b.name === 'zeros' ? tf.zerosLike(x) : gaussianBlur(x, sigma);
  if (b.kind === 'number') return tf.fill(x.shape, b.value) as tf.Tensor4D;
  try {
    return tf.tidy(() => tf.add(tf.zerosLike(x), b.tensor)) as tf.Tensor4D;
  } finally {
    b.tensor.dispose();
  }
}

type IgTensors = { flatX: tf.Tensor2D; flatB: tf.Tensor2D };
type IgParams = {
  where: string; n: number; steps: number; alphas: number[]; weights: number[]; shape: number[];
  target: Awaited<ReturnType<typeof resolveTarget>>; preSoftmax: boolean;
};

/**
 * IG's batch evaluator (in process and in pool workers, see ../pool): path rows [start, end), row r is
 * item floor(r / steps) at step r % steps; returns Σ over the rows of w_k ∂F/∂x per item, `[n, d]`.
 */
export function igEvaluator(model: Model, { flatX, flatB }: IgTensors, p: IgParams) {
  const { where, n, steps, alphas, weights, target } = p;
  return (start: number, end: number): tf.Tensor2D => {
    // Points and the weighted per-item sum are built as small matrix products, so no gather is needed
    // (its gradient is missing on wasm).
    const rows = end - start;
    const d = flatX.shape[1];
    const item = Array.from({ length: rows }, (_, i) => Math.floor((start + i) / steps));
    const step = Array.from({ length: rows }, (_, i) => (start + i) % steps);
    return tf.tidy(() => {
      const a = new Float32Array(rows * n), b = new Float32Array(rows * n), w = new Float32Array(n * rows);
      for (let r = 0; r < rows; r++) {
        a[r * n + item[r]] = alphas[step[r]];
        b[r * n + item[r]] = 1 - alphas[step[r]];
        w[item[r] * rows + r] = weights[step[r]];
      }
      const points = tf.add(tf.matMul(tf.tensor2d(a, [rows, n]), flatX), tf.matMul(tf.tensor2d(b, [rows, n]), flatB)).reshape([rows, ...p.shape]) as tf.Tensor4D;
      const g = inputGradient(where, model, points, rowSelector(where, target, item), { preSoftmax: p.preSoftmax }).reshape([rows, d]);
      return tf.matMul(tf.tensor2d(w, [n, rows]), g) as tf.Tensor2D;
    });
  };
}

interface Prepared {
  x: tf.Tensor4D;
  base: tf.Tensor4D;
  resolved: Awaited<ReturnType<typeof resolveTarget>>;
}

async function run(where: string, model: Model, input: tf.Tensor, options: IntegratedGradientsOptions): Promise<{ attributions: tf.Tensor4D; prepared: Prepared }> {
  checkModel(where, model);
  const o = resolveOptions(where, IG_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const { alphas, weights } = integrationPoints(o.method, o.steps);
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const base = await makeBaseline(where, x, o.baseline, o.blurSigma);
  const n = x.shape[0];
  const steps = o.steps;
  const d = x.size / n;
  const flatX = x.reshape([n, d]);
  const flatB = base.reshape([n, d]);
  try {
    const params: IgParams = { where, n, steps, alphas, weights, shape: x.shape.slice(1), target: resolved, preSoftmax: o.preSoftmax };
    const job: PoolJob = {
      kind: 'integratedGradients', model, tensors: { flatX, flatB }, params,
      inProcess: typeof resolved === 'function' ? 'a target function cannot be sent to a worker' : undefined,
    };
    // Σ_k w_k ∂F/∂x per item, `[n, d]`, summed over batches of (item, step) rows; times (x − x') at the end.
    const attributions = await runBatches({
      where,
      total: n * steps,
      batchSize: o.batchSize,
      signal: o.signal,
      onProgress: o.onProgress,
      onPartial: o.onPartial,
      initial: tf.zeros([n, d]) as tf.Tensor2D,
      evaluate: igEvaluator(model, job.tensors as IgTensors, job.params as IgParams),
      pool: { job, workers: o.workers },
      fold: (acc, g) => tf.add(acc, g) as tf.Tensor2D,
      finish: (acc) => tf.tidy(() => tf.mul(tf.sub(flatX, flatB), acc).reshape(x.shape) as tf.Tensor4D),
    });
    return { attributions, prepared: { x, base, resolved } };
  } catch (e) {
    base.dispose();
    throw e;
  } finally {
    tf.dispose([flatX, flatB]);
  }
}

/**
 * Integrated Gradients, input-shaped `[N,H,W,C]`. The caller owns the result. Options: IG_OPTIONS
 * (defaults in IG_DEFAULTS), plus `onProgress`, `onPartial` (see IntegratedGradientsPartial) and `signal`.
 */
export async function integratedGradients(model: Model, input: tf.Tensor, options: IntegratedGradientsOptions = {}): Promise<tf.Tensor4D> {
  const { attributions, prepared } = await run('integratedGradients', model, input, options);
  prepared.base.dispose();
  return attributions;
}

/**
 * Integrated Gradients and the completeness gap per item, `delta = Σ IG − (F(x) − F(x'))` (Captum's
 * convergence delta). The caller owns both tensors.
 */
export async function integratedGradientsWithDelta(
  model: Model, input: tf.Tensor, options: IntegratedGradientsOptions = {},
): Promise<{ attributions: tf.Tensor4D; delta: tf.Tensor1D }> {
  const where = 'integratedGradients';
  const { attributions, prepared } = await run(where, model, input, options);
  const { x, base, resolved } = prepared;
  const n = x.shape[0];
  const delta = tf.tidy(() => {
    const rows = Array.from({ length: n }, (_, i) => i);
    const select = rowSelector(where, resolved, rows);
    const fx = select(forwardScores(where, model, x, options));
    const fb = select(forwardScores(where, model, base, options));
    return tf.sub(tf.sum(attributions.reshape([n, -1]), 1), tf.sub(fx, fb)) as tf.Tensor1D;
  });
  base.dispose();
  return { attributions, delta };
}
