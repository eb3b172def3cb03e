/**
 * XGrad-CAM, HiResCAM, element-wise Grad-CAM, Eigen-CAM, Eigen-Grad-CAM and Ablation-CAM: golden numbers
 * on hand-set models, pytorch-grad-cam's conventions, a float64 reference, batching, leaks, bad input.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, LayerError, OptionError, TargetError, UnknownLayerError } from '../../src/errors';
import { ablationCam } from '../../src/methods/ablation-cam';
import { eigenCam, eigenGradCam } from '../../src/methods/eigen-cam';
import { gradCam } from '../../src/methods/grad-cam';
import { gradCamElementWise, hiResCam } from '../../src/methods/hi-res-cam';
import { xGradCam } from '../../src/methods/x-grad-cam';
import { toGraphModel } from '../fixtures/graph-model';
import { CAM_LAYER, RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { itemOf, RefNet, relErr, T3 } from '../reference/net';
import { argmax, expectLeakFreeError, expectNear, modelG, refUpsample, V, values, xG } from './cam-helpers';

/** 2×2×1 → 1×1 conv with weights `k` (A_c = k_c·x, rank one) → GAP → dense V. */
function rankOne(k: [number, number]): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [2, 2, 1], filters: 2, kernelSize: 1, useBias: false }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'dense', units: 2, useBias: false }),
    ],
  });
  model.layers[0].setWeights([tf.tensor4d([[[k]]])]);
  model.layers[2].setWeights([tf.tensor2d(V)]);
  return model;
}

type Elementwise = 'xGradCam' | 'hiResCam' | 'gradCamElementWise';

/** The map of an element-wise variant from the reference activation and gradient, float64 (pytorch-grad-cam's formulas). */
function refMap(a: T3, g: T3, kind: Elementwise, relu: boolean): Float64Array {
  const hw = a.h * a.w;
  const xw = new Float64Array(a.c);
  for (let k = 0; k < a.c; k++) {
    let sumA = 0;
    for (let p = 0; p < hw; p++) sumA += a.d[p * a.c + k];
    for (let p = 0; p < hw; p++) xw[k] += (g.d[p * a.c + k] * a.d[p * a.c + k]) / (sumA + 1e-7);
  }
  const out = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < a.c; k++) {
      const i = p * a.c + k;
      s += kind === 'xGradCam' ? xw[k] * a.d[i] : kind === 'hiResCam' ? g.d[i] * a.d[i] : Math.max(0, g.d[i] * a.d[i]);
    }
    out[p] = relu ? Math.max(0, s) : s;
  }
  return out;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (independent of the library's power iteration): the top eigenvector. */
function jacobiTop(m: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m);
  const vec = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vec[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      if (Math.abs(a[p * n + q]) < 1e-300) continue;
      const theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = vec[k * n + p], vkq = vec[k * n + q];
        vec[k * n + p] = c * vkp - s * vkq;
        vec[k * n + q] = s * vkp + c * vkq;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i * n + i] > a[best * n + best]) best = i;
  return Float64Array.from({ length: n }, (_, k) => vec[k * n + best]);
}

/** Eigen-CAM of one item's `[h,w,c]` matrix in float64: centred, top right singular vector with Σv ≥ 0, projection. */
function refEigen(a: T3): Float64Array {
  const p = a.h * a.w, c = a.c;
  const r = Float64Array.from(a.d);
  for (let k = 0; k < c; k++) {
    let mean = 0;
    for (let i = 0; i < p; i++) mean += r[i * c + k] / p;
    for (let i = 0; i < p; i++) r[i * c + k] -= mean;
  }
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) for (let q = 0; q < p; q++) g[i * c + j] += r[q * c + i] * r[q * c + j];
  const v = jacobiTop(g, c);
  const sign = v.reduce((s, x) => s + x, 0) < 0 ? -1 : 1;
  return Float64Array.from({ length: p }, (_, q) => sign * v.reduce((s, x, k) => s + x * r[q * c + k], 0));
}

describe.each(['cpu', 'wasm'] as const)('more CAM variants on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('golden numbers on G: with constant gradients XGrad-CAM and HiResCAM are Grad-CAM; element-wise Grad-CAM clips g·A first', async () => {
    const model = modelG();
    const x = xG();
    const grad = await gradCam(model, x, { upsample: false, relu: false });
    for (const run of [xGradCam, hiResCam]) {
      const m = await run(model, x, { upsample: false, relu: false });
      expect(relErr(await values(m), await values(grad))).toBeLessThan(1e-6);
      m.dispose();
    }
    // Class 1: g = [1/2, −1/4]; g·A_0 = [[3,.5],[0,4]], g·A_1 = [[.5,.25],[.5,−.5]] → ReLU then Σ_c.
    const ew = await gradCamElementWise(model, x, { upsample: false, relu: false });
    await expectNear(ew, [[[3.5, 0.75], [0.5, 4]]], [1, 2, 2]);
    const hr = await hiResCam(model, x, { upsample: false });
    await expectNear(hr, [[[3.5, 0.75], [0.5, 3.5]]], [1, 2, 2]);
    tf.dispose([grad, ew, hr, x]);
    model.dispose();
  });

  test('Eigen-CAM on a rank-one activation: (x − mean x)·|k|, sign fixed so that Σ_c v_c ≥ 0', async () => {
    const x = tf.tensor4d([[[[1], [2]], [[3], [4]]]]);
    const s5 = Math.sqrt(5);
    const pos = rankOne([1, 2]);
    const a = await eigenCam(pos, x, { upsample: false, relu: false });
    await expectNear(a, [[[-1.5 * s5, -0.5 * s5], [0.5 * s5, 1.5 * s5]]], [1, 2, 2]);
    const ar = await eigenCam(pos, x, { upsample: false });
    await expectNear(ar, [[[0, 0], [0.5 * s5, 1.5 * s5]]], [1, 2, 2]);
    // A = −x ⊗ [1, 2]: v = [1, 2]/√5 again (Σ v ≥ 0), so the map is negated.
    const neg = rankOne([-1, -2]);
    const b = await eigenCam(neg, x, { upsample: false, relu: false });
    await expectNear(b, [[[1.5 * s5, 0.5 * s5], [-0.5 * s5, -1.5 * s5]]], [1, 2, 2]);
    // Eigen-Grad-CAM, class 0: g = [V00, V10]/4 = [1/4, 3/4] everywhere, g·A = x ⊗ [1/4, 6/4], |u| = √37/4.
    const e = await eigenGradCam(pos, x, { target: 0, upsample: false, relu: false });
    const u = Math.sqrt(37) / 4;
    await expectNear(e, [[[-1.5 * u, -0.5 * u], [0.5 * u, 1.5 * u]]], [1, 2, 2]);
    tf.dispose([a, ar, b, e, x]);
    pos.dispose();
    neg.dispose();
  });

  test("Ablation-CAM golden numbers: (y − y_c)/y, ablating to 0 after a ReLU and to min − 1e7 otherwise (pytorch-grad-cam's AblationLayer)", async () => {
    const x = xG();
    // ReLU conv: A_0 = [[6,1],[0,8]], A_1 = [[0,0],[0,2]], min 0. y_1 = 2·15/4 − 1/2 = 7; without A_0: −1/2; without A_1: 15/2.
    const relu = modelG('relu');
    const r = await ablationCam(relu, x, { upsample: false, batchSize: 1 });
    await expectNear(r, [[[45 / 7, 15 / 14], [0, 59 / 7]]], [1, 2, 2]);
    // Linear conv: min(A) = −2, so the ablated channel becomes −2 − 1e7 everywhere: y_1 = 8.25,
    // without A_0: 2v + 0.75, without A_1: 7.5 − v, with v = −10000002.
    const lin = modelG();
    const m = await ablationCam(lin, x, { upsample: false, relu: false });
    const v = -2 - 1e7;
    const w0 = (7.5 - 2 * v) / 8.25, w1 = (0.75 + v) / 8.25;
    const A0 = [[6, 1], [0, 8]], A1 = [[-2, -1], [-2, 2]];
    await expectNear(m, [A0.map((row, i) => row.map((a0, j) => w0 * a0 + w1 * A1[i][j]))], [1, 2, 2], 1e-4);
    tf.dispose([r, m, x]);
    relu.dispose();
    lin.dispose();
  });

  test('HiResCAM equals Grad-CAM on the layer that feeds GAP → dense', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 5);
    const layer = CAM_LAYER.fusedGapSoftmax;
    const h = await hiResCam(model, x, { layer, relu: false, target: [1, 3] });
    const g = await gradCam(model, x, { layer, relu: false, target: [1, 3] });
    expect(relErr(await values(h), await values(g))).toBeLessThan(1e-5);
    tf.dispose([h, g, x]);
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

    test.each([
      ['xGradCam', true, false], ['xGradCam', false, true], ['hiResCam', false, false], ['hiResCam', true, true], ['gradCamElementWise', false, false],
    ] as [Elementwise, boolean, boolean][])('%s relu=%s upsample=%s', async (kindOf, relu, upsample) => {
      const run = { xGradCam, hiResCam, gradCamElementWise }[kindOf];
      const out = await run(model, x, { layer, relu, upsample });
      const got = await values(out);
      const per = out.size / 2;
      const [, H, W] = x.shape;
      const li = ref.layerNames.indexOf(layer);
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const target = argmax(ref.forward(item).scores);
        const a = ref.forward(item).outputs[li];
        let want = refMap(a, ref.gradient(item, target, { wrt: layer }), kindOf, relu);
        if (upsample) want = refUpsample(want, a.h, a.w, H, W);
        expect(relErr(got.slice(n * per, (n + 1) * per), want)).toBeLessThan(1e-4);
      }
      out.dispose();
    });

    test('Eigen-CAM and Eigen-Grad-CAM (Jacobi eigenvectors)', async () => {
      const e = await eigenCam(model, x, { layer, relu: false, upsample: false });
      const eg = await eigenGradCam(model, x, { layer, relu: false, upsample: false });
      const [got, gotG] = [await values(e), await values(eg)];
      const li = ref.layerNames.indexOf(layer);
      const per = e.size / 2;
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const a = ref.forward(item).outputs[li];
        const g = ref.gradient(item, argmax(ref.forward(item).scores), { wrt: layer });
        const ga = { ...a, d: a.d.map((v, i) => v * g.d[i]) };
        expect(relErr(got.slice(n * per, (n + 1) * per), refEigen(a))).toBeLessThan(1e-3);
        expect(relErr(gotG.slice(n * per, (n + 1) * per), refEigen(ga))).toBeLessThan(1e-3);
      }
      tf.dispose([e, eg]);
    });
  });

  test('batched equals one item at a time; Ablation-CAM does not depend on batchSize', async () => {
    const big = randomCnn('fusedGapSoftmax', 3);
    const xb = randomInput(big, 3, 11);
    const methods = [
      (x: tf.Tensor4D) => xGradCam(big, x),
      (x: tf.Tensor4D) => hiResCam(big, x),
      (x: tf.Tensor4D) => gradCamElementWise(big, x),
      (x: tf.Tensor4D) => eigenCam(big, x),
      (x: tf.Tensor4D) => eigenGradCam(big, x),
      (x: tf.Tensor4D) => ablationCam(big, x, { batchSize: 4 }),
    ];
    for (const run of methods) {
      const all = await run(xb);
      const allV = await values(all);
      const per = all.size / 3;
      for (let n = 0; n < 3; n++) {
        const xn = tf.slice(xb, [n, 0, 0, 0], [1, -1, -1, -1]);
        const one = await run(xn);
        expect([methods.indexOf(run), relErr(allV.slice(n * per, (n + 1) * per), await values(one)) < 1e-5]).toEqual([methods.indexOf(run), true]);
        tf.dispose([xn, one]);
      }
      all.dispose();
    }
    const a1 = await ablationCam(big, xb, { batchSize: 1 });
    const a7 = await ablationCam(big, xb, { batchSize: 7 });
    expect(relErr(await values(a7), await values(a1))).toBeLessThan(1e-5);
    tf.dispose([a1, a7, xb]);
    big.dispose();
  });

  test('a GraphModel gives the same maps as the LayersModel it was converted from', async () => {
    const model = randomCnn('separateFlatten', 14);
    const graph = await toGraphModel(model);
    const x = randomInput(model, 2, 6);
    const runs: [string, (m: tf.LayersModel | tf.GraphModel) => Promise<tf.Tensor>][] = [
      ['xGradCam', (m) => xGradCam(m, x, { layer: 'r1' })],
      ['hiResCam', (m) => hiResCam(m, x, { layer: 'r1', relu: false })],
      ['gradCamElementWise', (m) => gradCamElementWise(m, x, { layer: 'r1' })],
      ['eigenCam', (m) => eigenCam(m, x, { layer: 'r1' })],
      ['eigenGradCam', (m) => eigenGradCam(m, x, { layer: 'r1' })],
      ['ablationCam', (m) => ablationCam(m, x, { layer: 'r1', batchSize: 5 })],
    ];
    for (const [name, run] of runs) {
      const a = await run(model);
      const n0 = tf.memory().numTensors;
      const b = await run(graph);
      expect([name, relErr(await b.data(), await a.data()) < 1e-4]).toEqual([name, true]);
      b.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      a.dispose();
    }
    x.dispose();
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
    const g = await gradCam(model, x, { relu: false, upsample: false });
    const h = await hiResCam(model, x, { relu: false, upsample: false });
    expect(relErr(await h.data(), await g.data())).toBeLessThan(1e-5);
    for (const run of [xGradCam, gradCamElementWise, eigenCam, eigenGradCam, ablationCam]) {
      const m = await run(model, x, { upsample: false });
      expect(m.shape).toEqual([2, 4, 4]);
      expect(Array.from(await m.data()).every(Number.isFinite)).toBe(true);
      m.dispose();
    }
    tf.dispose([g, h, x]);
    model.dispose();
  });

  test('the input is unchanged and nothing leaks', async () => {
    const model = randomCnn('separateFlatten', 5);
    const x = randomInput(model, 2, 3);
    const before = await values(x);
    const runs = [
      () => xGradCam(model, x, { target: [0, 2] }),
      () => hiResCam(model, x, { upsample: false }),
      () => gradCamElementWise(model, x, { layer: 'c1' }),
      () => eigenCam(model, x),
      () => eigenGradCam(model, x, { target: (y: tf.Tensor2D) => tf.sum(y, 1) }),
      () => ablationCam(model, x, { batchSize: 3 }),
    ];
    for (const run of runs) {
      const n0 = tf.memory().numTensors;
      const out = await run();
      expect([runs.indexOf(run), tf.memory().numTensors]).toEqual([runs.indexOf(run), n0 + 1]);
      out.dispose();
      expect(tf.memory().numTensors).toBe(n0);
    }
    expect(await values(x)).toEqual(before);
    x.dispose();
    model.dispose();
  });

  test('bad inputs get typed errors and leak nothing', async () => {
    const model = randomCnn('fusedGapSoftmax', 6);
    const x = randomInput(model, 1, 3);
    await expectLeakFreeError(() => xGradCam(model, x, { layer: 'conv9' }), UnknownLayerError, 'xGradCam: unknown layer "conv9"; layers: c1, p1, c2, c3, gap, out');
    await expectLeakFreeError(() => eigenCam(model, x, { layer: 'out' }), LayerError, /^eigenCam: layer "out" has output shape \[null,4\]; CAM needs a 4-D output/);
    await expectLeakFreeError(() => hiResCam(model, x, { target: 4 }), TargetError, /^hiResCam: target 4 is out of range.*0 to 3/);
    await expectLeakFreeError(() => eigenCam(model, x, { target: 4 }), TargetError, /^eigenCam: target 4 is out of range/);
    await expectLeakFreeError(() => ablationCam(model, x, { target: [7] }), TargetError, /^ablationCam: target\[0\] 7 is out of range/);
    await expectLeakFreeError(() => gradCamElementWise(model, x, { target: (y: tf.Tensor2D) => y }), TargetError, /^gradCamElementWise: the target function must return one score per batch item/);
    const ints = tf.zeros([1, 11, 11, 3], 'int32');
    await expectLeakFreeError(() => ablationCam(model, ints as tf.Tensor4D), InputError, /^ablationCam: input must be float32, but got int32/);
    const nan = tf.tidy(() => tf.where(tf.equal(tf.range(0, 363).reshape([1, 11, 11, 3]), 5), tf.fill([1, 11, 11, 3], NaN), tf.zeros([1, 11, 11, 3]))) as tf.Tensor4D;
    await expectLeakFreeError(() => eigenGradCam(model, nan), InputError, /^eigenGradCam: input holds 1 NaN or Infinity value$/);
    await expectLeakFreeError(() => xGradCam(model, x, { relu: 'yes' as unknown as boolean }), OptionError, /^xGradCam: relu must be true or false/);
    await expectLeakFreeError(() => ablationCam(model, x, { batchSize: 0 }), OptionError, /^ablationCam: batchSize must be an integer from 1/);
    await expectLeakFreeError(() => eigenCam((v: tf.Tensor4D) => tf.sum(v, [1, 2]), x), LayerError, /^eigenCam: a plain function has no layers/);
    tf.dispose([x, ints, nan]);
    model.dispose();
  });

  test('Ablation-CAM reports progress, gives partial maps and stops on an AbortSignal without leaking', async () => {
    const model = randomCnn('fusedGapSoftmax', 7);
    const x = randomInput(model, 2, 3);
    // 2 items × 6 channels of c3 = 12 ablations, 5 per batch.
    const seen: [number, number][] = [];
    const partials: number[][] = [];
    const out = await ablationCam(model, x, {
      batchSize: 5, relu: false,
      onProgress: (d, t) => seen.push([d, t]),
      onPartial: async (m) => {
        partials.push(await values(m));
      },
    });
    expect(seen).toEqual([[5, 12], [10, 12], [12, 12]]);
    expect(partials.length).toBe(3);
    expect(relErr(partials[2], await values(out))).toBeLessThan(1e-6);
    out.dispose();

    const n0 = tf.memory().numTensors;
    const mid = new AbortController();
    const err = await ablationCam(model, x, {
      batchSize: 2, signal: mid.signal,
      onProgress: (d) => {
        if (d === 4) mid.abort();
      },
    }).catch((e: Error) => e);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).message).toMatch(/^ablationCam: cancelled/);
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
    model.dispose();
  });
});
