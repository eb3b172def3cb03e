import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { createParameterization, fourierParameterization } from '../../src/methods/optimize/parameterization';
import { l2Penalty, totalVariation } from '../../src/methods/optimize/regularizers';
import { createRng } from '../../src/methods/optimize/rng';
import { gaussianBlur, scaleRotate, shift } from '../../src/methods/optimize/transforms';
import { fromModelInput, inputRange, toModelInput } from '../../src/methods/optimize/preprocess';
import { roll } from '../../src/methods/deep-dream';

describe.each(['cpu', 'wasm'] as const)('feature-visualization helpers on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('the seeded generator repeats for a seed and differs across seeds', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const va = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(va);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(va);
    const r = createRng(1);
    const ints = Array.from({ length: 2000 }, () => r.int(-2, 2));
    expect(Math.min(...ints)).toBe(-2);
    expect(Math.max(...ints)).toBe(2);
    const normals = r.normals(20000, 2);
    const mean = normals.reduce((s, v) => s + v, 0) / normals.length;
    const sd = Math.sqrt(normals.reduce((s, v) => s + (v - mean) ** 2, 0) / normals.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeCloseTo(2, 1);
  });

  test.each([[8, 8], [7, 10], [16, 9]])('Fourier parameterization: image → spectrum → image is the identity (%i×%i)', async (h, w) => {
    const before = tf.memory().numTensors;
    const param = fourierParameterization([2, h, w, 3]);
    const image = tf.randomUniform([2, h, w, 3], 0.05, 0.95, 'float32', 3) as tf.Tensor4D;
    const p = param.fromImage(image);
    expect(p.shape).toEqual([2, h, 2, 3, Math.floor(w / 2) + 1]);
    const back = tf.tidy(() => param.toImage(p));
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(back, image))));
    expect((await err.data())[0]).toBeLessThan(2e-4);
    tf.dispose([image, p, back, err]);
    param.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('Fourier parameterization matches the inverse DFT of one frequency: a cosine', async () => {
    // One real coefficient at (u, v) = (1, 2) gives cos(2π(y/H + 2x/W)) times a known amplitude (one channel: no color mixing).
    const [h, w] = [8, 12];
    const param = fourierParameterization([1, h, w, 1]);
    const v = Math.floor(w / 2) + 1;
    const values = new Float32Array(2 * h * v);
    values[1 * v + 2] = 1;
    const p = tf.tensor(values, [2, h, 1, 1, v]);
    const img = tf.tidy(() => param.toImage(p));
    const got = await img.data();
    const f = Math.hypot(1 / h, 2 / w);
    const amplitude = (Math.sqrt(h * w) / f) * (2 / (h * w)) / 4;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const want = 1 / (1 + Math.exp(-amplitude * Math.cos(2 * Math.PI * (y / h + (2 * x) / w))));
      expect(got[y * w + x]).toBeCloseTo(want, 4);
    }
    tf.dispose([p, img]);
    param.dispose();
  });

  test('pixel parameterization round-trips and blurring keeps the mean', async () => {
    const param = createParameterization('pixel', [1, 8, 8, 3]);
    const image = tf.randomUniform([1, 8, 8, 3], 0.1, 0.9, 'float32', 5) as tf.Tensor4D;
    const p = param.fromImage(image);
    const back = tf.tidy(() => param.toImage(p));
    expect(Math.max(...Array.from(await tf.tidy(() => tf.abs(tf.sub(back, image))).data()))).toBeLessThan(1e-5);
    const blurred = gaussianBlur(image, 1);
    const [m0, m1] = [await image.mean().data(), await blurred.mean().data()];
    expect(m1[0]).toBeCloseTo(m0[0], 2);
    const tv0 = await totalVariation(image).data();
    const tv1 = await totalVariation(blurred).data();
    expect(tv1[0]).toBeLessThan(tv0[0] / 2);
    tf.dispose([image, p, back, blurred]);
  });

  test('penalties: L2 from mid-gray and total variation on known images', async () => {
    const gray = tf.fill([1, 4, 4, 1], 0.5) as tf.Tensor4D;
    const ramp = tf.tensor4d(Array.from({ length: 16 }, (_, i) => (i % 4) * 0.25), [1, 4, 4, 1]);
    expect((await l2Penalty(gray).data())[0]).toBeCloseTo(0, 6);
    expect((await totalVariation(gray).data())[0]).toBeCloseTo(0, 6);
    // Each horizontal step is 0.25, vertical steps are 0: mean of Δx² + Δy² = 0.0625.
    expect((await totalVariation(ramp).data())[0]).toBeCloseTo(0.0625, 5);
    expect((await totalVariation(ramp, 1).data())[0]).toBeCloseTo(0.25, 3);
    tf.dispose([gray, ramp]);
  });

  test('shift moves content by whole pixels; roll wraps around', async () => {
    const x = tf.tensor4d(Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
    const s = (await shift(x, 1, 2).data()) as Float32Array;
    // out[y][x] = in[y - 1][x - 2] inside the image.
    expect(s[2 * 5 + 3]).toBe(1 * 5 + 1);
    const r = roll(x, -1, 2);
    const rv = await r.data();
    expect(rv[0]).toBe(1 * 5 + 3);
    const back = roll(r, 1, -2);
    expect(Array.from(await back.data())).toEqual(Array.from(await x.data()));
    tf.dispose([x, r, back]);
  });

  test('zoom and rotation: identity at (1, 0); its gradient is close to the adjoint on smooth images', async () => {
    const h = 24;
    const smooth = (phase: number) =>
      tf.tidy(() => {
        const v = new Float32Array(h * h);
        for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) v[y * h + x] = Math.sin((x + phase) / 4) * Math.cos((y - phase) / 5);
        return tf.tensor4d(v, [1, h, h, 1]);
      });
    const a = smooth(0);
    const b = smooth(3);
    const same = scaleRotate(a, 1, 0);
    expect(same).toBe(a);
    const angle = (8 * Math.PI) / 180;
    // <T a, b> against <a, ∇(<T ·, b>)>: equal for an exact adjoint.
    const lhs = tf.tidy(() => tf.sum(tf.mul(scaleRotate(a, 1.05, angle), b)));
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(scaleRotate(x as tf.Tensor4D, 1.05, angle), b)))(a);
    const rhs = tf.tidy(() => tf.sum(tf.mul(a, g)));
    const [l, r] = [(await lhs.data())[0], (await rhs.data())[0]];
    expect(Math.abs(l - r) / Math.abs(l)).toBeLessThan(0.1);
    tf.dispose([a, b, lhs, g, rhs]);
  });

  test('preprocess presets: the valid range and the inverse', async () => {
    expect(await inputRange('unit', 3)).toEqual({ min: [0, 0, 0], max: [1, 1, 1] });
    expect(await inputRange('symmetric', 3)).toEqual({ min: [-1, -1, -1], max: [1, 1, 1] });
    const caffe = await inputRange('caffe', 3);
    expect(caffe.min[0]).toBeCloseTo(-103.939, 3);
    expect(caffe.max[2]).toBeCloseTo(255 - 123.68, 3);
    const img = tf.randomUniform([1, 4, 4, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    for (const preset of ['unit', 'symmetric', 'caffe', 'torch'] as const) {
      const back = tf.tidy(() => fromModelInput(toModelInput(img, preset), preset));
      expect(Math.max(...Array.from(await tf.tidy(() => tf.abs(tf.sub(back, img))).data()))).toBeLessThan(1e-4);
      back.dispose();
    }
    img.dispose();
  });
});

test('zoom and rotation give cpu\'s image and gradient on wasm, reflected borders included (zoom out)', async () => {
  // tf.image.transform's own reflect fill differs between wasm and cpu at the borders; scaleRotate reflects
  // with mirrorPad first, so that the transform only interpolates inside its input.
  const h = 20;
  // Smooth images (the bilinear adjoint is close to the sampling's only for them), with a channel offset.
  const smooth = (phase: number) => Float32Array.from({ length: h * h * 3 }, (_, i) => {
    const [y, x, c] = [Math.floor(i / (3 * h)), Math.floor(i / 3) % h, i % 3];
    return Math.sin((x + phase + c) / 4) * Math.cos((y - phase) / 5) + 0.2 * c;
  });
  const [data, weights] = [smooth(0), smooth(3)];
  const results: Record<string, [Float32Array, Float32Array, number, number]> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await setBackend(backend);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(data, [1, h, h, 3]);
    const b = tf.tensor4d(weights, [1, h, h, 3]);
    const y = scaleRotate(x, 0.85, (12 * Math.PI) / 180);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(scaleRotate(t as tf.Tensor4D, 0.85, (12 * Math.PI) / 180), b)))(x);
    const lhs = tf.tidy(() => tf.sum(tf.mul(y, b)));
    const rhs = tf.tidy(() => tf.sum(tf.mul(x, g)));
    results[backend] = [(await y.data()) as Float32Array, (await g.data()) as Float32Array, (await lhs.data())[0], (await rhs.data())[0]];
    tf.dispose([x, b, y, g, lhs, rhs]);
    expect(tf.memory().numTensors).toBe(before);
  }
  const maxDiff = (a: Float32Array, c: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - c[i])), 0);
  expect(maxDiff(results.wasm[0], results.cpu[0])).toBeLessThan(1e-5);
  expect(maxDiff(results.wasm[1], results.cpu[1])).toBeLessThan(1e-5);
  // The gradient is the adjoint of the sampling, borders folded back: <T a, b> ≈ <a, Tᵀ b>.
  const [, , l, r] = results.cpu;
  expect(Math.abs(l - r) / Math.abs(l)).toBeLessThan(0.1);
});
