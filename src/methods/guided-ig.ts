/**
 * Guided Integrated Gradients (Kapishnikov, Venugopalan, Avci, Wedin, Terry and Birdal 2021, "Guided
 * Integrated Gradients: an Adaptive Path Method for Removing Noise"), as PAIR saliency's `GuidedIG`
 * (`saliency/core/guided_ig.py`): the path from the baseline x′ to x is built step by step; at step k of
 * `steps` (α = (k + 1)/steps) the features with the smallest |gradient| (the lowest `fraction` of them) move
 * towards x first, until the L1 distance to x has shrunk to (1 − α) of its total, while no feature may
 * fall behind α − `maxDist` or run ahead of α + `maxDist` (in the straight line's α units). Attributions
 * accumulate Σ (x_new − x_old) · ∂F/∂x(x_old) along the path, so they sum to ≈ F(x) − F(x′).
 *
 * With no guidance the path is the straight line and Guided IG is Integrated Gradients with the left
 * Riemann rule: `maxDist: 0` (no feature may leave the line) or `fraction: 1` (every feature moves at
 * once) give `integratedGradients(..., {method: 'riemannLeft', steps})` (tested).
 *
 * PAIR's defaults: 200 steps, fraction 0.25, max_dist 0.02, baseline zeros; the path runs in float64 as
 * PAIR's numpy code (gradients in float32, the model's). The fraction's threshold is numpy's
 * `quantile(|g|, fraction, interpolation='lower')` over the item's features, those that reached their
 * upper bound counted as +∞. Departures: where PAIR asserts (a step whose lagging features, moved up to
 * α − maxDist, already pass the L1 target), the step ends there; items of a batch share one gradient pass
 * per step (PAIR explains one input). Baselines as Integrated Gradients' (`zeros`, `blur`, a number, a tensor).
 *
 * A partial result (`onPartial`) is the attribution accumulated over the steps done so far, every item at once.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget, rowSelector } from './common';
import { inputGradient } from './gradient';
import { Baseline, IG_BASELINES, IG_DEFAULTS, makeBaseline } from './integrated-gradients';
import { runBatches } from './loop';
import { extendSpecs, resolveOptions } from './options';

/** A partial Guided IG result: see the module comment. */
export type GuidedIgPartial = tf.Tensor4D;

export interface GuidedIgOptions extends CommonOptions, Omit<LoopOptions<GuidedIgPartial>, 'workers' | 'batchSize'> {
  /** Reference input x′. Default `zeros`. */
  baseline?: Baseline;
  /** Sigma in pixels of the `blur` baseline. Default 5. */
  blurSigma?: number;
  /** Steps of the path (gradient evaluations). Default 200 (PAIR's x_steps). */
  steps?: number;
  /** Fraction of the features, those of smallest |gradient|, moved first at each step. Default 0.25. */
  fraction?: number;
  /** How far (in α) any feature may deviate from the straight line. Default 0.02 (PAIR's max_dist). */
  maxDist?: number;
}

/** guidedIg's own defaults (besides target and preSoftmax): PAIR's. */
export const GUIDED_IG_DEFAULTS = {
  baseline: IG_DEFAULTS.baseline,
  blurSigma: IG_DEFAULTS.blurSigma,
  steps: 200,
  fraction: 0.25,
  maxDist: 0.02,
};

export const GUIDED_IG_OPTIONS = extendSpecs(COMMON_OPTIONS, GUIDED_IG_DEFAULTS, {
  baseline: { type: 'baseline', choices: IG_BASELINES, description: "reference input x′: 'zeros', 'blur' (the input blurred), a number or a tensor" },
  blurSigma: { type: 'number', min: 0, exclusiveMin: true, description: "σ in pixels of the 'blur' baseline" },
  steps: { type: 'integer', min: 1, max: 10000, description: 'steps of the path, one gradient each (PAIR’s x_steps)' },
  fraction: { type: 'number', min: 0, exclusiveMin: true, max: 1, description: 'fraction of the features (smallest |gradient|) moved first at each step' },
  maxDist: { type: 'number', min: 0, max: 1, description: 'largest deviation from the straight line, in α (0: Integrated Gradients)' },
});

/** The k-th smallest of `v` (0-based), as numpy's quantile with interpolation 'lower' picks; reorders `v`. */
function kthSmallest(v: Float64Array, k: number): number {
  let lo = 0;
  let hi = v.length - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k];
  }
  return v[k];
}

const EPSILON = 1e-9;
const isClose = (a: number, b: number) => Math.abs(a - b) <= Math.max(EPSILON * Math.max(Math.abs(a), Math.abs(b)), EPSILON);

/**
 * One step of PAIR's guided_ig_impl for one item: moves `x` (float64, in place) and adds to `attr`.
 * `g` is the gradient at `x` when the step starts.
 */
export function guidedStep(x: Float64Array, attr: Float64Array, g: Float32Array, input: Float64Array, base: Float64Array, l1Total: number, step: number, steps: number, fraction: number, maxDist: number): void {
  const d = x.length;
  const alpha = (step + 1) / steps;
  const alphaMin = Math.max(alpha - maxDist, 0);
  const alphaMax = Math.min(alpha + maxDist, 1);
  const l1Target = l1Total * (1 - (step + 1) / steps);
  const grad = Float64Array.from(g);
  const xMin = (i: number) => base[i] + (input[i] - base[i]) * alphaMin;
  const xMax = (i: number) => base[i] + (input[i] - base[i]) * alphaMax;
  const absG = new Float64Array(d);
  const selected = new Uint8Array(d);
  const q = Math.floor(fraction * (d - 1));
  // Each pass moves at least one feature to its upper bound, so d + 2 passes always end a step.
  for (let pass = 0; pass < d + 2; pass++) {
    const xOld = Float64Array.from(x);
    for (let i = 0; i < d; i++) {
      const diff = input[i] - base[i];
      const a = diff !== 0 ? (x[i] - base[i]) / diff : alphaMax;
      if (a < alphaMin) x[i] = xMin(i);
    }
    let l1Current = 0;
    for (let i = 0; i < d; i++) l1Current += Math.abs(x[i] - input[i]);
    if (isClose(l1Target, l1Current) || l1Current < l1Target) {
      for (let i = 0; i < d; i++) attr[i] += (x[i] - xOld[i]) * g[i];
      return;
    }
    for (let i = 0; i < d; i++) {
      if (x[i] === xMax(i)) grad[i] = Infinity;
      absG[i] = Math.abs(grad[i]);
    }
    const threshold = kthSmallest(Float64Array.from(absG), q);
    let l1S = 0;
    for (let i = 0; i < d; i++) {
      selected[i] = absG[i] <= threshold && grad[i] !== Infinity ? 1 : 0;
      if (selected[i]) l1S += Math.abs(x[i] - xMax(i));
    }
    const gamma = l1S > 0 ? (l1Current - l1Target) / l1S : Infinity;
    for (let i = 0; i < d; i++) {
      if (!selected[i]) continue;
      x[i] = gamma > 1 ? xMax(i) : x[i] + (xMax(i) - x[i]) * gamma;
    }
    for (let i = 0; i < d; i++) attr[i] += (x[i] - xOld[i]) * g[i];
    if (gamma <= 1) return;
  }
  throw new Error('guidedIg: internal: a step did not reach its L1 target');
}

/**
 * Guided Integrated Gradients, input-shaped `[N,H,W,C]`. The caller owns the result. Options:
 * GUIDED_IG_OPTIONS (defaults in GUIDED_IG_DEFAULTS), plus `onProgress`, `onPartial` and `signal`.
 */
export async function guidedIg(model: Model, input: tf.Tensor, options: GuidedIgOptions = {}): Promise<tf.Tensor4D> {
  const where = 'guidedIg';
  checkModel(where, model);
  const o = resolveOptions(where, GUIDED_IG_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const d = x.size / n;
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const baseT = await makeBaseline(where, x, o.baseline, o.blurSigma);
  const [xv, bv] = [await x.data(), await baseT.data()];
  baseT.dispose();
  const inputs = Array.from({ length: n }, (_, i) => Float64Array.from(xv.subarray(i * d, (i + 1) * d)));
  const bases = Array.from({ length: n }, (_, i) => Float64Array.from(bv.subarray(i * d, (i + 1) * d)));
  const points = bases.map((b) => Float64Array.from(b));
  const attrs = Array.from({ length: n }, () => new Float64Array(d));
  const l1Totals = inputs.map((xi, i) => xi.reduce((s, v, j) => s + Math.abs(v - bases[i][j]), 0));
  const rows = Array.from({ length: n }, (_, i) => i);
  const select = rowSelector(where, resolved, rows);
  const asTensor = () => {
    const out = new Float32Array(n * d);
    attrs.forEach((a, i) => out.set(a, i * d));
    return tf.tensor4d(out, x.shape);
  };
  return runBatches<null, null, tf.Tensor4D>({
    where, total: o.steps, batchSize: 1, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
    initial: null,
    evaluate: async (step: number): Promise<null> => {
      const flat = new Float32Array(n * d);
      points.forEach((p, i) => flat.set(p, i * d));
      const g = tf.tidy(() => inputGradient(where, model, tf.tensor4d(flat, x.shape), select, { preSoftmax: o.preSoftmax }));
      const gv = (await g.data()) as Float32Array;
      g.dispose();
      for (let i = 0; i < n; i++) {
        // An item equal to its baseline has no path: its attribution stays 0 (as PAIR).
        if (l1Totals[i] === 0) continue;
        guidedStep(points[i], attrs[i], gv.subarray(i * d, (i + 1) * d), inputs[i], bases[i], l1Totals[i], step, o.steps, o.fraction, o.maxDist);
      }
      return null;
    },
    fold: () => null,
    finish: () => asTensor(),
  });
}
