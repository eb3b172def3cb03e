/**
 * Deletion and insertion curves with their AUC (Petsiuk et al. 2018, RISE). Pixels are ranked by the map,
 * most relevant first (ties in row-major order). Deletion replaces the top k of H·W pixels (all channels)
 * of the input by the baseline and records the target's score as k grows from 0 to H·W; insertion starts
 * from the baseline and puts the input's pixels back in the same order. The curve has `steps` + 1 points
 * at pixel fractions 0, 1/steps, ..., 1 (k rounded to whole pixels); the AUC is the trapezoid rule over
 * [0, 1], RISE's `auc`. A faithful map has a low deletion AUC and a high insertion AUC.
 *
 * As in RISE, the score is the class probability (`preSoftmax: false` by default), the deletion baseline
 * is zeros and the insertion baseline the input blurred (RISE: an 11-tap Gaussian of σ 5; here the
 * reflected-border Gaussian blur of Integrated Gradients' `blur` baseline, σ `blurSigma`). The target of
 * each item is fixed on the clean input (default: its argmax class).
 *
 * Long-running: the curve points go through the batch loop (`batchSize` points per pass, each pass
 * N × points model inputs), with `onProgress`, `signal` and `onPartial` (the scores so far, `[points, N]`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { forwardScores } from '../models/forward';
import { BATCH_SIZE, checkInput, checkModel, COMMON_OPTIONS, LoopOptions, CommonOptions, resolveTarget, rowSelector } from '../methods/common';
import { Baseline, IG_BASELINES, makeBaseline } from '../methods/integrated-gradients';
import { runBatches } from '../methods/loop';
import { extendSpecs, resolveOptions } from '../methods/options';
import { checkMap, trapezoidAuc } from './common';

export interface PixelCurveOptions extends CommonOptions, LoopOptions<tf.Tensor2D> {
  /** Curve steps; the curve has steps + 1 points. Default 64. */
  steps?: number;
  /** What removed pixels become (deletion) or the image starts as (insertion): 'zeros', 'blur', a number or a tensor. */
  baseline?: Baseline;
  /** σ in pixels of the 'blur' baseline. Default 5. */
  blurSigma?: number;
}

/** A curve per item at the shared pixel fractions, and its area. */
export interface PixelCurve {
  /** Fractions of pixels removed (deletion) or inserted (insertion): 0, 1/steps, ..., 1. */
  fractions: number[];
  /** `curves[i][k]`: item i's target score at fraction k. */
  curves: number[][];
  /** Trapezoid area under each item's curve over [0, 1]. */
  auc: number[];
}

const specs = (baseline: Baseline) =>
  extendSpecs(COMMON_OPTIONS, { preSoftmax: false, steps: 64, baseline, blurSigma: 5, batchSize: 8 }, {
    preSoftmax: { type: 'boolean', description: 'score before a final softmax (default: the probability, as RISE)' },
    steps: { type: 'integer', min: 1, max: 100000, description: 'curve steps (points − 1)' },
    baseline: { type: 'baseline', choices: IG_BASELINES, description: "reference image: 'zeros', 'blur' (the input blurred), a number or a tensor" },
    blurSigma: { type: 'number', min: 0, exclusiveMin: true, description: "σ in pixels of the 'blur' baseline" },
    batchSize: { ...BATCH_SIZE, description: 'curve points per forward pass (each N inputs)' },
  });

export const DELETION_OPTIONS = specs(0);
export const INSERTION_OPTIONS = specs('blur');

/** The deletion curve of maps `[N,H,W]` for inputs `[N,H,W,C]`; see the module comment. */
export function deletion(model: Model, input: tf.Tensor, map: tf.Tensor, options: PixelCurveOptions = {}): Promise<PixelCurve> {
  return pixelCurve('deletion', model, input, map, options);
}

/** The insertion curve of maps `[N,H,W]` for inputs `[N,H,W,C]`; see the module comment. */
export function insertion(model: Model, input: tf.Tensor, map: tf.Tensor, options: PixelCurveOptions = {}): Promise<PixelCurve> {
  return pixelCurve('insertion', model, input, map, options);
}

async function pixelCurve(where: 'deletion' | 'insertion', model: Model, input: tf.Tensor, map: tf.Tensor, options: PixelCurveOptions): Promise<PixelCurve> {
  checkModel(where, model);
  const o = resolveOptions(where, where === 'deletion' ? DELETION_OPTIONS : INSERTION_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const [n, h, w] = x.shape;
  const m = await checkMap(where, 'map', map, [n, h, w]);
  const px = h * w;
  const resolved = await resolveTarget(where, model, x, o.target, o);
  // Each pixel's rank, most relevant first (a stable sort keeps row-major order among ties).
  const values = await m.data();
  const rank = new Float32Array(n * px);
  for (let i = 0; i < n; i++) {
    const off = i * px;
    const order = Array.from({ length: px }, (_, p) => p).sort((a, b) => values[off + b] - values[off + a]);
    order.forEach((p, r) => (rank[off + p] = r));
  }
  const rankT = tf.tensor4d(rank, [n, h, w, 1]);
  const total = o.steps + 1;
  let base: tf.Tensor4D | null = null;
  try {
    base = await makeBaseline(where, x, o.baseline, o.blurSigma);
    const b = base;
    const scores = await runBatches<tf.Tensor2D, tf.Tensor2D | null, tf.Tensor2D>({
      where, total, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: null,
      evaluate: (k0, k1) =>
        tf.tidy(() => {
          const inputs = [];
          for (let k = k0; k < k1; k++) {
            const count = Math.round((k / o.steps) * px);
            const changed = tf.cast(tf.less(rankT, count), 'float32');
            // deletion: the changed pixels take the baseline; insertion: they take the input.
            const [from, to] = where === 'deletion' ? [x, b] : [b, x];
            inputs.push(tf.add(from, tf.mul(changed, tf.sub(to, from))));
          }
          const batch = tf.concat(inputs) as tf.Tensor4D;
          const rows = Array.from({ length: (k1 - k0) * n }, (_, r) => r % n);
          const s = rowSelector(where, resolved, rows)(forwardScores(where, model, batch, o));
          return s.reshape([k1 - k0, n]) as tf.Tensor2D;
        }),
      fold: (acc, batch) => (acc ? (tf.concat([acc, batch]) as tf.Tensor2D) : batch),
      finish: (acc) => (acc as tf.Tensor2D).clone(),
    });
    const flat = await scores.data();
    scores.dispose();
    const curves = Array.from({ length: n }, (_, i) => Array.from({ length: total }, (_, k) => flat[k * n + i]));
    return { fractions: Array.from({ length: total }, (_, k) => k / o.steps), curves, auc: curves.map(trapezoidAuc) };
  } finally {
    tf.dispose([rankT, ...(base ? [base] : [])]);
  }
}
