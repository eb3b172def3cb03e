/**
 * LRP: every rule against an independent float64 implementation of its formula on a hand-set MLP;
 * LRP-0 equals gradient × input on ReLU networks (Montavon et al. 2019); conservation Σ R = f(x) on
 * bias-free networks (convolutions, pooling, residual Add, Concatenate); batch norm folding equals LRP of
 * the folded network; batched equals one item at a time; no leaks; typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { LayerError, ModelError, OptionError } from '../../src/errors';
import { gradientTimesInput } from '../../src/methods/gradient';
import { lrp, lrpWithDelta } from '../../src/methods/lrp';
import { toGraphModel } from '../fixtures/graph-model';
import { buildZoo, zooInput } from '../fixtures/zoo';
import { foldBatchNorms } from '../fixtures/zoo/convert';
import { expectLeakFreeError } from './cam-helpers';

const seeded = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.5 });

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

// ---- an independent float64 LRP for dense layers ------------------------------------------------------

type Mat = number[][];
const W1: Mat = [[0.5, -1, 0.3], [1.5, 0.2, -0.7], [-0.4, 0.9, 1.1], [0.8, -0.6, 0.25]];
const B1 = [0.1, -0.2, 0.3];
const W2: Mat = [[1, -1], [0.5, 2], [-1.5, 0.3]];
const B2 = [0.05, -0.1];
const XIN = [0.2, -0.5, 0.9, 0.4];

/** Input [1,2,2,1] → flatten → dense(3, relu) → dense(2): weights W1, B1, W2, B2. */
function mlp(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 1] }), tf.layers.dense({ units: 3, activation: 'relu' }), tf.layers.dense({ units: 2 })] });
  model.layers[1].setWeights([tf.tensor2d(W1), tf.tensor1d(B1)]);
  model.layers[2].setWeights([tf.tensor2d(W2), tf.tensor1d(B2)]);
  return model;
}

type RefRule = { rule: 'epsilon'; eps: number } | { rule: 'gamma'; gamma: number } | { rule: 'alphaBeta'; alpha: number } | { rule: 'zB'; low: number; high: number };

const pos = (v: number) => Math.max(v, 0);
const neg = (v: number) => Math.min(v, 0);
const stab = (z: number, eps: number) => z + (z >= 0 ? eps : -eps);

/** Relevance at the input of one dense layer (a: its input, w: [in][out], b: bias) by the formula of the rule. */
function refLayer(a: number[], w: Mat, b: number[], r: number[], rule: RefRule): number[] {
  const out = r.length;
  const res = a.map(() => 0);
  for (let k = 0; k < out; k++) {
    if (rule.rule === 'epsilon' || rule.rule === 'gamma') {
      const wk = a.map((_, j) => (rule.rule === 'gamma' ? w[j][k] + rule.gamma * pos(w[j][k]) : w[j][k]));
      const z = a.reduce((s, aj, j) => s + aj * wk[j], 0) + b[k];
      const d = stab(z, rule.rule === 'epsilon' ? rule.eps : 1e-9);
      a.forEach((aj, j) => (res[j] += (aj * wk[j] / d) * r[k]));
    } else if (rule.rule === 'alphaBeta') {
      const beta = rule.alpha - 1;
      const contrib = a.map((aj, j) => aj * w[j][k]);
      const zp = contrib.reduce((s, c) => s + pos(c), 0) + pos(b[k]);
      const zn = contrib.reduce((s, c) => s + neg(c), 0) + neg(b[k]);
      contrib.forEach((c, j) => (res[j] += (rule.alpha * pos(c) / stab(zp, 1e-9) - beta * neg(c) / stab(zn, 1e-9)) * r[k]));
    } else {
      const terms = a.map((aj, j) => aj * w[j][k] - rule.low * pos(w[j][k]) - rule.high * neg(w[j][k]));
      const z = terms.reduce((s, t) => s + t, 0);
      terms.forEach((t, j) => (res[j] += (t / stab(z, 1e-9)) * r[k]));
    }
  }
  return res;
}

/** LRP of the MLP for class `target` with rule1 on the first dense layer and rule2 on the second. */
function refMlp(x: number[], target: number, rule1: RefRule, rule2: RefRule): number[] {
  const h = W1[0].map((_, k) => pos(x.reduce((s, xj, j) => s + xj * W1[j][k], 0) + B1[k]));
  const y = W2[0].map((_, k) => h.reduce((s, hj, j) => s + hj * W2[j][k], 0) + B2[k]);
  const rOut = y.map((v, k) => (k === target ? v : 0));
  const rh = refLayer(h, W2, B2, rOut, rule2);
  return refLayer(x, W1, B1, rh, rule1);
}

describe('lrp', () => {
  beforeAll(() => setBackend('wasm'));

  test('each rule equals an independent float64 implementation of its formula on a hand-set MLP', async () => {
    const model = mlp();
    const x = tf.tensor4d(XIN, [1, 2, 2, 1]);
    const cases: { options: Record<string, unknown>; r1: RefRule; r2: RefRule }[] = [
      { options: { rule: 'epsilon', epsilon: 0.3 }, r1: { rule: 'epsilon', eps: 0.3 }, r2: { rule: 'epsilon', eps: 0.3 } },
      { options: { rule: 'epsilon', epsilon: 0 }, r1: { rule: 'epsilon', eps: 0 }, r2: { rule: 'epsilon', eps: 0 } },
      { options: { rule: 'gamma', gamma: 0.5 }, r1: { rule: 'gamma', gamma: 0.5 }, r2: { rule: 'gamma', gamma: 0.5 } },
      { options: { rule: 'alphaBeta', alpha: 2 }, r1: { rule: 'alphaBeta', alpha: 2 }, r2: { rule: 'alphaBeta', alpha: 2 } },
      { options: { rule: 'alphaBeta' }, r1: { rule: 'alphaBeta', alpha: 1 }, r2: { rule: 'alphaBeta', alpha: 1 } },
      { options: { rule: 'epsilon', inputRule: 'zB', low: -1, high: 1 }, r1: { rule: 'zB', low: -1, high: 1 }, r2: { rule: 'epsilon', eps: 1e-9 } },
      // Default bounds: the item's smallest and largest values.
      { options: { rule: 'gamma', inputRule: 'zB' }, r1: { rule: 'zB', low: -0.5, high: 0.9 }, r2: { rule: 'gamma', gamma: 0.25 } },
      // Composite: z^B on the first layer, LRP-0 on the (dense) top.
      { options: { rule: 'composite', low: -1, high: 1 }, r1: { rule: 'zB', low: -1, high: 1 }, r2: { rule: 'epsilon', eps: 0 } },
      { options: { rule: 'epsilon', denseRule: 'gamma', inputRule: 'alphaBeta', alpha: 1.5 }, r1: { rule: 'alphaBeta', alpha: 1.5 }, r2: { rule: 'gamma', gamma: 0.25 } },
    ];
    for (const target of [0, 1]) {
      for (const c of cases) {
        const before = tf.memory().numTensors;
        const r = await lrp(model, x, { ...c.options, target });
        const got = Array.from(await r.data());
        r.dispose();
        expect(tf.memory().numTensors).toBe(before);
        const want = refMlp(XIN, target, c.r1, c.r2);
        expect({ ...c.options, target, err: maxRel(got, want) < 1e-5 }).toEqual({ ...c.options, target, err: true });
      }
    }
    x.dispose();
    model.dispose();
  });

  /** Conv (relu), max pooling, conv, average pooling, flatten, dense relu, dense; biases optional. */
  function cnn(bias: boolean, seed = 1): tf.Sequential {
    const b = { useBias: bias, biasInitializer: seeded(seed + 50) };
    return tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(seed), ...b }),
        tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
        tf.layers.conv2d({ filters: 5, kernelSize: 2, activation: 'linear', kernelInitializer: seeded(seed + 1), ...b }),
        tf.layers.reLU(),
        tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: seeded(seed + 2), ...b }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(seed + 3), ...b }),
      ],
    });
  }

  test('LRP-0 on a ReLU network is gradient × input (with and without biases), batched as one item at a time', async () => {
    for (const bias of [false, true]) {
      const model = cnn(bias);
      const x = tf.randomUniform([2, 9, 9, 2], 0, 1, 'float32', 3);
      const before = tf.memory().numTensors;
      const r = await lrp(model, x, { epsilon: 0, target: [0, 2] });
      const g = await gradientTimesInput(model, x, { target: [0, 2] });
      expect(maxRel(await r.data(), await g.data())).toBeLessThan(1e-4);
      const item = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
      const one = await lrp(model, item, { epsilon: 0, target: 2 });
      expect(maxRel(await one.data(), (await r.data()).slice(9 * 9 * 2))).toBeLessThan(1e-6);
      tf.dispose([r, g, one, item]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    }
  });

  test('conservation: on bias-free networks Σ R = f(x) for LRP-0, γ, α-β (α = 1, 2), z^B and the composite (delta ≈ 0)', async () => {
    const model = cnn(false, 4);
    const x = tf.randomUniform([2, 9, 9, 2], 0, 1, 'float32', 5);
    for (const options of [
      { epsilon: 0 }, { rule: 'gamma' }, { rule: 'alphaBeta' }, { rule: 'alphaBeta', alpha: 2 }, { rule: 'composite' },
      { convRule: 'gamma', denseRule: 'zero', inputRule: 'zB', low: 0, high: 1 },
    ]) {
      const { attributions, delta } = await lrpWithDelta(model, x, { ...options, target: 1 } as Record<string, unknown>);
      const summed = attributions.sum([1, 2, 3]);
      const sums = Array.from(await summed.data());
      summed.dispose();
      const d = Array.from(await delta.data());
      for (let i = 0; i < 2; i++) {
        expect({ options, i, conserved: Math.abs(d[i]) < 1e-4 * Math.max(1, Math.abs(sums[i])) }).toEqual({ options, i, conserved: true });
      }
      tf.dispose([attributions, delta]);
    }
    // ε > 0 absorbs relevance: the delta is no longer zero.
    const { attributions, delta } = await lrpWithDelta(model, x, { epsilon: 1, target: 1 });
    expect(Math.max(...Array.from(await delta.data(), Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([attributions, delta]);
    x.dispose();
    model.dispose();
  });

  test('residual Add, Concatenate and global pooling conserve relevance; batch norm is folded into the conv before it', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: seeded(7), name: 'c1' }).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ gammaInitializer: seeded(8), movingVarianceInitializer: 'ones', name: 'bn' }).apply(c1) as tf.SymbolicTensor;
    const r1 = tf.layers.reLU().apply(bn) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false, kernelInitializer: seeded(9) }).apply(r1) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([r1, c2]) as tf.SymbolicTensor;
    const c3 = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', useBias: false, kernelInitializer: seeded(10) }).apply(sum) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate().apply([sum, c3]) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(cat) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, useBias: false, kernelInitializer: seeded(11) }).apply(gap) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 12);
    const before = tf.memory().numTensors;
    for (const options of [{ epsilon: 0 }, { rule: 'gamma' }, { rule: 'alphaBeta' }]) {
      const { attributions, delta } = await lrpWithDelta(model, x, { ...options, target: 2 } as Record<string, unknown>);
      const sums = tf.tidy(() => tf.abs(attributions.sum([1, 2, 3])));
      const scale = Math.max(...Array.from(await sums.data()));
      sums.dispose();
      expect({ options, conserved: Math.max(...Array.from(await delta.data(), Math.abs)) < 1e-4 * Math.max(1, scale) }).toEqual({ options, conserved: true });
      tf.dispose([attributions, delta]);
    }
    expect(tf.memory().numTensors).toBe(before);
    // LRP-0 is gradient × input here too (the batch norm is linear at inference).
    const r0 = await lrp(model, x, { epsilon: 0, target: 2 });
    const g = await gradientTimesInput(model, x, { target: 2 });
    expect(maxRel(await r0.data(), await g.data())).toBeLessThan(1e-4);
    // The γ-rule sees the folded weights: the same model with w·γ/σ in the conv and no batch norm gives the same.
    // (beta and the moving mean are zeros: the folded conv has no bias)
    const [gamma, , , variance] = model.getLayer('bn').getWeights();
    const foldedKernel = tf.tidy(() => tf.mul(model.getLayer('c1').getWeights()[0], tf.div(gamma, tf.sqrt(tf.add(variance, 1e-3)))));
    const fIn = tf.input({ shape: [8, 8, 3] });
    const fc1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'fc1' });
    const fr1 = tf.layers.reLU().apply(fc1.apply(fIn) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const layers = model.layers;
    const fc2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false });
    const fsum = tf.layers.add().apply([fr1, fc2.apply(fr1) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const fc3 = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', useBias: false });
    const fcat = tf.layers.concatenate().apply([fsum, fc3.apply(fsum) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const fdense = tf.layers.dense({ units: 3, useBias: false });
    const folded = tf.model({ inputs: fIn, outputs: fdense.apply(tf.layers.globalAveragePooling2d({}).apply(fcat)) as tf.SymbolicTensor });
    fc1.setWeights([foldedKernel]);
    fc2.setWeights(layers.find((l) => l.name === c2.sourceLayer.name)!.getWeights());
    fc3.setWeights(layers.find((l) => l.name === c3.sourceLayer.name)!.getWeights());
    fdense.setWeights(layers.find((l) => l.name === out.sourceLayer.name)!.getWeights());
    const beforeFolded = tf.memory().numTensors;
    const a = await lrp(model, x, { rule: 'gamma', target: 2 });
    const b = await lrp(folded, x, { rule: 'gamma', target: 2 });
    expect(maxRel(await a.data(), await b.data())).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(beforeFolded);
    tf.dispose([r0, g, foldedKernel]);
    folded.dispose();
    x.dispose();
    model.dispose();
  });

  test.each(['resnetBottleneck', 'inceptionBlock', 'denseNetBlock'] as const)('LRP-0 is gradient × input on the ReLU zoo fixture %s (residual Add, Concatenate, batch norms folded and not)', async (name) => {
    const { model, entry } = buildZoo(name);
    const x = zooInput(entry, 1);
    // LRP folds batch norms, which moves values in the last bits (and so a max-pool tie, or a ReLU input
    // near zero, elsewhere): compared with the gradient of the network with its batch norms folded.
    const folded = await foldBatchNorms(model);
    const before = tf.memory().numTensors;
    for (const m of [model, folded]) {
      const r = await lrp(m, x, { epsilon: 0, target: 1 });
      const g = await gradientTimesInput(folded, x, { target: 1 });
      expect({ name, folded: m === folded, close: maxRel(await r.data(), await g.data()) < 1e-3 }).toEqual({ name, folded: m === folded, close: true });
      tf.dispose([r, g]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    folded.dispose();
    model.dispose();
  });

  test('typed errors: a GraphModel, a function, an uncovered layer (named), a softmax explained after it, bad options; none leaks', async () => {
    const model = cnn(true);
    const x = tf.randomUniform([1, 9, 9, 2], 0, 1, 'float32', 3);
    const graph = await toGraphModel(model);
    await expectLeakFreeError(() => lrp(graph, x), ModelError, /lrp: LRP walks the layers of a tf.LayersModel .*gradientTimesInput, integratedGradients/);
    await expectLeakFreeError(() => lrp((t: tf.Tensor4D) => tf.sum(t, [1, 2]), x), ModelError, /plain function/);
    const sig = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [9, 9, 2] }), tf.layers.dense({ units: 3, activation: 'sigmoid', name: 'squash' }), tf.layers.dense({ units: 2 })] });
    await expectLeakFreeError(() => lrp(sig, x), LayerError, /layer "squash" \(Dense, activation sigmoid\); it covers Conv2D/);
    await expectLeakFreeError(() => lrp(model, x, { preSoftmax: false }), LayerError, /before the final softmax/);
    await expectLeakFreeError(() => lrp(model, x, { rule: 'zb' as never }), OptionError, /unknown rule "zb"; choices: epsilon, gamma, alphaBeta, composite/);
    await expectLeakFreeError(() => lrp(model, x, { convRule: 'zB' as never }), OptionError, /unknown convRule "zB"/);
    await expectLeakFreeError(() => lrp(model, x, { alpha: 0.5 }), OptionError, /alpha must be/);
    await expectLeakFreeError(() => lrp(model, x, { epsilon: -1 }), OptionError, /epsilon must be/);
    tf.dispose([x]);
    graph.dispose();
    sig.dispose();
    model.dispose();
  });
});
