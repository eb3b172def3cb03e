/**
 * saliency-lab's webgpu kernels (src/backend/webgpu-kernels.ts) give cpu's numbers, ties included.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { withGradientRules } from '../../src/models/gradient-rules';
import { useWebGPU } from './helpers';

type Case = { name: string; shape: [number, number, number, number]; filter: number | [number, number]; stride: number | [number, number]; pad: 'same' | 'valid' | number };

const CASES: Case[] = [
  { name: '2×2/2 valid', shape: [2, 6, 6, 3], filter: 2, stride: 2, pad: 'valid' },
  { name: '2×2/2 valid, odd size', shape: [1, 7, 5, 2], filter: 2, stride: 2, pad: 'valid' },
  { name: '3×3/1 same (overlapping)', shape: [1, 6, 5, 2], filter: 3, stride: 1, pad: 'same' },
  { name: '3×2/2 same', shape: [2, 7, 6, 3], filter: [3, 2], stride: 2, pad: 'same' },
  { name: '3×3/2 pad 1', shape: [1, 8, 8, 4], filter: 3, stride: [2, 1], pad: 1 },
];

/** Values with many exact ties (ReLU zeros and repeated levels), -Infinity and a NaN. */
function tiedValues(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.max(0, ((i * 7919) % 11) - 5) / 2;
  v[3] = -Infinity;
  if (n > 40) v[40] = NaN;
  return v;
}

async function maxPoolInputGrad(c: Case, values: Float32Array): Promise<Float32Array> {
  const x = tf.tensor4d(values, c.shape);
  const dx = withGradientRules({}, () =>
    tf.grad((xi) => {
      const y = tf.maxPool(xi as tf.Tensor4D, c.filter, c.stride, c.pad);
      const w = tf.range(1, y.size + 1).reshape(y.shape); // distinct weights: every window's dy differs
      return tf.sum(tf.mul(y, w));
    })(x),
  );
  const out = (await dx.data()) as Float32Array;
  tf.dispose([x, dx]);
  return out;
}

describe('MaxPoolGrad on webgpu', () => {
  beforeAll(useWebGPU);

  test.each(CASES)('$name: equals cpu, ties to the first maximum', async (c) => {
    const values = tiedValues(c.shape.reduce((a, d) => a * d, 1));
    await setBackend('cpu');
    const cpu = await maxPoolInputGrad(c, values);
    await useWebGPU();
    const before = tf.memory().numTensors;
    const gpu = await maxPoolInputGrad(c, values);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(gpu)).toEqual(Array.from(cpu));
  });

  test('tfjs-backend-webgpu\'s own kernel sends ties to the last maximum (what this replaces)', async () => {
    await useWebGPU();
    const x = tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]);
    const dx = tf.grad((xi) => tf.sum(tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid')))(x);
    const own = Array.from(await dx.data());
    const ours = withGradientRules({}, () => tf.grad((xi) => tf.sum(tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid')))(x));
    expect(own).toEqual([0, 1, 0, 0]);
    expect(Array.from(await ours.data())).toEqual([1, 0, 0, 0]);
    tf.dispose([x, dx, ours]);
  });
});

describe('PadV2 on webgpu', () => {
  beforeAll(useWebGPU);

  const PADS: [string, number[], [number, number][]][] = [
    ['rank 1', [5], [[1, 2]]],
    ['rank 3', [2, 3, 4], [[0, 0], [1, 0], [0, 2]]],
    ['rank 4, every axis', [2, 3, 2, 3], [[1, 1], [0, 2], [2, 0], [1, 1]]],
    ['rank 5, first axis (the gradient of slicing the real part of a spectrum)', [2, 3, 2, 3, 4], [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0]]],
    ['rank 5, leading axis unpadded', [2, 3, 2, 3, 4], [[0, 0], [1, 0], [0, 0], [2, 1], [0, 0]]],
    ['rank 6, four groups', [2, 2, 3, 2, 2, 3], [[1, 0], [0, 0], [0, 2], [1, 1], [0, 0], [0, 1]]],
    ['rank 5, nothing padded', [2, 1, 3, 2, 2], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]],
  ];

  test.each(PADS)('%s: equals cpu', async (_label, shape, paddings) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const values = Float32Array.from({ length: n }, (_, i) => i + 1);
    const padded = async () => {
      const x = tf.tensor(values, shape);
      const y = withGradientRules({}, () => tf.pad(x, paddings, -0.5));
      const out = { shape: y.shape, values: Array.from(await y.data()) };
      tf.dispose([x, y]);
      return out;
    };
    await setBackend('cpu');
    const cpu = await padded();
    await useWebGPU();
    const before = tf.memory().numTensors;
    expect(await padded()).toEqual(cpu);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the gradient of a 5-D slice (a pad) equals cpu\'s', async () => {
    const grad = async () => {
      const x = tf.tensor(Float32Array.from({ length: 2 * 3 * 2 * 3 * 4 }, (_, i) => Math.sin(i)), [2, 3, 2, 3, 4]);
      const g = withGradientRules({}, () => tf.grad((s) => tf.sum(tf.square(tf.slice(s, [1], [1]))))(x));
      const out = Array.from(await g.data());
      tf.dispose([x, g]);
      return out;
    };
    await setBackend('cpu');
    const cpu = await grad();
    await useWebGPU();
    const gpu = await grad();
    expect(gpu.map((v) => Math.round(v * 1e5))).toEqual(cpu.map((v) => Math.round(v * 1e5)));
  });

  test('more than 4 separately padded axis groups is an error that says so', () => {
    const x = tf.zeros([2, 2, 2, 2, 2]);
    expect(() => withGradientRules({}, () => tf.pad(x, [[1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]))).toThrow(
      /PadV2 \(webgpu, saliency-lab\): padding 5 axes in more than 4 separate groups is not supported/,
    );
    x.dispose();
  });
});

describe('ResizeBilinearGrad and ResizeNearestNeighborGrad on webgpu', () => {
  beforeAll(useWebGPU);

  // Up and down, each corner convention; 17 → 24 is DeepDream's first octave on a 24×24 model.
  const RESIZES = [
    { name: 'half-pixel centers, 17 → 24', from: [17, 17], to: [24, 24], alignCorners: false, halfPixelCenters: true },
    { name: 'half-pixel centers, 24 → 9×13', from: [24, 24], to: [9, 13], alignCorners: false, halfPixelCenters: true },
    { name: 'asymmetric, 7 → 20', from: [7, 7], to: [20, 20], alignCorners: false, halfPixelCenters: false },
    { name: 'align corners, 5×6 → 11×4', from: [5, 6], to: [11, 4], alignCorners: true, halfPixelCenters: false },
  ];

  test.each(RESIZES.flatMap((r) => [{ ...r, method: 'bilinear' }, { ...r, method: 'nearest' }]))('$method, $name: equals cpu\'s (the exact adjoint)', async (r) => {
    const grad = async () => {
      const [h, w] = r.from;
      const x = tf.tensor4d(Float32Array.from({ length: 2 * h * w * 3 }, (_, i) => Math.sin(i)), [2, h, w, 3]);
      const wt = tf.tensor4d(Float32Array.from({ length: 2 * r.to[0] * r.to[1] * 3 }, (_, i) => Math.cos(i * 1.7)), [2, r.to[0], r.to[1], 3]);
      const before = tf.memory().numTensors;
      const g = withGradientRules({}, () => tf.grad((s) => tf.sum(tf.mul((r.method === 'bilinear' ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor)(s as tf.Tensor4D, r.to as [number, number], r.alignCorners, r.halfPixelCenters), wt)))(x));
      const out = Array.from(await g.data());
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, wt]);
      return out;
    };
    await setBackend('cpu');
    const cpu = await grad();
    await useWebGPU();
    const gpu = await grad();
    const scale = Math.max(...cpu.map(Math.abs));
    expect(Math.max(...gpu.map((v, i) => Math.abs(v - cpu[i])))).toBeLessThan(1e-5 * scale);
  });
});
