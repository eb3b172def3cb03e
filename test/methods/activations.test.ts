import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, LayerError, OptionError, UnknownLayerError } from '../../src/errors';
import { layerActivations } from '../../src/methods/layer-activations';
import { toGraphModel } from '../fixtures/graph-model';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { itemOf, RefNet, relErr } from '../reference/net';

/** 2×2×1 → 1×1 conv, weights [1, −1], bias [0, 1] (channels x and 1 − x) → ReLU → GAP → dense. */
function tinyModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [2, 2, 1], filters: 2, kernelSize: 1 }),
      tf.layers.reLU({ name: 'r' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'out', units: 3 }),
    ],
  });
  model.layers[0].setWeights([tf.tensor4d([[[[1, -1]]]]), tf.tensor1d([0, 1])]);
  return model;
}

async function expectNear(t: tf.Tensor, expected: unknown[], shape: number[], tol = 1e-5): Promise<void> {
  expect(t.shape).toEqual(shape);
  const want = expected.flat(3) as number[];
  const got = Array.from(await t.data());
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol * Math.max(1, Math.abs(want[i]))));
}

async function expectLeakFreeError(fn: () => Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp | string): Promise<void> {
  const before = tf.memory().numTensors;
  const err = await fn().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe.each(['cpu', 'wasm'] as const)('layerActivations on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('golden activations and per-channel statistics, in the order asked', async () => {
    const model = tinyModel();
    const x = tf.tensor4d([[[[1], [2]], [[3], [4]]]]);
    const n0 = tf.memory().numTensors;
    const [gap, conv, r] = await layerActivations(model, x, { layers: ['gap', 'conv', 'r'] });
    expect([gap.layer, conv.layer, r.layer]).toEqual(['gap', 'conv', 'r']);
    // conv: channel 0 = x = [1,2,3,4], channel 1 = 1 − x = [0,−1,−2,−3]; population std √1.25 for both.
    await expectNear(conv.activation, [[[[1, 0], [2, -1]], [[3, -2], [4, -3]]]], [1, 2, 2, 2]);
    await expectNear(conv.mean, [[2.5, -1.5]], [1, 2]);
    await expectNear(conv.max, [[4, 0]], [1, 2]);
    await expectNear(conv.min, [[1, -3]], [1, 2]);
    await expectNear(conv.std, [[Math.sqrt(1.25), Math.sqrt(1.25)]], [1, 2]);
    // After the ReLU channel 1 is all zero.
    await expectNear(r.mean, [[2.5, 0]], [1, 2]);
    await expectNear(r.std, [[Math.sqrt(1.25), 0]], [1, 2]);
    // GAP has no spatial axes: the statistics are the values, std 0.
    await expectNear(gap.activation, [[2.5, 0]], [1, 2]);
    await expectNear(gap.mean, [[2.5, 0]], [1, 2]);
    await expectNear(gap.max, [[2.5, 0]], [1, 2]);
    await expectNear(gap.min, [[2.5, 0]], [1, 2]);
    await expectNear(gap.std, [[0, 0]], [1, 2]);
    expect(tf.memory().numTensors).toBe(n0 + 15);
    tf.dispose([gap, conv, r] as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
    model.dispose();
  });

  test('one pass that stops after the last named layer; the model is left as it was', async () => {
    const model = tinyModel();
    const x = tf.ones([2, 2, 2, 1]) as tf.Tensor4D;
    const out = model.getLayer('out') as unknown as { call: (...a: unknown[]) => unknown };
    expect(Object.prototype.hasOwnProperty.call(out, 'call')).toBe(false);
    const original = out.call;
    let outRuns = 0;
    out.call = (...a: unknown[]) => {
      outRuns++;
      return original.apply(out, a);
    };
    const res = await layerActivations(model, x, { layers: ['conv', 'r'] });
    expect(outRuns).toBe(0);
    tf.dispose(res as unknown as tf.TensorContainer);
    delete (out as { call?: unknown }).call;
    for (const layer of model.layers) expect(Object.prototype.hasOwnProperty.call(layer, 'call')).toBe(false);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 3]);
    tf.dispose([y, x]);
    model.dispose();
  });

  test.each(RANDOM_CNNS)('agrees with the float64 reference on every layer of %s; batched equals unbatched', async (kind) => {
    const model = randomCnn(kind, 12);
    const ref = await RefNet.fromModel(model);
    const x = randomInput(model, 2, 21);
    const before = Array.from(await x.data());
    const n0 = tf.memory().numTensors;
    const all = await layerActivations(model, x, { layers: ref.layerNames });
    for (let n = 0; n < 2; n++) {
      const item = await itemOf(x, n);
      const outs = ref.forward(item, false).outputs;
      const xn = tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
      const one = await layerActivations(model, xn, { layers: ref.layerNames });
      for (let i = 0; i < all.length; i++) {
        const a = await all[i].activation.data();
        const per = a.length / 2;
        expect(relErr(a.subarray(n * per, (n + 1) * per), outs[i].d)).toBeLessThan(1e-5);
        expect(relErr(await one[i].activation.data(), a.subarray(n * per, (n + 1) * per))).toBeLessThan(1e-6);
        // Statistics against the reference activation, channel by channel.
        const { h, w, c, d } = outs[i];
        const [mean, max, min, std] = await Promise.all([all[i].mean, all[i].max, all[i].min, all[i].std].map((t) => t.data()));
        for (let k = 0; k < c; k++) {
          const v = Array.from({ length: h * w }, (_, p) => d[p * c + k]);
          const m = v.reduce((s, e) => s + e, 0) / v.length;
          const sd = Math.sqrt(v.reduce((s, e) => s + (e - m) ** 2, 0) / v.length);
          const scale = Math.max(1, ...v.map(Math.abs));
          expect(Math.abs(mean[n * c + k] - m)).toBeLessThan(1e-5 * scale);
          expect(Math.abs(max[n * c + k] - Math.max(...v))).toBeLessThan(1e-5 * scale);
          expect(Math.abs(min[n * c + k] - Math.min(...v))).toBeLessThan(1e-5 * scale);
          expect(Math.abs(std[n * c + k] - sd)).toBeLessThan(1e-4 * scale);
        }
      }
      tf.dispose([xn, one as unknown as tf.TensorContainer]);
    }
    tf.dispose(all as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Array.from(await x.data())).toEqual(before);
    x.dispose();
    model.dispose();
  });

  test('GraphModel nodes give the same activations as the LayersModel layers', async () => {
    const model = randomCnn('separateFlatten', 13);
    const graph = await toGraphModel(model);
    const x = randomInput(model, 2, 4);
    const n0 = tf.memory().numTensors;
    const a = await layerActivations(model, x, { layers: ['r1', 'c2', 'd1'] });
    const b = await layerActivations(graph, x, { layers: ['r1', 'c2', 'd1'] });
    for (let i = 0; i < 3; i++) {
      expect(relErr(await b[i].activation.data(), await a[i].activation.data())).toBeLessThan(1e-5);
      expect(relErr(await b[i].std.data(), await a[i].std.data())).toBeLessThan(1e-4);
    }
    tf.dispose([a, b] as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(n0);
    await expectLeakFreeError(() => layerActivations(graph, x, { layers: ['r1', 'nope'] }), UnknownLayerError, /^layerActivations: unknown layer "nope"; layers: .*r1/);
    x.dispose();
    model.dispose();
    graph.dispose();
  });

  test('a layer inside a nested model', async () => {
    const inner = tf.sequential({ name: 'inner', layers: [tf.layers.conv2d({ name: 'ic', inputShape: [4, 4, 1], filters: 2, kernelSize: 3, padding: 'same' })] });
    const outer = tf.sequential({ layers: [inner, tf.layers.flatten({ name: 'f' }), tf.layers.dense({ name: 'd', units: 2 })] });
    const x = randomInput(outer, 1, 2);
    const [ic] = await layerActivations(outer, x, { layers: ['ic'] });
    const want = inner.predict(x) as tf.Tensor;
    expect(relErr(await ic.activation.data(), await want.data())).toBeLessThan(1e-6);
    tf.dispose([ic as unknown as tf.TensorContainer, want, x]);
    outer.dispose();
  });

  test('bad inputs get typed errors and leak nothing', async () => {
    const model = tinyModel();
    const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    await expectLeakFreeError(() => layerActivations(model, x, { layers: ['conv', 'conv9'] }), UnknownLayerError, 'layerActivations: unknown layer "conv9"; layers: conv, r, gap, out');
    await expectLeakFreeError(() => layerActivations(model, x, { layers: [] }), OptionError, /^layerActivations: layers must be a non-empty array of layer names, got \[\]; layers: conv, r, gap, out$/);
    await expectLeakFreeError(() => layerActivations(model, x, undefined as unknown as { layers: string[] }), OptionError, /layers must be a non-empty array/);
    await expectLeakFreeError(() => layerActivations(model, x, { layers: ['r', 'r'] }), OptionError, /^layerActivations: layers lists "r" more than once$/);
    await expectLeakFreeError(() => layerActivations((v: tf.Tensor4D) => v, x, { layers: ['r'] }), LayerError, /^layerActivations: a plain function has no layers/);
    const rank3 = tf.ones([2, 2, 1]);
    await expectLeakFreeError(() => layerActivations(model, rank3 as tf.Tensor4D, { layers: ['r'] }), InputError, /^layerActivations: input must be rank 4/);
    const ints = tf.ones([1, 2, 2, 1], 'int32');
    await expectLeakFreeError(() => layerActivations(model, ints as tf.Tensor4D, { layers: ['r'] }), InputError, /^layerActivations: input must be float32/);
    const nan = tf.tensor4d([[[[NaN], [1]], [[1], [1]]]]);
    await expectLeakFreeError(() => layerActivations(model, nan, { layers: ['r'] }), InputError, /^layerActivations: input holds 1 NaN or Infinity value$/);
    tf.dispose([x, rank3, ints, nan]);
    model.dispose();
  });
});
