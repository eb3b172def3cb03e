/**
 * Feature visualization on webgpu gives cpu's images: activation maximization (pixel and Fourier
 * parameterizations, random transforms on), feature inversion and DeepDream over two octaves, a few steps
 * each on a small random network, with no tensor left behind, to the methods' tolerance (1e-4 of the
 * largest value; on lavapipe the largest difference measured was 4.4e-5, feature inversion's).
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend, BackendName } from '../../src/backend';
import { activationMaximization } from '../../src/methods/activation-maximization';
import { featureInversion } from '../../src/methods/feature-inversion';
import { deepDream } from '../../src/methods/deep-dream';
import { relErr } from '../reference/net';
import { randomConvNet, testPicture } from '../featurevis/helpers';
import { useWebGPU } from './helpers';

const RUNS: Record<string, (model: tf.LayersModel) => Promise<tf.Tensor>> = {
  'activation maximization (pixel, class 1)': (m) => activationMaximization(m, { classIndex: 1, steps: 4, seed: 3 }),
  'activation maximization (Fourier, conv2 channel 5)': (m) =>
    activationMaximization(m, { layer: 'conv2', channel: 5, parameterization: 'fourier', steps: 4, seed: 4 }),
  'feature inversion (conv2)': (m) => withPicture((p) => featureInversion(m, p, { layer: 'conv2', steps: 4, seed: 5 })),
  'DeepDream (2 octaves)': (m) => withPicture((p) => deepDream(m, p, { layers: { conv2: 1, conv3: 0.5 }, octaves: 2, steps: 3, seed: 6 })),
};

async function withPicture(fn: (p: tf.Tensor4D) => Promise<tf.Tensor>): Promise<tf.Tensor> {
  const picture = testPicture(24);
  try {
    return await fn(picture);
  } finally {
    picture.dispose();
  }
}

async function run(backend: BackendName, name: string, model: tf.LayersModel): Promise<Float32Array> {
  if (backend === 'webgpu') await useWebGPU();
  else await setBackend(backend);
  const before = tf.memory().numTensors;
  const out = await RUNS[name](model);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

beforeAll(useWebGPU);

test.each(Object.keys(RUNS))('%s: webgpu gives cpu\'s image', async (name) => {
  const model = randomConvNet(2, 24);
  const cpu = await run('cpu', name, model);
  const gpu = await run('webgpu', name, model);
  expect(relErr(gpu, cpu)).toBeLessThan(1e-4);
  model.dispose();
});
