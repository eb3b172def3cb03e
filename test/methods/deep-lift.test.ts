/**
 * DeepLift (rescale rule): closed forms on hand-set models, gradient × (x − x′) on a linear model,
 * completeness (Captum's convention: Σ attributions = F(x) − F(x′)), a float64 reference, batching, leaks,
 * a GraphModel, and typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { GradientError, InputError, OptionError, TargetError } from '../../src/errors';
import { deepLift, deepLiftWithDelta } from '../../src/methods/deep-lift';
import { gradientTimesInput, vanillaGradient } from '../../src/methods/gradient';
import { toGraphModel } from '../fixtures/graph-model';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';
import { expectLeakFreeError } from './cam-helpers';

const seeded = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.6 });

/** Input [1,2,1] → flatten → dense(1, relu) with w = [1, 2], b = −1. */
function tinyRelu(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 2, 1] }), tf.layers.dense({ units: 1, activation: 'relu' })] });
  model.layers[1].setWeights([tf.tensor2d([[1], [2]]), tf.tensor1d([-1])]);
  return model;
}

/** Conv, batch norm, average pooling and the rescaled non-linearities, then GAP → dense (3 classes). */
function smoothNet(seed: number): tf.Sequential {
    const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(seed), biasInitializer: seeded(seed + 1) }),
      tf.layers.batchNormalization({ gammaInitializer: seeded(seed + 2), betaInitializer: seeded(seed + 3), movingMeanInitializer: seeded(seed + 4) }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: seeded(seed + 5) }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'sigmoid', kernelInitializer: seeded(seed + 6) }),
      tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'elu', kernelInitializer: seeded(seed + 7) }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'softplus', kernelInitializer: seeded(seed + 8) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(seed + 9) }),
    ],
  });
  return model;
}

/** Input [1,3,1] → dense(4, sigmoid) → dense(2): small enough for a float64 DeepLift by hand. */
function twoLayer(): { model: tf.Sequential; w1: number[][]; b1: number[]; w2: number[][] } {
  const w1 = [[0.5, -1, 0.3, 2], [1.5, 0.2, -0.7, 0.1], [-0.4, 0.9, 1.1, -1.3]];
  const b1 = [0.1, -0.2, 0.3, 0];
  const w2 = [[1, -1], [0.5, 2], [-1.5, 0.3], [0.7, 0.7]];
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 3, 1] }), tf.layers.dense({ units: 4, activation: 'sigmoid' }), tf.layers.dense({ units: 2, useBias: false })] });
  model.layers[1].setWeights([tf.tensor2d(w1), tf.tensor1d(b1)]);
  model.layers[2].setWeights([tf.tensor2d(w2)]);
  return { model, w1, b1, w2 };
}

/** ReLU convolutions, average pooling, GAP → dense softmax: what the test's GraphModel writer converts faithfully. */
function reluNet(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(seed), biasInitializer: seeded(seed + 1) }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', kernelInitializer: seeded(seed + 2), biasInitializer: seeded(seed + 3) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(seed + 4) }),
    ],
  });
}

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe.each(['cpu', 'wasm'] as const)('deepLift on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('one ReLU unit: the multiplier is Δy/Δz = 3/4, not the gradient', async () => {
    const model = tinyRelu();
    const x = tf.tensor4d([[[[2], [1]]]]);
    // z = 2 + 2 − 1 = 3, z′ = −1 at the zero baseline: m = (3 − 0)/(3 + 1) = 3/4; attributions Δx·w·m.
    const a = await deepLift(model, x);
    expect(await values(a)).toEqual([1.5, 1.5].map((v) => expect.closeTo(v, 6)));
    const gi = await gradientTimesInput(model, x);
    expect(await values(gi)).toEqual([2, 2].map((v) => expect.closeTo(v, 6)));
    tf.dispose([a, gi, x]);
    model.dispose();
  });

  test("max pooling, Captum's rule: a window passes on o − o′, here through the baseline's maximum", async () => {
    const model = tf.sequential({ layers: [tf.layers.maxPooling2d({ inputShape: [2, 2, 1], poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 1, useBias: false })] });
    model.layers[2].setWeights([tf.tensor2d([[1]])]);
    const x = tf.tensor4d([[[[3], [1]], [[0], [2]]]]);
    const base = tf.tensor4d([[[[0], [4]], [[1], [0]]]]);
    // o = 3, o′ = 4, M = 4: M − o′ = 0 to the input's maximum, o − M = −1 to the baseline's (position 1),
    // whose Δx is −3: multiplier 1/3, attribution −1 = o − o′.
    const a = await deepLift(model, x, { baseline: base });
    expect(await values(a)).toEqual([0, -1, 0, 0].map((v) => expect.closeTo(v, 6)));
    tf.dispose([a, x, base]);
    model.dispose();
  });

  test.each(RANDOM_CNNS)('completeness on %s (ReLU, max pooling, average pooling, GAP, dense)', async (kind) => {
    const model = randomCnn(kind, 6);
    const x = randomInput(model, 2, 8);
    const { attributions, delta } = await deepLiftWithDelta(model, x, { baseline: 0.5, target: [0, 1] });
    const sums = await values(tf.tidy(() => tf.sum(attributions.reshape([2, -1]), 1)));
    (await values(delta)).forEach((d, n) => expect(Math.abs(d)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sums[n]))));
    tf.dispose([attributions, delta, x]);
    model.dispose();
  });

  test("completeness through tfjs-layers' ReLU6 (minimum(6, relu(x))) after a depthwise convolution and ReLU(maxValue) (a clip)", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.depthwiseConv2d({ inputShape: [4, 4, 2], kernelSize: 3, activation: 'relu6', depthwiseInitializer: tf.initializers.randomNormal({ seed: 1, stddev: 3 }), biasInitializer: seeded(2) }),
        tf.layers.reLU({ maxValue: 5 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: seeded(3) }),
      ],
    });
    const x = tf.randomUniform([2, 4, 4, 2], -3, 3, 'float32', 3) as tf.Tensor4D;
    const { attributions, delta } = await deepLiftWithDelta(model, x, { target: 0, baseline: 0.2 });
    const sums = await values(tf.tidy(() => tf.sum(attributions.reshape([2, -1]), 1)));
    (await values(delta)).forEach((d, n) => expect(Math.abs(d)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sums[n]))));
    tf.dispose([attributions, delta, x]);
    model.dispose();
  });

  test('a linear model: DeepLift is gradient × (x − x′)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, kernelInitializer: seeded(1), biasInitializer: seeded(2) }),
        tf.layers.averagePooling2d({ poolSize: 3 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, kernelInitializer: seeded(3) }),
      ],
    });
    const x = tf.randomUniform([2, 5, 5, 2], -1, 1, 'float32', 4) as tf.Tensor4D;
    const a = await deepLift(model, x, { baseline: 0.3, target: [1, 3] });
    const g = await vanillaGradient(model, x, { target: [1, 3] });
    const want = tf.mul(g, tf.sub(x, 0.3));
    expect(relErr(await values(a), await values(want))).toBeLessThan(1e-5);
    tf.dispose([a, g, want, x]);
    model.dispose();
  });

  test('agrees with a float64 DeepLift of a sigmoid layer, with a tensor baseline', async () => {
    const { model, w1, b1, w2 } = twoLayer();
    const xs = [[0.5, -1, 2], [0, 0.3, -0.2]];
    const bs = [[0.1, 0.1, 0.1], [0, 0.3 + 1e-12, 1]]; // item 1 has Δx = 0 on its second input
    const x = tf.tensor4d(xs.map((r) => [r.map((v) => [v])]));
    const base = tf.tensor4d(bs.map((r) => [r.map((v) => [v])]));
    const a = await deepLift(model, x, { baseline: base, target: [0, 1] });
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const want: number[] = [];
    [0, 1].forEach((n) => {
      const k = n;
      const z = b1.map((b, j) => b + xs[n].reduce((s, v, i) => s + v * w1[i][j], 0));
      const zr = b1.map((b, j) => b + bs[n].reduce((s, v, i) => s + v * w1[i][j], 0));
      const m = z.map((zj, j) => (Math.abs(zj - zr[j]) < 1e-10 ? sig(zj) * (1 - sig(zj)) : (sig(zj) - sig(zr[j])) / (zj - zr[j])));
      for (let i = 0; i < 3; i++) want.push((xs[n][i] - bs[n][i]) * m.reduce((s, mj, j) => s + w1[i][j] * mj * w2[j][k], 0));
    });
    expect(relErr(await values(a), want)).toBeLessThan(1e-5);
    tf.dispose([a, x, base]);
    model.dispose();
  });

  test("completeness (Captum's convention): Σ attributions = F(x) − F(x′) through ReLU, batch norm, tanh, average pooling, sigmoid, ELU, leaky ReLU, softplus", async () => {
    const model = smoothNet(10);
    const x = tf.randomUniform([3, 8, 8, 2], -3, 3, 'float32', 11) as tf.Tensor4D;
    const base = tf.randomUniform([1, 8, 8, 2], -1, 1, 'float32', 12) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const { attributions, delta } = await deepLiftWithDelta(model, x, { baseline: base });
    expect(tf.memory().numTensors).toBe(before + 2);
    const d = await values(delta);
    const sums = await values(tf.tidy(() => tf.sum(attributions.reshape([3, -1]), 1)));
    for (let n = 0; n < 3; n++) expect(Math.abs(d[n])).toBeLessThan(1e-4 * Math.max(1, Math.abs(sums[n])));
    // The gap of gradient × (x − x′) is not small here: DeepLift is doing the work.
    const g = await vanillaGradient(model, x);
    const gSums = await values(tf.tidy(() => tf.sum(tf.mul(g, tf.sub(x, base)).reshape([3, -1]), 1)));
    const want = sums.map((s, n) => s - d[n]);
    const gap = Math.max(...gSums.map((s, n) => Math.abs(s - want[n])));
    expect(gap).toBeGreaterThan(100 * Math.max(...d.map(Math.abs)));
    expect(gap).toBeGreaterThan(1e-2 * Math.max(...want.map(Math.abs)));
    tf.dispose([attributions, delta, g, x, base]);
    model.dispose();
  });

  test('batched equals one item at a time; a GraphModel gives the same attributions', async () => {
    const model = smoothNet(20);
    const x = tf.randomUniform([3, 8, 8, 2], -1, 1, 'float32', 21) as tf.Tensor4D;
    const all = await deepLift(model, x, { baseline: 'blur', blurSigma: 1 });
    const allV = await values(all);
    const per = all.size / 3;
    for (let n = 0; n < 3; n++) {
      const xn = tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
      const one = await deepLift(model, xn, { baseline: 'blur', blurSigma: 1 });
      expect(relErr(allV.slice(n * per, (n + 1) * per), await values(one))).toBeLessThan(1e-5);
      tf.dispose([xn, one]);
    }
    const relu = reluNet(22);
    const graph = await toGraphModel(relu);
    const fromLayers = await deepLift(relu, x, { baseline: 'blur', blurSigma: 1 });
    const n0 = tf.memory().numTensors;
    const fromGraph = await deepLift(graph, x, { baseline: 'blur', blurSigma: 1 });
    expect(relErr(await values(fromGraph), await values(fromLayers))).toBeLessThan(1e-4);
    fromGraph.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    fromLayers.dispose();
    relu.dispose();
    tf.dispose([all, x]);
    model.dispose();
    graph.dispose();
  });

  test('a one-output (regression) model needs no target; the input is unchanged and nothing leaks', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(3) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, kernelInitializer: seeded(4) }),
      ],
    });
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const copy = await values(x);
    const n0 = tf.memory().numTensors;
    const { attributions, delta } = await deepLiftWithDelta(model, x);
    expect(attributions.shape).toEqual([2, 6, 6, 1]);
    expect(Math.max(...(await values(delta)).map(Math.abs))).toBeLessThan(1e-4);
    tf.dispose([attributions, delta]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(await values(x)).toEqual(copy);
    x.dispose();
    model.dispose();
  });

  test('bad inputs get typed errors and leak nothing; a global max is a GradientError naming the layer', async () => {
    const model = smoothNet(30);
    const x = tf.randomUniform([1, 8, 8, 2], -1, 1, 'float32', 31) as tf.Tensor4D;
    await expectLeakFreeError(() => deepLift(model, x, { target: 3 }), TargetError, /^deepLift: target 3 is out of range.*0 to 2/);
    await expectLeakFreeError(() => deepLift(model, x, { baseline: 'ones' as never }), OptionError, /^deepLift: baseline must be 'zeros', 'blur', a finite number or a tf.Tensor/);
    const wrong = tf.zeros([1, 4, 4, 2]);
    await expectLeakFreeError(() => deepLift(model, x, { baseline: wrong }), InputError, /^deepLift: baseline of shape \[1,4,4,2\] does not broadcast/);
    const rank3 = tf.zeros([8, 8, 2]);
    await expectLeakFreeError(() => deepLift(model, rank3), InputError, /^deepLift: input must be rank 4/);
    await expectLeakFreeError(() => deepLift(model, x, { blurSigma: 0 }), OptionError, /^deepLift: blurSigma must be a finite number > 0/);
    await expectLeakFreeError(() => deepLift(model, x, { preSoftmax: false }), GradientError, /^deepLift: DeepLift has no rule for Softmax/);
    const globalMax = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1) }),
        tf.layers.globalMaxPooling2d({ name: 'gmax' }),
        tf.layers.dense({ units: 2, kernelInitializer: seeded(2) }),
      ],
    });
    await expectLeakFreeError(() => deepLift(globalMax, x), GradientError, /^deepLift: DeepLift has no rule for Max \(used by "gmax \(GlobalMaxPooling2D\)"\); it covers linear layers/);
    // The rules are restored: gradients through the global max work again afterwards.
    const g = await vanillaGradient(globalMax, x);
    g.dispose();
    globalMax.dispose();
    tf.dispose([x, wrong, rank3]);
    model.dispose();
  });
});
