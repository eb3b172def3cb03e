import * as tf from '@tensorflow/tfjs';
import { smooth, resizeMap, gaussianKernel } from '../../src/viz';
import { OptionError, InputError } from '../../src/errors';
import { useCpu, expectNoLeak } from './helpers';

beforeAll(useCpu);

/** scipy's "reflect" boundary: d c b a | a b c d | d c b a. */
function reflect(i: number, n: number): number {
  for (;;) {
    if (i < 0) i = -i - 1;
    else if (i >= n) i = 2 * n - 1 - i;
    else return i;
  }
}

/** Direct 2-D Gaussian filter: every output sums weight × reflected input over the whole window. */
function bruteForce(x: Float32Array, h: number, w: number, sigma: number): Float32Array {
  const r = Math.ceil(4 * sigma);
  let z = 0;
  for (let i = -r; i <= r; i++) z += Math.exp(-(i * i) / (2 * sigma * sigma));
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      let acc = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const wgt = Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma)) / (z * z);
          acc += wgt * x[reflect(y + dy, h) * w + reflect(xx + dx, w)];
        }
      }
      out[y * w + xx] = acc;
    }
  }
  return out;
}

describe('smooth', () => {
  test('equals the direct 2-D filter with reflected borders, also when the kernel outgrows the map', async () => {
    const h = 7, w = 9;
    const x = Float32Array.from({ length: h * w }, (_, i) => Math.sin(i * 1.7) + (i % 5));
    for (const sigma of [0.5, 1, 3]) {
      const out = await smooth({ data: x, shape: [h, w] }, sigma);
      const want = bruteForce(x, h, w, sigma);
      out.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    }
  });

  test('a constant map stays constant; a delta spreads into the Gaussian and keeps its mass', async () => {
    const c = await smooth({ data: new Float32Array(30).fill(2.5), shape: [5, 6] }, 2);
    c.data.forEach((v) => expect(v).toBeCloseTo(2.5, 5));
    const n = 41, d = new Float32Array(n * n);
    d[20 * n + 20] = 1;
    const out = await smooth({ data: d, shape: [n, n] }, 2);
    expect(out.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const k = gaussianKernel(2);
    const mid = (k.length - 1) / 2;
    expect(out.data[20 * n + 20]).toBeCloseTo(k[mid] * k[mid], 6);
    expect(out.data[20 * n + 23]).toBeCloseTo(k[mid] * k[mid + 3], 6);
    expect(out.data[20 * n + 23] / out.data[20 * n + 20]).toBeCloseTo(Math.exp(-9 / 8), 4);
  });

  test('each map of a stack alone; sigma 0 copies', async () => {
    const data = Float32Array.from([0, 0, 0, 9, 1, 1, 1, 1]);
    const out = await smooth({ data, shape: [2, 2, 2] }, 1);
    out.data.slice(4).forEach((v) => expect(v).toBeCloseTo(1, 5));
    const copy = await smooth({ data, shape: [2, 2, 2] }, 0);
    expect(Array.from(copy.data)).toEqual(Array.from(data));
  });

  test('tensor in, new tensor out; nothing else kept', async () => {
    const map = tf.ones([4, 4]);
    await expectNoLeak(async () => {
      const out = await smooth(map, 1.5);
      expect(out.shape).toEqual([4, 4]);
      (await out.data()).forEach((v) => expect(v).toBeCloseTo(1, 5));
      out.dispose();
    });
    map.dispose();
  });

  test('bad sigma and NaN are errors', async () => {
    await expect(smooth({ data: [1], shape: [1, 1] }, -1)).rejects.toThrow('smooth: sigma must be a finite number >= 0 (pixels), but got -1');
    await expect(smooth({ data: [1], shape: [1, 1] }, NaN)).rejects.toThrow(OptionError);
    await expect(smooth({ data: [NaN], shape: [1, 1] }, 1)).rejects.toThrow(InputError);
  });
});

describe('resizeMap', () => {
  test('equals tf.image.resizeBilinear with half-pixel centers', async () => {
    const src = tf.tensor3d(Float32Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.cos(i) * i), [2, 5, 7]);
    for (const size of [[10, 14], [3, 4], [17, 5], [5, 7]] as [number, number][]) {
      const before = tf.memory().numTensors;
      const got = await resizeMap(src, size);
      expect(tf.memory().numTensors).toBe(before + 1); // the result, which the caller owns
      const want = tf.tidy(() => tf.image.resizeBilinear(src.expandDims(3) as tf.Tensor4D, size, false, true).squeeze([3]));
      expect(got.shape).toEqual([2, ...size]);
      const [g, w] = [await got.data(), await want.data()];
      g.forEach((v, i) => expect(v).toBeCloseTo(w[i], 4));
      tf.dispose([got, want]);
    }
    src.dispose();
  });

  test('bad size is an OptionError', async () => {
    await expect(resizeMap({ data: [1], shape: [1, 1] }, [0, 3])).rejects.toThrow('resizeMap: size must be [height, width] of positive integers, but got [0,3]');
  });
});
