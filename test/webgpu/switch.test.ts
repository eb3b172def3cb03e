/**
 * Leaving webgpu in Node: a model used on webgpu keeps working after setBackend() switches to another
 * backend (its tensors are read back first), and a synchronous read on webgpu is a BackendError that
 * says what to do (tfjs-backend-webgpu's own fails with "OffscreenCanvas is not defined").
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { BackendError } from '../../src/errors';
import { randomCnn, randomInput } from '../reference/models';
import { useWebGPU } from './helpers';

beforeAll(useWebGPU);

test('a model used on webgpu gives the same scores after switching to wasm, then cpu', async () => {
  await useWebGPU();
  const model = randomCnn('fusedGapSoftmax', 2);
  const x = randomInput(model, 2, 5);
  const gpu = model.predict(x) as tf.Tensor; // the weights and x now live on the GPU
  const onGpu = Array.from(await gpu.data());
  const kept = tf.relu(gpu); // computed on the GPU, never read back: it must move too
  for (const backend of ['wasm', 'cpu'] as const) {
    await setBackend(backend);
    const scores = model.predict(x) as tf.Tensor;
    const values = Array.from(await scores.data());
    values.forEach((v, i) => expect(v).toBeCloseTo(onGpu[i], 5));
    scores.dispose();
  }
  expect(Array.from(kept.dataSync())).toEqual(onGpu.map((v) => Math.max(v, 0)));
  tf.dispose([gpu, kept, x]);
  model.dispose();
});

test('dataSync of a tensor on the GPU is a BackendError naming what to use instead', async () => {
  await useWebGPU();
  // Above tfjs-backend-webgpu's CPU hand-off size (1000 elements), so that the product is made on the GPU.
  const a = tf.range(0, 2000);
  const b = tf.mul(a, tf.scalar(2));
  const want = Array.from({ length: 2000 }, (_, i) => 2 * i);
  const read = () => b.dataSync();
  expect(read).toThrow(BackendError);
  expect(read).toThrow(/^webgpu: a tensor on the GPU cannot be read synchronously in Node .*use `await tensor\.data\(\)`/);
  expect(Array.from(await b.data())).toEqual(want);
  expect(Array.from(b.dataSync())).toEqual(want); // once read back, the cached values serve
  tf.dispose([a, b]);
});

test('tf.setBackend directly (not saliency-lab\'s) meets the same BackendError, not a ReferenceError', async () => {
  await useWebGPU();
  const a = tf.square(tf.range(0, 2000));
  await tf.setBackend('cpu');
  expect(() => a.dataSync()).toThrow(BackendError);
  await useWebGPU();
  a.dispose();
});
