/**
 * What the zoo tests run: every registered method on a fixture with small settings (so that cpu keeps
 * up), and the checks each result must pass.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError, LayerError, ModelError } from '../../src/errors';
import { getMethod, METHOD_NAMES, runMethod } from '../../src/methods/registry';
import type { Model } from '../../src/models/types';
import type { ZooEntry } from '../fixtures/zoo';

/** Settings per method that keep a whole pass over the zoo within the test budget. */
export const SMALL: Record<string, Record<string, unknown>> = {
  smoothGrad: { samples: 2, seed: 5 },
  integratedGradients: { steps: 2 },
  layerConductance: { steps: 2 }, internalInfluence: { steps: 2 }, layerIntegratedGradients: { steps: 2 },
  // The raw maps: a ReLU of a map whose class evidence is all negative is legitimately zero everywhere.
  gradCam: { relu: false }, gradCamPlusPlus: { relu: false }, layerCam: { relu: false }, scoreCam: { relu: false },
  xGradCam: { relu: false }, hiResCam: { relu: false }, gradCamElementWise: { relu: false }, eigenCam: { relu: false }, eigenGradCam: { relu: false },
  ablationCam: { relu: false }, multiLayerCam: { relu: false },
  // Perturbation over a 2×2 grid (4 groups): 4 to 8 forward passes an item, besides the 2 on x itself.
  featureAblation: { groups: 'grid', segments: 4 },
  shapleyValueSampling: { groups: 'grid', segments: 4, samples: 1, seed: 5 },
  lime: { groups: 'grid', segments: 4, samples: 8, seed: 5, alpha: 0 },
  kernelShap: { groups: 'grid', segments: 4, samples: 8, seed: 5 },
  rise: { samples: 4, cells: 2, seed: 5 },
  // One or two gradient passes each (XRAI: one IG point per baseline, then its segmentation in JS).
  gradientShap: { samples: 1, seed: 5, stdevs: 0.05 }, expectedGradients: { samples: 1, seed: 5 }, guidedIg: { steps: 2 }, blurIg: { steps: 2, maxSigma: 2 }, xrai: { steps: 1 },
};

/** Methods that only some models support, and the typed error the others give (`graph`: run on the converted GraphModel). */
export function expectedFailure(name: string, entry: ZooEntry, graph = false): (abstract new (...args: never[]) => Error) | null {
  // CAM (Zhou et al.) needs global average pooling followed by a dense layer (a matrix product in a GraphModel).
  if (name === 'cam' && !entry.camHead) return LayerError;
  // DeepLift has no rule for a softmax inside the network, and runs input and baseline as one batch of 2N.
  // DeepLiftShap runs DeepLift, so it has the same limits.
  if ((name === 'deepLift' || name === 'deepLiftShap') && entry.innerSoftmax) return GradientError;
  if ((name === 'deepLift' || name === 'deepLiftShap') && graph && entry.signature === 'one') return ModelError;
  // LRP walks LayersModels only, and has rules for some layer kinds only.
  if (name === 'lrp' && graph) return ModelError;
  if (name === 'lrp' && entry.lrpUncovered) return LayerError;
  // FullGrad reads layer biases, which a converted GraphModel has folded into fused ops.
  if (name === 'fullGrad' && graph) return ModelError;
  if (name === 'fullGrad' && entry.fullGradUncovered) return LayerError;
  return null;
}

/** The targets explained: one class per item (the regression head has one output). */
export function targetsFor(entry: ZooEntry, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (entry.regression ? 0 : (i * 2 + 1) % entry.options.classes));
}

export interface MethodRun {
  name: string;
  values: Float32Array | null;
  shape: number[];
  error: unknown;
}

/** Runs every method on `x` (targets per item, by default `targetsFor`); leak-checked. */
export async function runAll(model: Model, entry: ZooEntry, x: tf.Tensor4D, names: readonly string[] = METHOD_NAMES, target = targetsFor(entry, x.shape[0])): Promise<MethodRun[]> {
  const out: MethodRun[] = [];
  for (const name of names) {
    const before = tf.memory().numTensors;
    try {
      // Occlusion: windows of half the image, so four evaluations an item at any size.
      const sized = name === 'occlusion' ? { window: x.shape[1] / 2, stride: x.shape[1] / 2 } : {};
      const r = await runMethod(name, model, x, { target, ...SMALL[name], ...sized });
      out.push({ name, values: (await r.data()) as Float32Array, shape: r.shape, error: null });
      r.dispose();
    } catch (e) {
      out.push({ name, values: null, shape: [], error: e });
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`${name}: ${leaked} tensors leaked`);
  }
  return out;
}

/**
 * Each result is finite and shaped as the method says (input-shaped or a map), and no item's result is
 * all zeros, except Guided Grad-CAM's where the raw Grad-CAM map of that item has nothing positive (it
 * multiplies by ReLU(Grad-CAM), Captum's convention).
 */
export function checkRuns(runs: MethodRun[], entry: ZooEntry, x: tf.Tensor4D, graph = false): void {
  const n = x.shape[0];
  const camPositive = (i: number) => {
    const cam = runs.find((r) => r.name === 'gradCam')?.values;
    if (!cam) return true;
    const per = cam.length / n;
    return cam.subarray(i * per, (i + 1) * per).some((v) => v > 0);
  };
  for (const r of runs) checkRun(r, entry, x, r.name === 'guidedGradCam' ? camPositive : () => true, graph);
}

function checkRun(r: MethodRun, entry: ZooEntry, x: tf.Tensor4D, mustBeNonZero: (item: number) => boolean, graph: boolean): void {
  const failure = expectedFailure(r.name, entry, graph);
  if (failure) {
    if (!(r.error instanceof failure)) throw new Error(`${r.name}: expected a ${failure.name}, got ${r.error instanceof Error ? `${r.error.name}: ${r.error.message}` : String(r.error)}`);
    return;
  }
  if (r.error) throw new Error(`${r.name} failed: ${r.error instanceof Error ? r.error.stack : String(r.error)}`);
  const [n, h, w, c] = x.shape;
  const info = getMethod(r.name);
  const inner = r.name === 'smoothGrad' ? getMethod(String(SMALL.smoothGrad.method ?? 'vanillaGradient')).output : info.output;
  if (inner === 'layer') expect([r.name, r.shape[0], r.shape.length >= 2]).toEqual([r.name, n, true]);
  else expect([r.name, r.shape]).toEqual([r.name, inner === 'input' ? [n, h, w, c] : [n, h, w]]);
  const v = r.values as Float32Array;
  const per = v.length / n;
  for (let i = 0; i < n; i++) {
    const item = v.subarray(i * per, (i + 1) * per);
    const nonFinite = item.filter((a) => !Number.isFinite(a)).length;
    if (nonFinite > 0) throw new Error(`${r.name}: item ${i} holds ${nonFinite} NaN or Infinity values`);
    if (item.every((a) => a === 0) && mustBeNonZero(i)) throw new Error(`${r.name}: the result of item ${i} is all zeros`);
  }
}

/** Largest |a − b| over the largest |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/**
 * Directional finite differences of the explained probability (`preSoftmax: false`, so the function is
 * model.predict itself) against the gradient g: along v = g / max|g| (the change the gradient predicts
 * is largest, so float32 rounding matters least) and two random directions, ⟨g, v⟩ against
 * (F(x + hv) − F(x − hv)) / 2h, or a one-sided difference where a ReLU kink lies within h. Rounding
 * grows as h shrinks and kinks and curvature as it grows, so each direction takes the best of four steps.
 * Returns the worst error relative to max |⟨g, v⟩| over the directions.
 */
export async function directionalCheck(model: tf.LayersModel | tf.GraphModel, entry: ZooEntry, x: tf.Tensor4D, grad: (m: Model, x: tf.Tensor4D, target: number) => Promise<tf.Tensor>): Promise<number> {
  const target = targetsFor(entry, 1)[0];
  const item = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
  const g = await grad(model, item, target);
  const F = (t: tf.Tensor4D) => tf.tidy(() => tf.reshape(model.predict(t) as tf.Tensor, [t.shape[0], -1]).slice([0, target], [-1, 1]).reshape([-1]));
  const directions = [
    tf.tidy(() => tf.div(g, tf.max(tf.abs(g)))),
    ...[41, 42].map((seed) => tf.tidy(() => {
      const r = tf.randomNormal(item.shape, 0, 1, 'float32', seed);
      return tf.div(r, tf.max(tf.abs(r)));
    })),
  ];
  const steps = [1e-2, 1e-3, 1e-4, 3e-5];
  let worst = 0;
  let scale = 0;
  for (const v of directions) {
    const dot = tf.tidy(() => tf.sum(tf.mul(g, v)).dataSync()[0]);
    const batch = tf.tidy(() => tf.concat([item, ...steps.flatMap((h) => [tf.add(item, tf.mul(v, h)), tf.sub(item, tf.mul(v, h))])]) as tf.Tensor4D);
    const f = F(batch);
    const fv = Array.from(await f.data());
    let best = Infinity;
    steps.forEach((h, i) => {
      const [fp, fm] = [fv[1 + 2 * i], fv[2 + 2 * i]];
      best = Math.min(best, Math.abs(dot - (fp - fm) / (2 * h)), Math.abs(dot - (fp - fv[0]) / h), Math.abs(dot - (fv[0] - fm) / h));
    });
    worst = Math.max(worst, best);
    scale = Math.max(scale, Math.abs(dot));
    tf.dispose([batch, f]);
  }
  tf.dispose([item, g, ...directions]);
  return scale > 0 ? worst / scale : worst;
}
