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
import { BatchTooLargeError } from '../../src/errors';
import { vanillaGradient } from '../../src/methods/gradient';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { relErr } from '../reference/net';
import { occlusion } from '../../src/methods/occlusion';
import { randomCnn, randomInput } from '../reference/models';
import { setTestBindingLimit } from '../../src/backend/webgpu';
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

describe('a batch larger than the GPU\'s largest storage binding', () => {
  /**
   * 1×1 conv (a matrix product) to 256 channels, GAP, dense: the largest tensor is the conv's output,
   * `side`² × 256 floats an image.
   */
  function wide(side: number): tf.LayersModel {
    return tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [side, side, 3], filters: 256, kernelSize: 1, activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
      ],
    });
  }
  /** The side at which 8 images' activations exceed `limit` bytes and 4 do not. */
  const sideFor = (limit: number) => Math.ceil(Math.sqrt(limit / (256 * 4 * 6)));
  const limit = () => (tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }).device.limits.maxStorageBufferBindingSize;

  test('is a BatchTooLargeError naming the tensor, never a silent wrong result', async () => {
    const side = sideFor(limit());
    const model = wide(side);
    const x = tf.randomUniform([8, side, side, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const err = await vanillaGradient(model, x, { target: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(BatchTooLargeError);
    expect(err.message).toMatch(new RegExp(`^webgpu: a tensor of [0-9.]+ MB \\(shape \\[[0-9, ]+\\], in \\w+\\) is larger than this GPU's largest storage binding \\([0-9.]+ MB\\); use a smaller batchSize`));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('in a looping method is evaluated in halves: SmoothGrad with batchSize 8 gives batchSize 2\'s result', async () => {
    // A limit below the device's, so that a small model reaches it: 4 images fit, 8 do not.
    const model = wide(6);
    const x = tf.randomUniform([1, 6, 6, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const small = await smoothGrad(model, x, { samples: 8, batchSize: 2, seed: 3, target: 0 });
    const before = tf.memory().numTensors;
    setTestBindingLimit(6 * 6 * 6 * 256 * 4);
    const progress: number[] = [];
    try {
      const big = await smoothGrad(model, x, { samples: 8, batchSize: 8, seed: 3, target: 0, onProgress: (done) => void progress.push(done) });
      expect(progress).toEqual([4, 8]); // 8 samples a batch did not fit: 4
      expect(relErr(await big.data(), await small.data())).toBeLessThan(1e-5);
      big.dispose();
    } finally {
      setTestBindingLimit(null);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([small, x]);
    model.dispose();
  });
});
