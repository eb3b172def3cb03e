import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, LayerError, OptionError, TargetError, UnknownLayerError } from '../../src/errors';
import { cam } from '../../src/methods/cam';
import { gradCam } from '../../src/methods/grad-cam';
import { gradCamPlusPlus } from '../../src/methods/grad-cam-plus-plus';
import { guidedBackprop } from '../../src/methods/guided-backprop';
import { guidedGradCam } from '../../src/methods/guided-grad-cam';
import { layerCam } from '../../src/methods/layer-cam';
import { scoreCam } from '../../src/methods/score-cam';
import { toGraphModel } from '../fixtures/graph-model';
import { CAM_LAYER, RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { itemOf, RefNet, relErr, T3 } from '../reference/net';
import { argmax, expectLeakFreeError, expectNear, modelG, refUpsample, V, values, xG } from './cam-helpers';

/**
 * Hand-set model S for Score-CAM: 2×2×1 → 1×1 conv with weights [1, −1] (A_0 = x, A_1 = −x) → GAP → dense
 * V. y_k = (V[0][k] − V[1][k]) · mean(x), i.e. −2·mean for class 0 and 3·mean for class 1.
 */
function modelS(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [2, 2, 1], filters: 2, kernelSize: 1, useBias: false }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'dense', units: 2, useBias: false }),
    ],
  });
  model.layers[0].setWeights([tf.tensor4d([[[[1, -1]]]])]);
  model.layers[2].setWeights([tf.tensor2d(V)]);
  return model;
}

type Weighing = 'gradCam' | 'gradCamPlusPlus' | 'layerCam';

/** A CAM from the reference interpreter's activation and layer gradient, in float64. */
function refCam(a: T3, g: T3, weighing: Weighing, relu: boolean): Float64Array {
  const hw = a.h * a.w;
  const wts = new Float64Array(a.d.length); // per position and channel
  for (let k = 0; k < a.c; k++) {
    let mean = 0, sumA = 0;
    for (let p = 0; p < hw; p++) {
      mean += g.d[p * a.c + k] / hw;
      sumA += a.d[p * a.c + k];
    }
    let plus = 0;
    for (let p = 0; p < hw; p++) {
      const gi = g.d[p * a.c + k];
      const alpha = gi === 0 ? 0 : gi ** 2 / (2 * gi ** 2 + sumA * gi ** 3 + 1e-6);
      plus += alpha * Math.max(gi, 0);
    }
    for (let p = 0; p < hw; p++) {
      const i = p * a.c + k;
      wts[i] = weighing === 'gradCam' ? mean : weighing === 'gradCamPlusPlus' ? plus : Math.max(g.d[i], 0);
    }
  }
  const out = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < a.c; k++) s += wts[p * a.c + k] * a.d[p * a.c + k];
    out[p] = relu ? Math.max(0, s) : s;
  }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('CAM family on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('Grad-CAM golden numbers at layer resolution, with and without ReLU', async () => {
    const model = modelG();
    const x = xG();
    const byDefault = await gradCam(model, x, { upsample: false });
    await expectNear(byDefault, [[[3.5, 0.75], [0.5, 3.5]]], [1, 2, 2]);
    const c0 = await gradCam(model, x, { target: 0, upsample: false, relu: false });
    await expectNear(c0, [[[0, -0.5], [-1.5, 3.5]]], [1, 2, 2]);
    const c0relu = await gradCam(model, x, { target: 0, upsample: false });
    await expectNear(c0relu, [[[0, 0], [0, 3.5]]], [1, 2, 2]);
    tf.dispose([byDefault, c0, c0relu, x]);
    model.dispose();
  });

  test('Grad-CAM golden numbers upsampled with half-pixel bilinear', async () => {
    // 1-D weights of 2 → 4 at half-pixel centres: [1,0], [.75,.25], [.25,.75], [0,1].
    const model = modelG();
    const x = xG();
    const up = await gradCam(model, x);
    await expectNear(up, [[
      [3.5, 2.8125, 1.4375, 0.75],
      [2.75, 2.421875, 1.765625, 1.4375],
      [1.25, 1.640625, 2.421875, 2.8125],
      [0.5, 1.25, 2.75, 3.5],
    ]], [1, 4, 4]);
    tf.dispose([up, x]);
    model.dispose();
  });

  test('Grad-CAM++ golden numbers (closed form with constant gradients)', async () => {
    const model = modelG();
    const x = xG();
    // Class 1: g = [1/2, −1/4], ΣA = [15, −3]; α_0 = (1/4)/(1/2 + 15/8) = 2/19, w_0 = 4·(1/2)·2/19 = 4/19;
    // channel 1 has negative gradient, so w_1 = 0. Map = (4/19)·A_0.
    const c1 = await gradCamPlusPlus(model, x, { upsample: false });
    await expectNear(c1, [[[24 / 19, 4 / 19], [0, 32 / 19]]], [1, 2, 2]);
    // Class 0: g = [1/4, 3/4]; α_0 = (1/16)/(1/8 + 15/64) = 4/23, w_0 = 4·(1/4)·4/23 = 4/23;
    // α_1 = (9/16)/(9/8 − 3·27/64) = −4, w_1 = 4·(3/4)·(−4) = −12. Map = (4/23)A_0 − 12 A_1.
    const c0 = await gradCamPlusPlus(model, x, { target: 0, upsample: false, relu: false });
    await expectNear(c0, [[[24 / 23 + 24, 4 / 23 + 12], [24, 32 / 23 - 24]]], [1, 2, 2]);
    tf.dispose([c1, c0, x]);
    model.dispose();
  });

  test('LayerCAM golden numbers', async () => {
    const model = modelG();
    const x = xG();
    // Class 1: relu(g) = [1/2, 0] → A_0/2. Class 0: relu(g) = [1/4, 3/4] → (A_0 + 3A_1)/4, then ReLU.
    const c1 = await layerCam(model, x, { upsample: false });
    await expectNear(c1, [[[3, 0.5], [0, 4]]], [1, 2, 2]);
    const c0 = await layerCam(model, x, { target: 0, upsample: false });
    await expectNear(c0, [[[0, 0], [0, 3.5]]], [1, 2, 2]);
    tf.dispose([c1, c0, x]);
    model.dispose();
  });

  test('CAM golden numbers: dense weights of the class times the activation before GAP', async () => {
    const model = modelG();
    const x = xG();
    const c1 = await cam(model, x, { upsample: false });
    await expectNear(c1, [[[14, 3], [2, 14]]], [1, 2, 2]);
    const c0 = await cam(model, x, { target: 0, upsample: false });
    await expectNear(c0, [[[0, -2], [-6, 14]]], [1, 2, 2]);
    const up = await cam(model, x);
    expect(up.shape).toEqual([1, 4, 4]);
    tf.dispose([c1, c0, up, x]);
    model.dispose();
  });

  test('Score-CAM golden numbers', async () => {
    const model = modelS();
    const x = tf.tensor4d([[[[1], [2]], [[3], [4]]]]);
    // Masks minmax(x) = [[0,1/3],[2/3,1]] and minmax(−x) = [[1,2/3],[1/3,0]]; masked means 5/3 and 5/6.
    // Class 1 (default, y = 3·mean): scores [5, 2.5] → w = softmax = [σ(2.5), σ(−2.5)];
    // map = w_0·x − w_1·x = tanh(1.25)·x.
    const t = Math.tanh(1.25);
    const c1 = await scoreCam(model, x, { upsample: false });
    await expectNear(c1, [[[t, 2 * t], [3 * t, 4 * t]]], [1, 2, 2]);
    const c1up = await scoreCam(model, x);
    await expectNear(c1up, [[[t, 2 * t], [3 * t, 4 * t]]], [1, 2, 2]);
    // Class 0 (y = −2·mean): scores [−10/3, −5/3] → map = −tanh(5/6)·x.
    const u = -Math.tanh(5 / 6);
    const c0 = await scoreCam(model, x, { target: 0, relu: false, upsample: false, batchSize: 1 });
    await expectNear(c0, [[[u, 2 * u], [3 * u, 4 * u]]], [1, 2, 2]);
    tf.dispose([c1, c1up, c0, x]);
    model.dispose();
  });

  test('Guided Grad-CAM golden numbers: guided backprop × upsampled Grad-CAM, input-shaped', async () => {
    // No ReLU in G, so guided backprop is the gradient: ∂y_1/∂x = (2 − [top-left] + [bottom-right])/4
    // in each 2×2 block: [[.25,.5],[.5,.75]]. Times the upsampled class-1 Grad-CAM above.
    const model = modelG();
    const x = xG();
    const g = await guidedGradCam(model, x);
    await expectNear(g, [[
      [[0.875], [1.40625], [0.359375], [0.375]],
      [[1.375], [1.81640625], [0.8828125], [1.078125]],
      [[0.3125], [0.8203125], [0.60546875], [1.40625]],
      [[0.25], [0.9375], [1.375], [2.625]],
    ]], [1, 4, 4, 1]);
    tf.dispose([g, x]);
    model.dispose();
  });

  test("Guided Grad-CAM as Captum's GuidedGradCam: ReLU of the Grad-CAM map (here with negative parts) before the product", async () => {
    const model = modelG();
    const x = xG();
    const g = await guidedGradCam(model, x, { target: 0 });
    const gb = await guidedBackprop(model, x, { target: 0 });
    // Captum: F.relu(LayerGradCam) at the layer's resolution, then interpolated to the input, times guided backprop.
    const raw = await gradCam(model, x, { target: 0, relu: false, upsample: false });
    expect(Array.from(await raw.data()).some((v) => v < 0)).toBe(true);
    const expected = tf.tidy(() => {
      const up = tf.image.resizeBilinear(tf.expandDims(tf.relu(raw), 3) as tf.Tensor4D, [x.shape[1], x.shape[2]], false, true);
      return tf.mul(gb, up);
    });
    expect(relErr(await g.data(), await expected.data())).toBeLessThan(1e-6);
    tf.dispose([g, gb, raw, expected, x]);
    model.dispose();
  });

  test('per-item default targets in a batch; batched equals one item at a time', async () => {
    const model = modelG();
    const x1 = xG();
    const x2 = tf.neg(x1) as tf.Tensor4D; // scores negate: default class 0 for this item
    const batch = tf.concat([x1, x2]) as tf.Tensor4D;
    const both = await gradCam(model, batch, { upsample: false });
    await expectNear(both, [[[3.5, 0.75], [0.5, 3.5]], [[0, 0.5], [1.5, 0]]], [2, 2, 2]);
    tf.dispose([both]);

    const big = randomCnn('fusedGapSoftmax', 3);
    const xb = randomInput(big, 3, 11);
    const methods = [
      (x: tf.Tensor4D) => gradCam(big, x),
      (x: tf.Tensor4D) => gradCamPlusPlus(big, x),
      (x: tf.Tensor4D) => layerCam(big, x),
      (x: tf.Tensor4D) => cam(big, x),
      (x: tf.Tensor4D) => scoreCam(big, x, { batchSize: 4 }),
      (x: tf.Tensor4D) => guidedGradCam(big, x),
    ];
    for (const run of methods) {
      const all = await run(xb);
      const allV = await values(all);
      const per = all.size / 3;
      for (let n = 0; n < 3; n++) {
        const xn = tf.slice(xb, [n, 0, 0, 0], [1, -1, -1, -1]);
        const one = await run(xn);
        expect(relErr(allV.slice(n * per, (n + 1) * per), await values(one))).toBeLessThan(1e-5);
        tf.dispose([xn, one]);
      }
      all.dispose();
    }
    // Score-CAM: batch size does not change the result.
    const s1 = await scoreCam(big, xb, { batchSize: 1 });
    const s7 = await scoreCam(big, xb, { batchSize: 7 });
    const s99 = await scoreCam(big, xb, { batchSize: 99 });
    expect(relErr(await values(s7), await values(s1))).toBeLessThan(1e-5);
    expect(relErr(await values(s99), await values(s1))).toBeLessThan(1e-5);
    tf.dispose([s1, s7, s99, xb, x1, x2, batch]);
    big.dispose();
    model.dispose();
  });

  test('CAM equals Grad-CAM without ReLU times h·w on a GAP → dense softmax model', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 5);
    const a = await cam(model, x, { upsample: false, target: [1, 3] });
    const g = await gradCam(model, x, { upsample: false, relu: false, target: [1, 3], layer: CAM_LAYER.fusedGapSoftmax });
    const [, h, w] = g.shape;
    const scaled = tf.mul(g, h * w);
    expect(relErr(await values(a), await values(scaled))).toBeLessThan(1e-5);
    tf.dispose([a, g, scaled, x]);
    model.dispose();
  });

  describe.each(RANDOM_CNNS)('agrees with the float64 reference on %s', (kind) => {
    let model: tf.Sequential;
    let ref: RefNet;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      model = randomCnn(kind, 4);
      ref = await RefNet.fromModel(model);
      x = randomInput(model, 2, 9);
    });
    afterAll(() => {
      x.dispose();
      model.dispose();
    });

    const layer = CAM_LAYER[kind];
    const cases: [Weighing, boolean, boolean][] = [
      ['gradCam', false, false],
      ['gradCam', true, false],
      ['gradCam', true, true],
      ['gradCam', false, true],
      ['gradCamPlusPlus', true, false],
      ['layerCam', true, false],
    ];
    test.each(cases)('%s relu=%s upsample=%s', async (weighing, relu, upsample) => {
      const run = { gradCam, gradCamPlusPlus, layerCam }[weighing];
      const out = await run(model, x, { layer, relu, upsample });
      const got = await values(out);
      const per = out.size / 2;
      const [, H, W] = x.shape;
      const li = ref.layerNames.indexOf(layer);
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const target = argmax(ref.forward(item).scores);
        const a = ref.forward(item).outputs[li];
        const g = ref.gradient(item, target, { wrt: layer });
        let want = refCam(a, g, weighing, relu);
        if (upsample) want = refUpsample(want, a.h, a.w, H, W);
        expect(out.shape).toEqual(upsample ? [2, H, W] : [2, a.h, a.w]);
        expect(relErr(got.slice(n * per, (n + 1) * per), want)).toBeLessThan(1e-4);
      }
      out.dispose();
    });

    test('Score-CAM', async () => {
      const out = await scoreCam(model, x, { layer, upsample: false, relu: false, batchSize: 5 });
      const got = await values(out);
      const [, H, W, C] = x.shape;
      const li = ref.layerNames.indexOf(layer);
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const target = argmax(ref.forward(item).scores);
        const a = ref.forward(item).outputs[li];
        const scores: number[] = [];
        for (let k = 0; k < a.c; k++) {
          const ch = new Float64Array(a.h * a.w);
          for (let p = 0; p < ch.length; p++) ch[p] = a.d[p * a.c + k];
          const up = refUpsample(ch, a.h, a.w, H, W);
          const lo = Math.min(...up), hi = Math.max(...up);
          const masked = { ...item, d: item.d.map((v, i) => v * ((up[Math.floor(i / C)] - lo) / (hi - lo + 1e-8))) };
          scores.push(ref.forward(masked).scores[target]);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((s, v) => s + v, 0);
        const want = new Float64Array(a.h * a.w);
        for (let p = 0; p < want.length; p++) for (let k = 0; k < a.c; k++) want[p] += (e[k] / z) * a.d[p * a.c + k];
        const per = a.h * a.w;
        expect(relErr(got.slice(n * per, (n + 1) * per), want)).toBeLessThan(1e-4);
      }
      out.dispose();
    });
  });

  test('a GraphModel gives the same maps as the LayersModel it was converted from', async () => {
    const model = randomCnn('separateFlatten', 14);
    const graph = await toGraphModel(model);
    const x = randomInput(model, 2, 6);
    const runs: [string, (m: tf.LayersModel | tf.GraphModel, o: { layer?: string }) => Promise<tf.Tensor>][] = [
      ['gradCam', (m, o) => gradCam(m, x, { ...o, relu: false })],
      ['gradCamPlusPlus', (m, o) => gradCamPlusPlus(m, x, o)],
      ['layerCam', (m, o) => layerCam(m, x, { ...o, upsample: false })],
      ['scoreCam', (m, o) => scoreCam(m, x, { ...o, batchSize: 4 })],
      ['guidedGradCam', (m, o) => guidedGradCam(m, x, o)],
    ];
    for (const [name, run] of runs) {
      const a = await run(model, { layer: 'r1' });
      const n0 = tf.memory().numTensors;
      const b = await run(graph, { layer: 'r1' });
      expect([name, relErr(await b.data(), await a.data()) < 1e-4]).toEqual([name, true]);
      b.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      a.dispose();
    }
    // The default layer of a GraphModel: the last node with a 4-D output on the input (here "r2").
    const byDefault = await gradCam(graph, x, { upsample: false });
    const named = await gradCam(model, x, { upsample: false, layer: 'r2' });
    expect(relErr(await byDefault.data(), await named.data())).toBeLessThan(1e-4);
    tf.dispose([byDefault, named, x]);
    model.dispose();
    graph.dispose();
  });

  test('a one-output (regression) model needs no target', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c', inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ name: 'y', units: 1, kernelInitializer: tf.initializers.randomNormal({ seed: 4 }) }),
      ],
    });
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const a = await gradCam(model, x, { relu: false, upsample: false });
    const c = await cam(model, x, { upsample: false });
    const s = await scoreCam(model, x);
    const scaled = tf.mul(a, 16);
    expect(relErr(await scaled.data(), await c.data())).toBeLessThan(1e-5);
    expect(s.shape).toEqual([2, 6, 6]);
    tf.dispose([a, c, s, x, scaled]);
    model.dispose();
  });

  test('the input is unchanged and nothing leaks, for every method', async () => {
    const model = randomCnn('separateFlatten', 5);
    const x = randomInput(model, 2, 3);
    const before = await values(x);
    const runs = [
      () => gradCam(model, x),
      () => gradCam(model, x, { upsample: false, relu: false, target: [0, 2] }),
      () => gradCamPlusPlus(model, x),
      () => layerCam(model, x, { layer: 'c1' }),
      () => scoreCam(model, x, { batchSize: 3 }),
      () => guidedGradCam(model, x),
      () => gradCam(model, x, { target: (y: tf.Tensor2D) => tf.sum(y, 1) }),
    ];
    for (const run of runs) {
      const n0 = tf.memory().numTensors;
      const out = await run();
      expect([runs.indexOf(run), tf.memory().numTensors]).toEqual([runs.indexOf(run), n0 + 1]);
      out.dispose();
      expect(tf.memory().numTensors).toBe(n0);
    }
    const gap = randomCnn('fusedGapSoftmax', 5);
    const xg = randomInput(gap, 2, 3);
    const n0 = tf.memory().numTensors;
    (await cam(gap, xg)).dispose();
    expect(tf.memory().numTensors).toBe(n0);
    expect(await values(x)).toEqual(before);
    tf.dispose([x, xg]);
    model.dispose();
    gap.dispose();
  });

  test('bad inputs get typed errors and leak nothing', async () => {
    const model = randomCnn('fusedGapSoftmax', 6);
    const x = randomInput(model, 1, 3);
    await expectLeakFreeError(() => gradCam(model, x, { layer: 'conv9' }), UnknownLayerError, 'gradCam: unknown layer "conv9"; layers: c1, p1, c2, c3, gap, out');
    await expectLeakFreeError(() => gradCam(model, x, { layer: 'out' }), LayerError,
      'gradCam: layer "out" has output shape [null,4]; CAM needs a 4-D output [N,h,w,c]; 4-D layers: c1, p1, c2, c3');
    await expectLeakFreeError(() => layerCam(model, x, { layer: 'gap' }), LayerError, /^layerCam: layer "gap" has output shape \[null,6\]/);
    await expectLeakFreeError(() => gradCamPlusPlus(model, x, { target: 4 }), TargetError, /gradCamPlusPlus: target 4 is out of range.*0 to 3/);
    await expectLeakFreeError(() => scoreCam(model, x, { target: -1 }), TargetError, /^scoreCam: target -1 is out of range/);
    await expectLeakFreeError(() => cam(model, x, { target: [7] }), TargetError, /^cam: target\[0\] 7 is out of range/);
    await expectLeakFreeError(() => guidedGradCam(model, x, { target: 9 }), TargetError, /^guidedGradCam: target 9/);
    await expectLeakFreeError(() => cam(model, x, { target: (y: tf.Tensor2D) => tf.sum(y, 1) }), TargetError, /^cam: CAM needs class indices/);
    const rank3 = tf.zeros([11, 11, 3]);
    await expectLeakFreeError(() => gradCam(model, rank3 as tf.Tensor4D), InputError, /^gradCam: input must be rank 4 .* got rank 3/);
    const ints = tf.zeros([1, 11, 11, 3], 'int32');
    await expectLeakFreeError(() => scoreCam(model, ints as tf.Tensor4D), InputError, /^scoreCam: input must be float32, but got int32/);
    const nan = tf.tidy(() => tf.where(tf.equal(tf.range(0, 363).reshape([1, 11, 11, 3]), 5), tf.fill([1, 11, 11, 3], NaN), tf.zeros([1, 11, 11, 3]))) as tf.Tensor4D;
    await expectLeakFreeError(() => layerCam(model, nan), InputError, /^layerCam: input holds 1 NaN or Infinity value$/);
    await expectLeakFreeError(() => gradCam(model, x, { relu: 'yes' as unknown as boolean }), OptionError, /^gradCam: relu must be true or false/);
    await expectLeakFreeError(() => scoreCam(model, x, { batchSize: 0 }), OptionError, /^scoreCam: batchSize must be an integer from 1/);
    const flat = randomCnn('separateFlatten', 6);
    const xf = randomInput(flat, 1, 3);
    await expectLeakFreeError(() => cam(flat, xf), LayerError, /^cam: CAM needs a model that ends in GlobalAveragePooling2D → Dense.*dense layer "out" is fed by Dense "d1"$/);
    await expectLeakFreeError(() => gradCam((v: tf.Tensor4D) => tf.sum(v, [1, 2]), xf), LayerError, /^gradCam: a plain function has no layers/);
    tf.dispose([x, rank3, ints, nan, xf]);
    model.dispose();
    flat.dispose();
  });

  test('Score-CAM reports progress and stops on an AbortSignal without leaking', async () => {
    const model = randomCnn('fusedGapSoftmax', 7);
    const x = randomInput(model, 2, 3);
    // 2 items × 6 channels of c3 = 12 masked passes, 5 per batch.
    const seen: [number, number][] = [];
    const out = await scoreCam(model, x, { batchSize: 5, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[5, 12], [10, 12], [12, 12]]);
    out.dispose();

    const pre = new AbortController();
    pre.abort();
    const err1 = await scoreCam(model, x, { signal: pre.signal }).catch((e: Error) => e);
    expect((err1 as Error).name).toBe('AbortError');

    const n0 = tf.memory().numTensors;
    const mid = new AbortController();
    const calls: number[] = [];
    const err2 = await scoreCam(model, x, {
      batchSize: 2,
      signal: mid.signal,
      onProgress: (d) => {
        calls.push(d);
        if (d === 4) mid.abort();
      },
    }).catch((e: Error) => e);
    expect((err2 as Error).name).toBe('AbortError');
    expect((err2 as Error).message).toMatch(/^scoreCam: cancelled/);
    expect(calls).toEqual([2, 4]);
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
    model.dispose();
  });
});
