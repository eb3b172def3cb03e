/**
 * GradientShap, Expected Gradients and DeepLiftShap: closed forms on a linear model with hand-set weights
 * (E[attribution] = w · (x − E[b])), an independent implementation of GradientShap's estimator
 * with the same draws, DeepLiftShap as the mean of DeepLift over the baselines, seeds, batching, leaks,
 * backends and typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError, InputError, OptionError } from '../../src/errors';
import { checkBaselines } from '../../src/methods/baseline-distribution';
import { deepLift } from '../../src/methods/deep-lift';
import { deepLiftShap } from '../../src/methods/deep-lift-shap';
import { expectedGradients } from '../../src/methods/expected-gradients';
import { gradientShap } from '../../src/methods/gradient-shap';
import { vanillaGradient } from '../../src/methods/gradient';
import { mulberry32 } from '../../src/random';
import { randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';

/** Input [2,2,1] → flatten → dense(2, linear) with hand-set weights: F_k(x) = w_k · x + c_k. */
const W = [[1, -2], [0.5, 1.5], [-1, 0.25], [2, -0.5]];
function linear(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 1] }), tf.layers.dense({ units: 2 })] });
  model.layers[1].setWeights([tf.tensor2d(W), tf.tensor1d([0.3, -0.1])]);
  return model;
}

/** w_target · (x − b) per feature, for one item. */
const closed = (x: number[], b: number[], target: number) => x.map((v, i) => W[i][target] * (v - b[i]));

const X = [[0.2, 0.9, -0.4, 0.6], [1.0, -0.3, 0.5, 0.1]];
const BASES = [[0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5], [1, -1, 0.2, 0.3]];
const meanBase = BASES[0].map((_, i) => BASES.reduce((s, b) => s + b[i], 0) / BASES.length);

describe.each(['wasm', 'cpu'] as const)('baseline distributions on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('on a linear model every draw is w · (x̃ − b), so GradientShap is the mean of w · (x − b) over its draws, and with many draws w · (x − E[b])', async () => {
    const model = linear();
    const x = tf.tensor4d(X.flat(), [2, 2, 2, 1]);
    const baselines = tf.tensor4d(BASES.flat(), [3, 2, 2, 1]);
    const before = tf.memory().numTensors;
    // The same draws as the method: per row (item-major), a baseline index, then α.
    const samples = 7;
    const seed = 11;
    const next = mulberry32(seed);
    const perSample = Array.from({ length: samples }, () => {
      const j = Math.min(2, Math.floor(next() * 3));
      next();
      return j;
    });
    const picks = [...perSample, ...perSample];
    for (const method of [gradientShap, expectedGradients]) {
      const a = await method(model, x, { baselines, samples, seed, target: [0, 1] });
      const got = Array.from(await a.data());
      const want = [0, 1].flatMap((i) => {
        const sum = [0, 0, 0, 0];
        for (let s = 0; s < samples; s++) closed(X[i], BASES[picks[i * samples + s]], i).forEach((v, f) => (sum[f] += v / samples));
        return sum;
      });
      expect(relErr(got, want)).toBeLessThan(1e-5);
      a.dispose();
    }
    // Many draws: the expectation (the baselines' mean).
    const many = await expectedGradients(model, x, { baselines, samples: 3000, seed: 2, target: [0, 1], batchSize: 512 });
    const want = [0, 1].flatMap((i) => closed(X[i], meanBase, i));
    expect(relErr(Array.from(await many.data()), want)).toBeLessThan(0.03);
    many.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, baselines]);
    model.dispose();
  });

  test('GradientShap with noise matches an independent implementation of its estimator on a CNN (same draws, same noise)', async () => {
    const model = randomCnn('fusedGapSoftmax', 3);
    const x = randomInput(model, 2, 5);
    const baselines = tf.randomUniform([3, x.shape[1], x.shape[2], x.shape[3]], 0, 1, 'float32', 9) as tf.Tensor4D;
    const samples = 4;
    const seed = 21;
    const stdevs = 0.1;
    const before = tf.memory().numTensors;
    const got = await gradientShap(model, x, { baselines, samples, seed, stdevs, target: [1, 2] });
    // Independent estimator: per draw, the noisy input, the baseline, α, one gradient at the point.
    const next = mulberry32(seed);
    const [n, d] = [2, x.size / 2];
    const sum = new Float64Array(n * d);
    const xv = await x.data();
    const bv = await baselines.data();
    const draws = Array.from({ length: samples }, () => [Math.min(2, Math.floor(next() * 3)), next()]);
    for (let r = 0; r < n * samples; r++) {
      const i = Math.floor(r / samples);
      const [j, alpha] = draws[r % samples];
      const noise = tf.randomNormal([1, d], 0, stdevs, 'float32', seed + 1 + (r % samples));
      const nv = await noise.data();
      noise.dispose();
      const noisy = Array.from({ length: d }, (_, f) => xv[i * d + f] + nv[f]);
      const b = Array.from(bv.subarray(j * d, (j + 1) * d));
      const point = tf.tensor4d(noisy.map((v, f) => b[f] + alpha * (v - b[f])), [1, ...x.shape.slice(1)] as [number, number, number, number]);
      const g = await vanillaGradient(model, point, { target: [1, 2][i] });
      const gv = await g.data();
      tf.dispose([point, g]);
      for (let f = 0; f < d; f++) sum[i * d + f] += (gv[f] * (noisy[f] - b[f])) / samples;
    }
    expect(relErr(Array.from(await got.data()), Array.from(sum))).toBeLessThan(1e-4);
    // Batching changes nothing: the draws depend on the item and sample only.
    const batched = await gradientShap(model, x, { baselines, samples, seed, stdevs, target: [1, 2], batchSize: 3 });
    expect(relErr(Array.from(await batched.data()), Array.from(await got.data()))).toBeLessThan(1e-5);
    // Each item alone gives what it gives in the batch (draw s is the same for every item).
    const x0 = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
    const first = await gradientShap(model, x0, { baselines, samples, seed, stdevs, target: 2 });
    expect(relErr(Array.from(await first.data()), Array.from(await got.data()).slice(d))).toBeLessThan(1e-5);
    // Seeded: the same seed gives the same result, another seed another.
    const again = await gradientShap(model, x, { baselines, samples, seed, stdevs, target: [1, 2] });
    const other = await gradientShap(model, x, { baselines, samples, seed: seed + 1, stdevs, target: [1, 2] });
    expect(Array.from(await again.data())).toEqual(Array.from(await got.data()));
    expect(relErr(Array.from(await other.data()), Array.from(await got.data()))).toBeGreaterThan(1e-3);
    tf.dispose([got, batched, first, again, other, x0]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, baselines]);
    model.dispose();
  });

  test('DeepLiftShap is the mean of DeepLift against each baseline (and w · (x − mean b) on a linear model), batched or not', async () => {
    const model = linear();
    const x = tf.tensor4d(X.flat(), [2, 2, 2, 1]);
    const baselines = tf.tensor4d(BASES.flat(), [3, 2, 2, 1]);
    const before = tf.memory().numTensors;
    const a = await deepLiftShap(model, x, { baselines, target: [0, 1] });
    expect(relErr(Array.from(await a.data()), [0, 1].flatMap((i) => closed(X[i], meanBase, i)))).toBeLessThan(1e-5);
    a.dispose();
    const cnn = randomCnn('separateFlatten', 4);
    const xc = randomInput(cnn, 2, 8);
    const bc = tf.randomUniform([3, xc.shape[1], xc.shape[2], xc.shape[3]], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before2 = tf.memory().numTensors;
    const shap = await deepLiftShap(cnn, xc, { baselines: bc, target: [0, 2] });
    const slices = [0, 1, 2].map((j) => bc.slice([j, 0, 0, 0], [1, -1, -1, -1]));
    const each = await Promise.all(slices.map((b) => deepLift(cnn, xc, { baseline: b, target: [0, 2] })));
    const mean = tf.tidy(() => tf.div(tf.addN(each), 3));
    expect(relErr(Array.from(await shap.data()), Array.from(await mean.data()))).toBeLessThan(1e-5);
    for (const batchSize of [1, 4]) {
      const b = await deepLiftShap(cnn, xc, { baselines: bc, target: [0, 2], batchSize });
      expect(relErr(Array.from(await b.data()), Array.from(await shap.data()))).toBeLessThan(1e-5);
      b.dispose();
    }
    // The default, 'minMax': against each item's smallest and largest value.
    const mm = await deepLiftShap(cnn, xc, { target: [0, 2] });
    const item0 = xc.slice([0, 0, 0, 0], [1, -1, -1, -1]);
    const [lo, hi] = [Math.min(...(await item0.data())), Math.max(...(await item0.data()))];
    const both = await Promise.all([lo, hi].map((v) => deepLift(cnn, item0, { baseline: v, target: 0 })));
    const want = tf.tidy(() => tf.div(tf.add(both[0], both[1]), 2));
    const d = item0.size;
    expect(relErr(Array.from(await mm.data()).slice(0, d), Array.from(await want.data()))).toBeLessThan(1e-5);
    tf.dispose([shap, ...each, ...slices, mean, mm, item0, ...both, want]);
    expect(tf.memory().numTensors).toBe(before2);
    tf.dispose([xc, bc]);
    cnn.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, baselines]);
    model.dispose();
  });
});

describe('baseline distributions: progress, cancellation, errors', () => {
  beforeAll(() => setBackend('wasm'));

  test('progress counts draws; a cancelled run throws AbortError and leaves no tensor', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 4);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const r = await gradientShap(model, x, { samples: 3, seed: 1, batchSize: 2, onProgress: (done) => seen.push(done) });
    expect(seen).toEqual([2, 4, 6]);
    r.dispose();
    const controller = new AbortController();
    const run = expectedGradients(model, x, { samples: 8, seed: 1, batchSize: 2, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const run2 = deepLiftShap(model, x, { batchSize: 1, signal: controller.signal });
    await expect(run2).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('bad options and baselines are typed errors naming the value', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 1, 4);
    const before = tf.memory().numTensors;
    await expect(gradientShap(model, x, { samples: 0 })).rejects.toThrow(new OptionError('gradientShap', 'samples must be an integer from 1 to 100000, got 0'));
    await expect(gradientShap(model, x, { stdevs: -1 })).rejects.toThrow(OptionError);
    await expect(expectedGradients(model, x, { baselines: 'black' as never })).rejects.toThrow(/baselines must be 'zeros', 'minMax', a finite number or a tf.Tensor \[B,11,11,3\]/);
    const wrong = tf.zeros([2, 5, 5, 3]);
    await expect(deepLiftShap(model, x, { baselines: wrong })).rejects.toThrow(InputError);
    await expect(deepLiftShap(model, x, { baselines: wrong })).rejects.toThrow(/baselines of shape \[2,5,5,3\] do not fit the input \[1,11,11,3\]/);
    const nan = tf.fill([2, 11, 11, 3], NaN);
    await expect(gradientShap(model, x, { baselines: nan })).rejects.toThrow(/baselines holds 726 NaN/);
    tf.dispose([wrong, nan]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('checkBaselines: one [H,W,C] baseline, B shared baselines, minMax per item', async () => {
    const x = tf.tensor4d([0, 1, 2, 3, -1, 5, 2, 2], [2, 2, 2, 1]);
    const one = await checkBaselines('t', tf.ones([2, 2, 1]), x);
    expect(one.choices).toEqual([[0], [0]]);
    const mm = await checkBaselines('t', 'minMax', x);
    expect(mm.choices).toEqual([[0, 1], [2, 3]]);
    expect(Array.from(await mm.rows.data())).toEqual([0, 0, 0, 0, 3, 3, 3, 3, -1, -1, -1, -1, 5, 5, 5, 5]);
    tf.dispose([one.rows, mm.rows, x]);
  });
});
