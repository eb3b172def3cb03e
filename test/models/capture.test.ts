/** The capture primitive: several layers in one pass, replace, stopAfter, nested models, GraphModels, leaks, errors. */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { AmbiguousLayerError, LayerError, OptionError, UnknownLayerError } from '../../src/errors';
import { capture, forwardScores, listLayers } from '../../src/models';
import { toConvertedGraphModel } from '../fixtures/graph-model';
import { randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';

/** Counts every layer's `call` (an own property, removed by `restore`). */
function countCalls(model: tf.LayersModel): { counts: Map<string, number>; restore(): void } {
  const counts = new Map<string, number>();
  const layers = model.layers as unknown as { name: string; call: (...a: unknown[]) => unknown }[];
  for (const layer of layers) {
    const original = layer.call;
    counts.set(layer.name, 0);
    layer.call = (...a: unknown[]) => {
      counts.set(layer.name, (counts.get(layer.name) as number) + 1);
      return original.apply(layer, a);
    };
  }
  return { counts, restore: () => layers.forEach((l) => delete (l as { call?: unknown }).call) };
}

/** The output of one layer of a Sequential, from a submodel (tfjs's own graph runner). */
function layerOutput(model: tf.LayersModel, name: string, x: tf.Tensor): tf.Tensor {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
}

/** The layers of a Sequential after `name`, applied to `a`. */
function applyAfter(model: tf.LayersModel, name: string, a: tf.Tensor): tf.Tensor {
  const i = model.layers.findIndex((l) => l.name === name);
  return model.layers.slice(i + 1).reduce((y, l) => l.apply(y) as tf.Tensor, a);
}

/** A functional model around a nested Sequential, with a skip branch that bypasses it. */
function nested(): tf.LayersModel {
  const inner = tf.sequential({
    name: 'inner',
    layers: [
      tf.layers.conv2d({ name: 'ic1', inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }),
      tf.layers.conv2d({ name: 'ic2', filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
      tf.layers.flatten({ name: 'iflat' }),
    ],
  });
  const input = tf.input({ shape: [6, 6, 2], name: 'img' });
  const deep = inner.apply(input) as tf.SymbolicTensor;
  const skip = tf.layers.dense({ name: 'skip', units: 8, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }).apply(tf.layers.flatten({ name: 'sflat' }).apply(input)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(tf.layers.concatenate({ name: 'cat' }).apply([deep, skip])) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function expectClose(got: tf.Tensor, want: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  expect(relErr(await got.data(), await want.data())).toBeLessThan(tol);
}

describe.each(['cpu', 'wasm'] as const)('capture on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('several layers in one pass, in the order asked, equal to the layers\' outputs; the scores too', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 2, 1);
    const calls = countCalls(model);
    const n0 = tf.memory().numTensors;
    const c = capture(model, x, { layers: ['r2', 'c1', 'd1'] });
    // Nothing but what it returns is left behind.
    expect(tf.memory().numTensors).toBe(n0 + 4);
    calls.restore();
    expect([...calls.counts.values()].every((v) => v === 1)).toBe(true);
    for (const [i, name] of ['r2', 'c1', 'd1'].entries()) {
      const want = layerOutput(model, name, x);
      await expectClose(c.activations[i], want);
      want.dispose();
    }
    const predicted = model.predict(x) as tf.Tensor;
    await expectClose(c.scores as tf.Tensor, predicted);
    tf.dispose([...c.activations, c.scores as tf.Tensor, predicted, x]);
    expect(tf.memory().numTensors).toBe(n0 - 1);
    model.dispose();
  });

  test('stopAfter: nothing after the last captured layer runs; replace by a function or a tensor', async () => {
    const model = randomCnn('separateFlatten', 3);
    const x = randomInput(model, 2, 2);
    const calls = countCalls(model);
    const stopped = tf.tidy(() => {
      const c = capture(model, x, { layers: ['p1', 'r1'], stopAfter: true });
      expect(c.scores).toBeNull();
      return c.activations;
    });
    calls.restore();
    expect(Object.fromEntries(calls.counts)).toEqual({ c1: 1, r1: 1, p1: 1, c2: 0, r2: 0, flat: 0, d1: 0, out: 0 });
    const p1 = layerOutput(model, 'p1', x);
    await expectClose(stopped[0], p1);
    // Downstream of a replaced layer sees the replacement; the captured value is the replaced one.
    const halved = tf.tidy(() => tf.mul(layerOutput(model, 'r1', x), 0.5));
    const want = tf.tidy(() => applyAfter(model, 'r1', halved));
    const [fa, fs, ta, ts] = tf.tidy(() => {
      const f = capture(model, x, { layers: ['r1'], replace: { layer: 'r1', by: (a) => tf.mul(a, 0.5) } });
      const t = capture(model, x, { layers: ['r1'], replace: { layer: 'r1', by: halved } });
      return [f.activations[0], f.scores as tf.Tensor, t.activations[0], t.scores as tf.Tensor];
    });
    for (const [a, s] of [[fa, fs], [ta, ts]]) {
      await expectClose(a, halved);
      await expectClose(s, want);
    }
    expect(halved.isDisposed).toBe(false);
    tf.dispose([...stopped, p1, halved, want, fa, fs, ta, ts, x]);
    model.dispose();
  });

  test('nested functional model: inner layers by name, a replaced inner activation gets the gradient of the scores', async () => {
    const model = nested();
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const logits = tf.tidy(() => forwardScores('t', model, x));
    const [ic2, cat, scores] = tf.tidy(() => {
      const c = capture(model, x, { layers: ['ic2', 'cat'], replace: { layer: 'ic2', by: (a) => a } });
      return [...c.activations, c.scores as tf.Tensor];
    });
    expect(ic2.shape).toEqual([2, 2, 2, 2]);
    expect(cat.shape).toEqual([2, 16]);
    await expectClose(scores, logits, 1e-6);
    // ∂ score_1 / ∂ ic2 through replace, against central differences with the activation replaced by a tensor.
    const g = tf.tidy(() => tf.grad((d: tf.Tensor) => tf.sum(tf.slice(capture(model, x, { layers: [], replace: { layer: 'ic2', by: (a) => tf.add(a, d) } }).scores as tf.Tensor, [0, 1], [-1, 1])))(tf.zerosLike(ic2)));
    const gv = await g.data();
    const a0 = await ic2.data();
    const score = (v: Float32Array) => tf.tidy(() => tf.sum(tf.slice(capture(model, x, { layers: [], replace: { layer: 'ic2', by: tf.tensor4d(v, [2, 2, 2, 2]) } }).scores as tf.Tensor, [0, 1], [-1, 1])).dataSync()[0]);
    for (const i of [0, 5, 11, 15]) {
      const h = 1e-2;
      const p = Float32Array.from(a0); p[i] += h;
      const m = Float32Array.from(a0); m[i] -= h;
      expect(gv[i]).toBeCloseTo((score(p) - score(m)) / (2 * h), 3);
    }
    tf.dispose([logits, ic2, cat, scores, g, x]);
    for (const l of model.layers) expect(Object.prototype.hasOwnProperty.call(l, 'call')).toBe(false);
    model.dispose();
  });

  test('GraphModel: short and full node names, one execution that stops early, replace; same values as the LayersModel', async () => {
    const model = randomCnn('separateFlatten', 4);
    const graph = await toConvertedGraphModel(model);
    const x = randomInput(model, 2, 3);
    const d1 = listLayers(graph).find((l) => l.shortName === 'd1')?.name as string;
    expect(d1).toMatch(/\/d1\/Relu$/);
    const n0 = tf.memory().numTensors;
    const g = capture(graph, x, { layers: ['r1', d1] });
    expect(tf.memory().numTensors).toBe(n0 + 3);
    const k = tf.tidy(() => {
      const c = capture(model, x, { layers: ['r1', 'd1'] });
      return [...c.activations, c.scores as tf.Tensor];
    });
    for (let i = 0; i < 2; i++) await expectClose(g.activations[i], k[i]);
    await expectClose(g.scores as tf.Tensor, k[2]);
    // stopAfter at r1 runs one convolution only (the fused conv of c1 + r1).
    const profile = await tf.profile(() => {
      tf.dispose(capture(graph, x, { layers: ['r1'], stopAfter: true }).activations);
    });
    expect(profile.kernels.map((kk) => kk.name).filter((name) => /Conv2D/.test(name))).toEqual(['FusedConv2D']);
    // Replace: the fed node is not computed; the rest sees the replacement.
    const zeros = tf.zerosLike(k[0]);
    const [gz, kz] = tf.tidy(() => [
      capture(graph, x, { layers: [], replace: { layer: 'r1', by: zeros } }).scores as tf.Tensor,
      capture(model, x, { layers: [], replace: { layer: 'r1', by: zeros } }).scores as tf.Tensor,
    ]);
    await expectClose(gz, kz);
    tf.dispose([...g.activations, g.scores as tf.Tensor, ...k, zeros, gz, kz]);
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
    graph.dispose();
    model.dispose();
  });

  test('bad arguments get typed errors, leak nothing and leave the model unpatched', () => {
    const model = randomCnn('fusedGapSoftmax', 5);
    const x = randomInput(model, 1, 4);
    const n0 = tf.memory().numTensors;
    const fail = (fn: () => unknown, type: new (...a: never[]) => Error, message: RegExp | string) => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
      expect(tf.memory().numTensors).toBe(n0);
    };
    fail(() => capture((v: tf.Tensor4D) => v, x, { layers: ['c1'] }), LayerError, /^capture: a plain function has no layers/);
    fail(() => capture(model, x, { layers: ['c1', 'c9'] }), UnknownLayerError, 'capture: unknown layer "c9"; layers: c1, p1, c2, c3, gap, out');
    fail(() => capture(model, x, { layers: ['c1', 'c1'] }), OptionError, 'capture: layers lists "c1" more than once');
    fail(() => capture(model, x, { layers: [], stopAfter: true }), OptionError, /stopAfter needs at least one layer/);
    fail(() => capture(model, x, { layers: 'c1' as unknown as string[] }), OptionError, /layers must be an array of layer names/);
    fail(() => capture(model, x, { layers: [], replace: { layer: 'c1', by: 3 as unknown as tf.Tensor } }), OptionError, /replace must be/);
    fail(() => capture(model, x, { layers: [], replace: { layer: 'c1', by: () => { throw new Error('boom'); } } }), Error, 'boom');
    for (const l of model.layers) expect(Object.prototype.hasOwnProperty.call(l, 'call')).toBe(false);
    x.dispose();
    model.dispose();
  });

  test('a name that layers of two nested models share is ambiguous; the qualified name works', async () => {
    const block = (name: string, c: number) => tf.sequential({ name, layers: [tf.layers.conv2d({ name: 'conv', inputShape: [5, 5, c], filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' })] });
    const input = tf.input({ shape: [5, 5, 1], name: 'image' });
    const a = block('block_a', 1).apply(input) as tf.SymbolicTensor;
    const b = block('block_b', 2).apply(a) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'predictions', units: 2 }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(b)) as tf.SymbolicTensor, name: 'twice' });
    const graph = await toConvertedGraphModel(model);
    const x = tf.randomUniform([1, 5, 5, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
    for (const m of [model, graph]) {
      expect(() => capture(m, x, { layers: ['conv'] })).toThrow(AmbiguousLayerError);
      const err = (() => { try { capture(m, x, { layers: ['conv'] }); } catch (e) { return e as AmbiguousLayerError; } })() as AmbiguousLayerError;
      expect(err.candidates.map((c) => c.replace(/^StatefulPartitionedCall\/twice\//, '').replace(/\/Relu$/, ''))).toEqual(['block_a/conv', 'block_b/conv']);
      expect(listLayers(m).map((l) => l.shortName).filter((s) => s.endsWith('conv'))).toEqual(['block_a/conv', 'block_b/conv']);
    }
    const [ka, ga] = tf.tidy(() => [capture(model, x, { layers: ['block_b/conv'] }).activations[0], capture(graph, x, { layers: ['block_b/conv'] }).activations[0]]);
    await expectClose(ga, ka);
    tf.dispose([ka, ga, x]);
    graph.dispose();
    model.dispose();
  });
});
