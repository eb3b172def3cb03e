/**
 * GPU memory on webgpu: long SmoothGrad and occlusion runs hold what one batch needs (plus, for
 * occlusion, the score drops it has measured: one float per window, one tensor per batch, until it
 * aggregates them), however long they run, and give everything back: tensors, bytes in use on the GPU,
 * and no growth of the backend's buffer pool beyond that.
 *
 * tfjs-backend-webgpu frees buffers after the command batch that used them is submitted (every 15
 * dispatches), so bytes in use rise and fall in a cycle of several batches: the run's second half may
 * peak at most 10% above its first half (one leaked input-sized tensor per batch would add 5.8 KB a
 * batch here: over 100% by the end).
 */
import * as tf from '@tensorflow/tfjs';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { occlusion } from '../../src/methods/occlusion';
import { randomCnn, randomInput } from '../reference/models';
import { useWebGPU } from './helpers';

interface Sample { done: number; numTensors: number; numBytes: number; numBytesInGPU: number; numBytesAllocatedInGPU: number }
const gpuMemory = () => tf.memory() as unknown as Omit<Sample, 'done'>;

beforeAll(useWebGPU);

const BATCH = 4;
interface Run {
  /** Bytes and tensors a run may keep per window evaluated. */
  perWindow: { bytes: number; tensors: number };
  call(m: tf.LayersModel, x: tf.Tensor4D, onProgress: (done: number) => void): Promise<tf.Tensor>;
}
const RUNS: Record<string, Run> = {
  'smoothGrad, 96 samples': {
    perWindow: { bytes: 0, tensors: 0 },
    call: (m, x, onProgress) => smoothGrad(m, x, { samples: 96, batchSize: BATCH, seed: 1, target: 0, onProgress }),
  },
  'occlusion, 121 windows (1×1, stride 1)': {
    perWindow: { bytes: 4, tensors: 1 / BATCH },
    call: (m, x, onProgress) => occlusion(m, x, { window: [1, 1], stride: [1, 1], batchSize: BATCH, target: 0, onProgress }),
  },
};

const peak = (xs: number[]) => Math.max(...xs);

/** One more submitted command batch, after which buffers freed during the last one are released. */
async function flush(): Promise<void> {
  const t = tf.tidy(() => tf.square(tf.scalar(2)));
  await t.data();
  t.dispose();
}

test.each(Object.keys(RUNS))('%s in batches of 4: bounded while it runs, all given back', async (name) => {
  const run = RUNS[name];
  const model = randomCnn('fusedGapSoftmax', 3);
  const x = randomInput(model, 1, 4);
  const start = gpuMemory();
  const seen: Sample[] = [];
  const out = await run.call(model, x, (done) => void seen.push({ ...gpuMemory(), done }));
  out.dispose();
  await flush();
  const end = gpuMemory();
  expect(seen.length).toBeGreaterThan(20);
  const half = Math.floor(seen.length / 2);
  const early = seen.slice(0, half);
  const late = seen.slice(half);
  const bytes = (s: Sample) => s.numBytesInGPU - run.perWindow.bytes * s.done;
  const pool = (s: Sample) => s.numBytesAllocatedInGPU - run.perWindow.bytes * s.done;
  const tensors = (s: Sample) => s.numTensors - Math.ceil(run.perWindow.tensors * s.done);
  expect(peak(late.map(bytes))).toBeLessThanOrEqual(1.1 * peak(early.map(bytes)));
  expect(peak(late.map(pool))).toBeLessThanOrEqual(1.1 * peak(early.map(pool)));
  expect(peak(late.map(tensors))).toBeLessThanOrEqual(peak(early.map(tensors)));
  // The same tensors as before; on the GPU, nothing but their bytes (tfjs-backend-webgpu uploads a
  // tensor's values on first use, so the weights and the input may have moved there meanwhile).
  expect(end.numTensors).toBe(start.numTensors);
  expect(end.numBytes).toBe(start.numBytes);
  expect(end.numBytesInGPU).toBeLessThanOrEqual(end.numBytes);
  x.dispose();
  model.dispose();
});
