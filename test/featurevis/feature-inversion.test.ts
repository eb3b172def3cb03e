import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError, InputError, OptionError, UnknownLayerError } from '../../src/errors';
import { featureInversion } from '../../src/methods/feature-inversion';
import { data } from '../../src/data';
import { loadModel } from '../../src/models/load';
import { registerWasmTrainingKernels } from '../../src/models/train-kernels';
import { grayValues, pearson, randomConvNet, testPicture, toGraphModel, trainedColorClassifier } from './helpers';

/** A classifier trained here in seconds (3 colors, 32×32): fast enough for the cpu backend too. */
let classifier: tf.LayersModel;
/** The shipped shapes classifier (64×64) and one of its scenes: the checks run on them (wasm). */
let shapesModel: tf.LayersModel;
let scene: tf.Tensor4D;

beforeAll(async () => {
  await setBackend('wasm');
  registerWasmTrainingKernels();
  classifier = await trainedColorClassifier(32);
  shapesModel = (await loadModel('shapes')) as tf.LayersModel;
  const ds = data.shapes({ n: 1, seed: 3 });
  scene = ds.images;
  tf.dispose([ds.labels, ds.masks]);
});

/** ‖Φ(a) − Φ(b)‖ / ‖Φ(b)‖ at a layer, computed with a tfjs submodel (independent of the method's code). */
async function relativeError(model: tf.LayersModel, layer: string, a: tf.Tensor4D, b: tf.Tensor4D): Promise<number> {
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
  const r = tf.tidy(() => {
    const fa = sub.predict(a) as tf.Tensor;
    const fb = sub.predict(b) as tf.Tensor;
    return tf.div(tf.norm(tf.sub(fa, fb)), tf.norm(fb));
  });
  const v = (await r.data())[0];
  r.dispose();
  return v;
}

describe.each(['wasm', 'cpu'] as const)('feature inversion on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('at a middle layer the activations come within 10% (relative L2) of the target', async () => {
    // wasm: the shapes classifier's middle block with the default 400 steps; cpu: the small classifier.
    const [model, picture, layer, steps] = backend === 'wasm' ? [shapesModel, scene, 'block2_conv1', undefined] : [classifier, testPicture(32), 'conv2', 150];
    const objectives: number[] = [];
    const out = await featureInversion(model, picture, { layer, steps, onStep: (e) => void objectives.push(e.objective) });
    expect(out.shape).toEqual(picture.shape);
    const rel = await relativeError(model, layer, out, picture);
    expect(rel).toBeLessThanOrEqual(0.1);
    // The reported objective is that relative error (measured before the last update).
    expect(objectives[0]).toBeGreaterThan(0.3);
    expect(Math.abs(objectives[objectives.length - 1] - rel)).toBeLessThan(0.02);
    out.dispose();
    if (picture !== scene) picture.dispose();
  });

  if (backend === 'wasm') {
    test('at the first convolution the inverted image correlates with the original (Pearson ≥ 0.6, grayscale)', async () => {
      const out = await featureInversion(shapesModel, scene, { layer: 'block1_conv1', steps: 100 });
      const r = pearson(await grayValues(out), await grayValues(scene));
      expect(r).toBeGreaterThanOrEqual(0.6);
      // A different picture's inversion does not correlate as well: the test can tell them apart.
      const other = tf.tidy(() => tf.reverse(scene, [1, 2]) as tf.Tensor4D);
      const r2 = pearson(await grayValues(out), await grayValues(other));
      expect(r2).toBeLessThan(r - 0.3);
      tf.dispose([out, other]);
    });

    test('a batch, a GraphModel, the Fourier parameterization and the caffe preset', async () => {
      const model = randomConvNet(4, 16);
      const graph = await toGraphModel(model);
      const pictures = tf.concat([testPicture(16), tf.reverse(testPicture(16), 2)]) as tf.Tensor4D;
      const a = await featureInversion(model, pictures, { layer: 'conv2', steps: 20, seed: 3 });
      const g = await featureInversion(graph, pictures, { layer: 'conv2', steps: 20, seed: 3 });
      expect(a.shape).toEqual([2, 16, 16, 3]);
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, g))));
      expect((await d.data())[0]).toBeLessThan(1e-4);
      // The caffe preset: the model sees BGR minus the means; the result lies in that range.
      const caffeModel = tf.sequential({ layers: [tf.layers.rescaling({ scale: 1 / 255, inputShape: [16, 16, 3] }), model] });
      const caffeInput = tf.tidy(() => tf.sub(tf.mul(tf.reverse(pictures, -1), 255), tf.tensor1d([103.939, 116.779, 123.68]))) as tf.Tensor4D;
      const f = await featureInversion(caffeModel, caffeInput, { layer: 'conv2', steps: 20, parameterization: 'fourier', preprocess: 'caffe' });
      const [lo, hi] = [(await f.min().data())[0], (await f.max().data())[0]];
      expect(lo).toBeGreaterThanOrEqual(-123.68);
      expect(hi).toBeLessThanOrEqual(255 - 103.939);
      tf.dispose([pictures, a, g, d, caffeInput, f]);
      model.dispose();
    });

    test('no tensor leaks over 300 steps; cancellation leaks nothing either', async () => {
      const model = randomConvNet(5, 16);
      const picture = testPicture(16);
      (await featureInversion(model, picture, { layer: 'conv2', steps: 2 })).dispose();
      const before = tf.memory().numTensors;
      const out = await featureInversion(model, picture, { layer: 'conv3', steps: 300, tv: 0.2, l2: 0.1, jitter: 1, rotate: 5, blurEvery: 7, imageEvery: 100, onStep: () => undefined });
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const controller = new AbortController();
      await expect(featureInversion(model, picture, { layer: 'conv2', steps: 50, signal: controller.signal, onStep: (e) => { if (e.step === 3) controller.abort('stop'); } })).rejects.toThrow(CancelledError);
      expect(tf.memory().numTensors).toBe(before);
      picture.dispose();
      model.dispose();
    });
  }

  test('bad input gets typed errors', async () => {
    const model = randomConvNet(1, 16);
    const picture = testPicture(16);
    await expect(featureInversion(model, picture, { layer: 'conv7' })).rejects.toThrow(UnknownLayerError);
    await expect(featureInversion(model, picture, { layer: 'conv1', stepSize: 0 })).rejects.toThrow(OptionError);
    await expect(featureInversion(model, picture, { layer: 'conv1', steps: 0 })).rejects.toThrow(/steps must be an integer from 1/);
    await expect(featureInversion(model, picture, { layer: 'conv1', schedule: 'linear' as 'cosine' })).rejects.toThrow(/unknown schedule "linear"; choices: constant, cosine/);
    await expect(featureInversion(model, tf.zeros([16, 16, 3]) as unknown as tf.Tensor4D, { layer: 'conv1' })).rejects.toThrow(InputError);
    await expect(featureInversion(model, tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, { layer: 'conv1' })).rejects.toThrow(/does not fit the model's input/);
    picture.dispose();
    model.dispose();
  });
});
