import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/models/train-kernels';

type Case = [h: number, w: number, k: number, stride: number, pad: 'same' | 'valid', n: number, ci: number, co: number];
const CASES: Case[] = [
  [9, 10, 3, 1, 'same', 2, 3, 4],
  [10, 11, 3, 2, 'same', 3, 2, 5],
  [11, 12, 5, 2, 'valid', 2, 3, 2],
  [8, 9, 1, 1, 'valid', 1, 4, 3],
  [7, 7, 3, 3, 'same', 2, 2, 2],
];

async function filterGrad(backend: string, c: Case): Promise<number[]> {
  await tf.setBackend(backend);
  const [h, w, k, s, pad, n, ci, co] = c;
  return tf.tidy(() => {
    const x = tf.randomNormal([n, h, w, ci], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([k, k, ci, co], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dw = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, s, pad).square().sum())(filter);
    expect(dw.shape).toEqual([k, k, ci, co]);
    return Array.from(dw.dataSync());
  });
}

test('wasm Conv2DBackpropFilter matches the cpu backend', async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  expect(registerWasmTrainingKernels()).toBe(false);
  for (const c of CASES) {
    const ref = await filterGrad('cpu', c);
    const got = await filterGrad('wasm', c);
    const scale = Math.max(...ref.map(Math.abs));
    const diff = Math.max(...ref.map((r, i) => Math.abs(r - got[i])));
    expect(diff / scale).toBeLessThan(1e-4);
  }
});

test('the wasm kernel does not leak tensors', async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const dw = tf.grad((ff: tf.Tensor) => tf.conv2d(x, ff as tf.Tensor4D, 1, 'same').sum())(f);
  expect(tf.memory().numTensors).toBe(before + 1);
  tf.dispose([dw, x, f]);
});
