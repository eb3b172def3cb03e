import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { OptionError } from '../../src/errors';
import { occlusion, occlusionContext, planOcclusion, runOcclusion } from '../../src/methods/occlusion';
import { incrementalUnsupported } from '../../src/methods/occlusion-incremental';
import { loadModel } from '../../src/models/load';
import { buildZoo, zooInput, ZooName } from '../fixtures/zoo';
import { toGraphModel } from '../fixtures/graph-model';
import { randomCnn, randomInput, RANDOM_CNNS } from '../reference/models';
import { mulberry32 } from '../../src/random';

/** Seeded weights in [-0.5, 0.5) (BN variances positive) so that every layer's output varies with the input. */
function seed(model: tf.LayersModel, s: number): tf.LayersModel {
  const rand = mulberry32(s);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(ws.map((w, i) => {
      const vals = Float32Array.from({ length: w.size }, () => rand() - 0.5);
      if (layer.getClassName() === 'BatchNormalization' && i === ws.length - 1) vals.forEach((v, j) => (vals[j] = 0.5 + Math.abs(v)));
      return tf.tensor(vals, w.shape);
    }));
  }
  return model;
}

/** Every local layer kind in one chain: strides, dilation, same/valid padding, pooling, BN, padding. */
function chainModel(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [20, 18, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.batchNormalization(),
    tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' }),
    tf.layers.leakyReLU(),
    tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid', depthMultiplier: 2, activation: 'elu' }),
    tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh' }),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
}

/** A residual Add, a Concatenate, a 'same' average pooling (recomputed in full) before global pooling. */
function branchModel(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
  const add = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 1, strides: 2 }).apply(add) as tf.SymbolicTensor;
  const d = tf.layers.maxPooling2d({ poolSize: 2 }).apply(add) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([c, d]) as tf.SymbolicTensor;
  const avg = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(cat) as tf.SymbolicTensor;
  const e = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(avg) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(e) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4 }).apply(g) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function inputFor(model: tf.LayersModel, n: number, s = 3): tf.Tensor4D {
  const [, h, w, c] = model.inputs[0].shape as number[];
  const rand = mulberry32(s);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => rand()), [n, h, w, c]);
}

/** Incremental and full maps agree to 1e-5 relative (to the map's largest value), and no tensor is left behind. */
async function expectSame(model: tf.LayersModel | tf.GraphModel, x: tf.Tensor4D, options: Record<string, unknown>): Promise<void> {
  const full = await occlusion(model, x, { ...options, algorithm: 'full' });
  const before = tf.memory().numTensors;
  const inc = await occlusion(model, x, { ...options, algorithm: 'incremental' });
  expect(tf.memory().numTensors).toBe(before + 1);
  const a = await full.data();
  const b = await inc.data();
  const scale = Math.max(1e-6, ...Array.from(a, Math.abs));
  const worst = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  expect(worst / scale).toBeLessThan(1e-5);
  tf.dispose([full, inc]);
}

describe.each(['cpu', 'wasm'] as const)('incremental occlusion on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('a chain of every local layer kind, odd window and stride, two items, a tensor baseline', async () => {
    const model = seed(chainModel(), 5);
    const x = inputFor(model, 2);
    const baseline = tf.fill([1, 1, 1, 2], 0.3);
    expect(incrementalUnsupported(model)).toBeNull();
    await expectSame(model, x, { window: [5, 3], stride: [3, 4], baseline, batchSize: 7 });
    await expectSame(model, x, { window: 2, stride: 3, batchSize: 64, preSoftmax: false });
    tf.dispose([x, baseline]);
    model.dispose();
  });

  test('residual Add, Concatenate, and a layer recomputed in full (same average pooling)', async () => {
    const model = seed(branchModel(), 6);
    const x = inputFor(model, 1);
    await expectSame(model, x, { window: 4, stride: 3, batchSize: 9 });
    x.dispose();
    model.dispose();
  });

  test.each(RANDOM_CNNS)('the reference random CNN %s', async (kind) => {
    const model = randomCnn(kind);
    const x = randomInput(model, 2);
    await expectSame(model, x, { window: 3, stride: 2 });
    x.dispose();
    model.dispose();
  });

  test.each(['shapes', 'road', 'rings'])('the shipped model %s', async (name) => {
    const model = (await loadModel(name)) as tf.LayersModel;
    const x = inputFor(model, 1, 9);
    await expectSame(model, x, { window: 16, stride: 16 });
    x.dispose();
    model.dispose();
  });

  const zoo: ZooName[] = backend === 'wasm' ? ['mobilenetV2', 'resnetBottleneck', 'miniXception', 'mobilenetV3Small', 'efficientNetBlock', 'inceptionBlock', 'denseNetBlock'] : ['mobilenetV2', 'resnetBottleneck'];
  test.each(zoo)('the zoo architecture %s', async (name) => {
    const { model, entry } = buildZoo(name);
    const x = zooInput(entry, 1);
    const size = x.shape[1];
    await expectSame(model, x, { window: Math.round(size / 4), stride: Math.round(size / 4) });
    x.dispose();
    model.dispose();
  });

  test("a layer applied twice: 'incremental' is an OptionError saying why, 'auto' runs full occlusion", async () => {
    const input = tf.input({ shape: [8, 8, 1] });
    const conv = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same' });
    const twice = conv.apply(conv.apply(input)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(twice)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = inputFor(model, 1);
    expect(incrementalUnsupported(model)).toMatch(/more than once/);
    const before = tf.memory().numTensors;
    await expect(occlusion(model, x, { algorithm: 'incremental' })).rejects.toThrow(OptionError);
    await expect(occlusion(model, x, { algorithm: 'incremental' })).rejects.toThrow(/applied more than once.*'auto' or 'full'/);
    expect(tf.memory().numTensors).toBe(before);
    const auto = await occlusion(model, x, { algorithm: 'auto', window: 4 });
    const full = await occlusion(model, x, { algorithm: 'full', window: 4 });
    expect(Array.from(await auto.data())).toEqual(Array.from(await full.data()));
    tf.dispose([auto, full, x]);
    model.dispose();
  });

  test('a GraphModel runs full occlusion under auto; incremental says it needs a LayersModel', async () => {
    const layers = randomCnn('separateFlatten');
    const graph = await toGraphModel(layers);
    const x = randomInput(layers, 1);
    await expect(occlusion(graph, x, { algorithm: 'incremental' })).rejects.toThrow(/needs a tf.LayersModel/);
    const m = await occlusion(graph, x, { window: 3 });
    expect(m.shape).toEqual([1, ...x.shape.slice(1, 3)]);
    tf.dispose([m, x]);
    layers.dispose();
  });

  test('partial maps after each batch, and runOcclusion picks the evaluator by algorithm and frees it', async () => {
    const model = randomCnn('fusedGapSoftmax');
    const x = randomInput(model, 2);
    const partials: Float32Array[] = [];
    const map = await occlusion(model, x, {
      window: 3, stride: 2, batchSize: 5, algorithm: 'incremental',
      onPartial: async (p) => { partials.push(Float32Array.from(await p.data())); },
    });
    expect(partials.length).toBeGreaterThan(2);
    expect(Array.from(partials[partials.length - 1])).toEqual(Array.from(await map.data()));
    const context = await occlusionContext(model, x);
    const plan = await planOcclusion(context, { window: 3, stride: 2 });
    const before = tf.memory().numTensors;
    const again = await runOcclusion(context, plan, { algorithm: 'incremental' });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(await again.data())).toEqual(Array.from(await map.data()));
    tf.dispose([map, again, x]);
    context.dispose();
    plan.dispose();
    model.dispose();
  });

  test('a bad algorithm is an OptionError listing the choices', async () => {
    const model = randomCnn('separateFlatten');
    const x = randomInput(model, 1);
    await expect(occlusion(model, x, { algorithm: 'fast' as never })).rejects.toThrow(/unknown algorithm "fast"; choices: auto, full, incremental/);
    x.dispose();
    model.dispose();
  });
});
