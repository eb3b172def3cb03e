/**
 * A tensor on the GPU as a cell's result: the kernel's tfjs hook reads its values asynchronously first
 * (beforeResult), so that showing it works on webgpu in Node, where a synchronous read cannot.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../src/errors';
import { tfjsHooks } from '../../src/kernel/tfjs-hooks';
import { useWebGPU } from './helpers';

beforeAll(useWebGPU);

test('a GPU tensor shows its values once beforeResult has read them', async () => {
  const made = () => tf.mul(tf.range(0, 1200), tf.scalar(0.5)); // above the CPU hand-off size: made on the GPU
  const first = made();
  expect(() => tfjsHooks.resultBundle?.(first)).toThrow(BackendError); // what the kernel met without the hook
  const t = made();
  await tfjsHooks.beforeResult?.(t);
  const bundle = tfjsHooks.resultBundle?.(t);
  expect(bundle?.['text/plain']).toBe(t.toString());
  expect(bundle?.['text/plain']).toBe('Tensor\n    [0, 0.5, 1, ..., 598.5, 599, 599.5]');
  tf.dispose([first, t]);
});
