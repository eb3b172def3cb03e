/**
 * The batched-evaluation loop retries a batch too large for the backend (BatchTooLargeError, raised by
 * the webgpu backend for a buffer over the device's largest binding) in halves, keeps the smaller size
 * for later batches, and gives up at one unit. On webgpu itself: test/webgpu/memory.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { BackendError, BatchTooLargeError } from '../../src/errors';
import { runBatches } from '../../src/methods/loop';

/** A loop over 10 units whose evaluate fails for batches above `fits` units; records the ranges tried. */
function loop(fits: number, batchSize = 8) {
  const tried: [number, number][] = [];
  const progress: number[] = [];
  const result = runBatches<tf.Tensor, tf.Tensor, tf.Tensor>({
    where: 'test', total: 10, batchSize, initial: tf.scalar(0),
    evaluate: (start, end) => {
      tried.push([start, end]);
      if (end - start > fits) throw new BatchTooLargeError('webgpu', `${end - start} units do not fit`);
      return tf.scalar(end - start);
    },
    fold: (s, b) => tf.add(s, b),
    finish: (s) => tf.clone(s),
    onProgress: (done) => void progress.push(done),
  });
  return { tried, progress, result };
}

beforeAll(() => setBackend('cpu'));

test('a batch that does not fit is evaluated in halves, and later batches keep the smaller size', async () => {
  const before = tf.memory().numTensors;
  const { tried, progress, result } = loop(3);
  const out = await result;
  expect((await out.data())[0]).toBe(10); // every unit counted once
  expect(tried).toEqual([[0, 8], [0, 4], [0, 2], [2, 4], [4, 6], [6, 8], [8, 10]]);
  expect(progress).toEqual([2, 4, 6, 8, 10]);
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

test('one unit that does not fit is the error, and other errors are not retried', async () => {
  const before = tf.memory().numTensors;
  await expect(loop(0).result).rejects.toThrow('webgpu: 1 units do not fit');
  const other = runBatches<tf.Tensor, tf.Tensor, tf.Tensor>({
    where: 'test', total: 4, batchSize: 4, initial: tf.scalar(0),
    evaluate: () => {
      throw new BackendError('webgpu', 'something else');
    },
    fold: (s, b) => tf.add(s, b),
    finish: (s) => tf.clone(s),
  });
  await expect(other).rejects.toThrow('webgpu: something else');
  expect(tf.memory().numTensors).toBe(before);
});
