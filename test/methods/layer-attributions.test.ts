/**
 * Layer and neuron attributions (Captum's LayerConductance, InternalInfluence, LayerIntegratedGradients,
 * NeuronGradient): closed forms on hand-set models, layer IG completeness, conductance summing to what
 * Integrated Gradients sums to, internal influence against a float64 quadrature, neuron gradients against
 * finite differences, batched against one item at a time, leaks and typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { LayerError, OptionError, UnknownLayerError } from '../../src/errors';
import { integratedGradients, integrationPoints } from '../../src/methods/integrated-gradients';
import { internalInfluence } from '../../src/methods/internal-influence';
import { layerConductance } from '../../src/methods/layer-conductance';
import { layerIntegratedGradients } from '../../src/methods/layer-integrated-gradients';
import { neuronGradient } from '../../src/methods/neuron-gradient';
import { withGradientRules } from '../../src/models/gradient-rules';
import { methodMaps } from '../../src/widgets/kernel/compute';
import { expectLeakFreeError } from './cam-helpers';

const seeded = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.5 });
const W = [[0.8, -0.5], [0.3, 1.2]];
const B = [0.1, -0.2];
const U = [0.7, -1.1];

/** x [1,2,1] → flatten → dense(2, relu) "h" (W, B) → dense(1, tanh) "out" (U, no bias). */
function tiny(): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 2, 1] }), tf.layers.dense({ units: 2, activation: 'relu', name: 'h' }), tf.layers.dense({ units: 1, activation: 'tanh', useBias: false, name: 'out' })] });
  m.getLayer('h').setWeights([tf.tensor2d(W), tf.tensor1d(B)]);
  m.getLayer('out').setWeights([tf.tensor2d(U.map((u) => [u]))]);
  return m;
}
const hOf = (x: number[]) => [0, 1].map((k) => Math.max(0, x[0] * W[0][k] + x[1] * W[1][k] + B[k]));
const fOf = (h: number[]) => Math.tanh(h[0] * U[0] + h[1] * U[1]);

/** Conv (relu) "c1" → conv (tanh) "c2" → max pool → flatten → dense(3): everything goes through c1 and c2. */
function cnn(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, activation: 'relu', name: 'c1', kernelInitializer: seeded(1), biasInitializer: seeded(2) }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'c2', kernelInitializer: seeded(3) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, name: 'out', kernelInitializer: seeded(4) }),
    ],
  });
}

async function arr(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('layer and neuron attributions', () => {
  beforeAll(() => setBackend('wasm'));

  test('closed forms on a hand-set MLP: conductance of the only path, internal influence and layer IG by float64 quadrature', async () => {
    const model = tiny();
    const xs = [0.9, 0.4];
    const x = tf.tensor4d(xs, [1, 1, 2, 1]);
    const steps = 40;
    const { alphas, weights } = integrationPoints('gaussLegendre', steps);
    // Internal influence: Σ_k w_k ∂F/∂h at h(α_k x) (baseline zeros).
    const ii = [0, 0];
    for (let k = 0; k < steps; k++) {
      const h = hOf(xs.map((v) => alphas[k] * v));
      const t = Math.tanh(h[0] * U[0] + h[1] * U[1]);
      for (const j of [0, 1]) ii[j] += weights[k] * U[j] * (1 - t * t);
    }
    const before = tf.memory().numTensors;
    const gotIi = await arr(await internalInfluence(model, x, { layer: 'h', steps, target: 0 }));
    expect(gotIi.map((v, j) => Math.abs(v - ii[j]) < 1e-5)).toEqual([true, true]);
    // Layer IG: (h − h′) Σ_k w_k ∂F/∂h at h′ + α_k(h − h′); h′ = h(0) = relu(B).
    const h1 = hOf(xs);
    const h0 = hOf([0, 0]);
    const lig = [0, 0];
    for (let k = 0; k < steps; k++) {
      const h = h0.map((v, j) => v + alphas[k] * (h1[j] - v));
      const t = Math.tanh(h[0] * U[0] + h[1] * U[1]);
      for (const j of [0, 1]) lig[j] += weights[k] * U[j] * (1 - t * t) * (h1[j] - h0[j]);
    }
    const gotLig = await arr(await layerIntegratedGradients(model, x, { layer: 'h', steps, target: 0 }));
    expect(gotLig.map((v, j) => Math.abs(v - lig[j]) < 1e-5)).toEqual([true, true]);
    // Completeness of layer IG: Σ = F(x) − F(x′).
    expect(Math.abs(gotLig[0] + gotLig[1] - (fOf(h1) - fOf(h0)))).toBeLessThan(1e-4);
    // Conductance, Captum's sum over n + 1 points (here the trapezoid's, which include both ends).
    const cp = integrationPoints('riemannTrapezoid', steps + 1).alphas;
    const cond = [0, 0];
    for (let k = 0; k < steps; k++) {
      const ha = hOf(xs.map((v) => cp[k] * v));
      const hb = hOf(xs.map((v) => cp[k + 1] * v));
      const t = Math.tanh(ha[0] * U[0] + ha[1] * U[1]);
      for (const j of [0, 1]) cond[j] += U[j] * (1 - t * t) * (hb[j] - ha[j]);
    }
    const gotCond = await arr(await layerConductance(model, x, { layer: 'h', steps, method: 'riemannTrapezoid', target: 0 }));
    expect(gotCond.map((v, j) => Math.abs(v - cond[j]) < 1e-5)).toEqual([true, true]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  // The integrands have kinks (ReLU, max pooling), so quadrature converges slowly: at 128 steps Integrated
  // Gradients itself misses F(x) − F(x′) by about 0.1% here.
  test('layer IG is complete and conductance sums to what Integrated Gradients sums to, on every layer every path goes through', async () => {
    const model = cnn();
    const x = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 5);
    const f = tf.tidy(() => tf.sub(tf.slice(model.predict(x) as tf.Tensor, [0, 1], [-1, 1]), tf.slice(model.predict(tf.zerosLike(x)) as tf.Tensor, [0, 1], [-1, 1])));
    const gap = await arr(f.reshape([-1]));
    f.dispose();
    const ig = await integratedGradients(model, x, { target: 1, steps: 128 });
    const igSums = await arr(ig.sum([1, 2, 3]));
    ig.dispose();
    for (const layer of ['c1', 'c2']) {
      const lig = await layerIntegratedGradients(model, x, { layer, target: 1, steps: 128 });
      expect(lig.shape).toEqual(layer === 'c1' ? [2, 6, 6, 3] : [2, 6, 6, 4]);
      const ligSums = await arr(lig.sum([1, 2, 3]));
      lig.dispose();
      const cond = await arr((await layerConductance(model, x, { layer, target: 1, steps: 128, method: 'riemannTrapezoid' })).sum([1, 2, 3]));
      for (const i of [0, 1]) {
        const scale = Math.max(1, Math.abs(gap[i]));
        expect({ layer, i, lig: Math.abs(ligSums[i] - gap[i]) < 5e-3 * scale }).toEqual({ layer, i, lig: true });
        expect({ layer, i, cond: Math.abs(cond[i] - igSums[i]) < 2e-2 * scale }).toEqual({ layer, i, cond: true });
      }
    }
    x.dispose();
    model.dispose();
  });

  test('neuron gradient agrees with central differences of the unit, and without `neuron` is the gradient of the layer sum', async () => {
    const model = cnn();
    const x = tf.randomUniform([1, 8, 8, 2], 0, 1, 'float32', 9);
    const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer('c2').output as tf.SymbolicTensor });
    const neuron = (2 * 6 + 3) * 4 + 1;
    const g = await arr(await neuronGradient(model, x, { layer: 'c2', neuron }));
    const unit = (t: tf.Tensor) => tf.tidy(() => (sub.predict(t) as tf.Tensor).reshape([-1]).slice([neuron], [1]).dataSync()[0]);
    const xv = Array.from(await x.data());
    const h = 1e-2;
    let checked = 0;
    for (let i = 0; i < xv.length; i += 7) {
      const plus = xv.slice(); plus[i] += h;
      const minus = xv.slice(); minus[i] -= h;
      const tp = tf.tensor4d(plus, x.shape as [number, number, number, number]);
      const tm = tf.tensor4d(minus, x.shape as [number, number, number, number]);
      const fd = (unit(tp) - unit(tm)) / (2 * h);
      tf.dispose([tp, tm]);
      expect({ i, close: Math.abs(fd - g[i]) < 2e-3 }).toEqual({ i, close: true });
      if (g[i] !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(3);
    const all = await arr(await neuronGradient(model, x, { layer: 'c2' }));
    const ref = withGradientRules({}, () => tf.grad((t: tf.Tensor) => tf.sum(sub.apply(t) as tf.Tensor))(x));
    const rv = await arr(ref);
    expect(Math.max(...all.map((v, i) => Math.abs(v - rv[i])))).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  test('batched equals one item at a time; progress, cancellation and no leaks; typed errors', async () => {
    const model = cnn();
    const x = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 11);
    const before = tf.memory().numTensors;
    const runs: [string, (m: tf.LayersModel, t: tf.Tensor, o: Record<string, unknown>) => Promise<tf.Tensor>][] = [
      ['layerConductance', layerConductance], ['internalInfluence', internalInfluence], ['layerIntegratedGradients', layerIntegratedGradients],
      ['neuronGradient', (m, t, o) => neuronGradient(m, t, { neuron: 5, layer: o.layer as string })],
    ];
    for (const [name, fn] of runs) {
      const batch = await arr(await fn(model, x, { layer: 'c1', steps: 6, batchSize: 5, target: [0, 2] }));
      const item = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
      const one = await arr(await fn(model, item, { layer: 'c1', steps: 6, batchSize: 4, target: 2 }));
      item.dispose();
      const second = batch.slice(batch.length / 2);
      const scale = Math.max(1e-6, ...second.map(Math.abs));
      expect({ name, same: Math.max(...one.map((v, i) => Math.abs(v - second[i]))) / scale < 1e-5 }).toEqual({ name, same: true });
    }
    const progress: number[] = [];
    (await layerConductance(model, x, { steps: 4, batchSize: 3, onProgress: (d) => progress.push(d) })).dispose();
    expect(progress).toEqual([3, 6, 8]);
    const ac = new AbortController();
    await expectLeakFreeError(() => internalInfluence(model, x, { steps: 4, batchSize: 2, onProgress: () => ac.abort(), signal: ac.signal }), Error, /cancel|abort/i);
    expect(tf.memory().numTensors).toBe(before);
    await expectLeakFreeError(() => layerIntegratedGradients(model, x, { layer: 'c9' }), UnknownLayerError, /layerIntegratedGradients: unknown layer "c9"/);
    await expectLeakFreeError(() => layerConductance((t: tf.Tensor4D) => tf.sum(t, [1, 2]), x), LayerError, /plain function/);
    await expectLeakFreeError(() => neuronGradient(model, x, { layer: 'c1', neuron: 108 }), OptionError, /neuron 108 is out of range: layer "c1" has 108 units per item \(shape \[6,6,3\]; valid: 0 to 107\)/);
    await expectLeakFreeError(() => internalInfluence(model, x, { steps: 0 }), OptionError, /steps must be an integer/);
    x.dispose();
    model.dispose();
  });

  test('widgets: a layer attribution becomes one map per image at the image size; a dense layer is refused', async () => {
    const model = cnn();
    const x = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 13) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const maps = await methodMaps(model, x, 'layerConductance', { layer: 'c1', steps: 2 });
    expect(maps.length).toBe(2 * 8 * 8);
    expect(maps.some((v) => v !== 0)).toBe(true);
    await expect(methodMaps(model, x, 'internalInfluence', { layer: 'out', steps: 2 })).rejects.toThrow(/internalInfluence: the result has shape \[2,3\], which is not a picture/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
