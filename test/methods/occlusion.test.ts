import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, OptionError, TargetError } from '../../src/errors';
import { occlusion, windowSpans } from '../../src/methods/occlusion';
import { toGraphModel } from '../fixtures/graph-model';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { itemOf, RefNet, relErr } from '../reference/net';

/** flatten → dense (no bias) with the given kernel `[H·W·C, K]`: F(x) − F(x_occ) = Σ_window w·(x − b). */
function linearModel(shape: [number, number, number], kernel: number[][]): tf.Sequential {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: shape }), tf.layers.dense({ units: kernel[0].length, useBias: false })],
  });
  model.layers[1].setWeights([tf.tensor2d(kernel)]);
  return model;
}

const ones = (n: number, k = 1) => Array.from({ length: n }, () => new Array(k).fill(1));

async function expectNear(t: tf.Tensor, expected: unknown[], shape: number[], tol = 1e-5): Promise<void> {
  expect(t.shape).toEqual(shape);
  const want = expected.flat(3) as number[];
  const got = Array.from(await t.data());
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol * Math.max(1, Math.abs(want[i]))));
}

async function expectLeakFreeError(fn: () => Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const err = await fn().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

test('window positions per axis: ceil((D − W) / S) + 1, the last cropped at the border', () => {
  expect(windowSpans(5, 2, 2)).toEqual([[0, 2], [2, 4], [4, 5]]);
  expect(windowSpans(5, 3, 2)).toEqual([[0, 3], [2, 5]]);
  expect(windowSpans(9, 4, 2)).toEqual([[0, 4], [2, 6], [4, 8], [6, 9]]);
  expect(windowSpans(4, 4, 1)).toEqual([[0, 4]]);
  expect(windowSpans(7, 1, 3)).toEqual([[0, 1], [3, 4], [6, 7]]);
});

describe.each(['cpu', 'wasm'] as const)('occlusion on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test("Captum's counting on 5×5, window 2, stride 2: 3 positions per axis, the last window cropped", async () => {
    // All weights and inputs 1: a window's drop is the number of pixels it covers (4, 2 at an edge, 1 in
    // the corner), and each pixel lies in exactly one window.
    const model = linearModel([5, 5, 1], ones(25));
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const seen: number[] = [];
    const map = await occlusion(model, x, { window: 2, stride: 2, onProgress: (d, t) => seen.push(d, t) });
    await expectNear(map, [[
      [4, 4, 4, 4, 2],
      [4, 4, 4, 4, 2],
      [4, 4, 4, 4, 2],
      [4, 4, 4, 4, 2],
      [2, 2, 2, 2, 1],
    ]], [1, 5, 5]);
    expect(seen).toEqual([9, 9]);
    tf.dispose([map, x]);
    model.dispose();
  });

  test('a pixel averages the drops of every window that covers it (5×5, window 3, stride 2)', async () => {
    // Windows [0,3) and [2,5) per axis. Only pixel (0,0) is non-zero, so only window (0,0) drops (by 1):
    // pixels covered by it alone get 1, by it and one other 1/2, the centre (in all four) 1/4.
    const model = linearModel([5, 5, 1], ones(25));
    const x = tf.tidy(() => tf.oneHot([0], 25).reshape([1, 5, 5, 1]).cast('float32')) as tf.Tensor4D;
    const map = await occlusion(model, x, { window: 3, stride: 2 });
    await expectNear(map, [[
      [1, 1, 0.5, 0, 0],
      [1, 1, 0.5, 0, 0],
      [0.5, 0.5, 0.25, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]], [1, 5, 5]);
    tf.dispose([map, x]);
    model.dispose();
  });

  test('windows span all channels; a per-channel baseline tensor; per-item targets', async () => {
    // 4×4×2, tiles of 2×2. Kernel for output 0: w(i,j,c) = (1 + tile) · [1, −1][c], tile = 2⌊i/2⌋ + ⌊j/2⌋;
    // output 1: the negative. x = [2, 1] per pixel, baseline [1, 3]: x − b = [1, −2], so each pixel gives
    // (1 + tile)·(1·1 + (−1)(−2)) = 3(1 + tile), each tile 12(1 + tile).
    const kernel: number[][] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (const s of [1, -1]) {
      const v = (1 + 2 * Math.floor(i / 2) + Math.floor(j / 2)) * s;
      kernel.push([v, -v]);
    }
    const model = linearModel([4, 4, 2], kernel);
    const x = tf.tidy(() => tf.tile(tf.tensor4d([2, 1], [1, 1, 1, 2]), [2, 4, 4, 1])) as tf.Tensor4D;
    const baseline = tf.tensor1d([1, 3]);
    const map = await occlusion(model, x, { window: 2, stride: 2, baseline, target: [0, 1] });
    const tiles = [[12, 12, 24, 24], [12, 12, 24, 24], [36, 36, 48, 48], [36, 36, 48, 48]];
    await expectNear(map, [tiles, tiles.map((r) => r.map((v) => -v))], [2, 4, 4]);
    // The same baseline as a full tensor and as a number per channel broadcast: the same map.
    const full = tf.tidy(() => tf.tile(tf.reshape(baseline, [1, 1, 1, 2]), [2, 4, 4, 1]));
    const map2 = await occlusion(model, x, { window: 2, stride: 2, baseline: full, target: [0, 1] });
    await expectNear(map2, [tiles, tiles.map((r) => r.map((v) => -v))], [2, 4, 4]);
    tf.dispose([map, map2, x, baseline, full]);
    model.dispose();
  });

  describe.each(RANDOM_CNNS)('agrees with the float64 reference on %s', (kind) => {
    test.each([
      [3, 2, 0, true],
      [[4, 4], [3, 2], 0.5, true],
      [[2, 5], [2, 3], 0.25, false],
    ] as const)('window %j stride %j baseline %s preSoftmax %s', async (window, stride, base, preSoftmax) => {
      const model = randomCnn(kind, 8);
      const ref = await RefNet.fromModel(model);
      const x = randomInput(model, 2, 13);
      const map = await occlusion(model, x, { window: window as number | [number, number], stride: stride as number | [number, number], baseline: base, preSoftmax, batchSize: 10 });
      const got = await map.data();
      const [, H, W, C] = x.shape;
      const [wh, ww] = typeof window === 'number' ? [window, window] : window;
      const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const clean = ref.forward(item, preSoftmax).scores;
        const target = clean.indexOf(Math.max(...clean)); // the default: the clean input's argmax class
        const sum = new Float64Array(H * W);
        const count = new Float64Array(H * W);
        for (let top = 0; ; top += sh) {
          for (let left = 0; ; left += sw) {
            const occluded = { ...item, d: Float64Array.from(item.d) };
            for (let i = top; i < Math.min(top + wh, H); i++) for (let j = left; j < Math.min(left + ww, W); j++) for (let c = 0; c < C; c++) occluded.d[(i * W + j) * C + c] = base;
            const drop = clean[target] - ref.forward(occluded, preSoftmax).scores[target];
            for (let i = top; i < Math.min(top + wh, H); i++) for (let j = left; j < Math.min(left + ww, W); j++) {
              sum[i * W + j] += drop;
              count[i * W + j] += 1;
            }
            if (left + ww >= W) break;
          }
          if (top + wh >= H) break;
        }
        const want = sum.map((s, i) => (count[i] > 0 ? s / count[i] : 0));
        expect(relErr(got.subarray(n * H * W, (n + 1) * H * W), want)).toBeLessThan(1e-4);
      }
      map.dispose();
      x.dispose();
      model.dispose();
    });
  });

  test('a plain function model and a GraphModel', async () => {
    // F(x)_c = Σ_ij x(i,j,c): with target 1 a window's drop is the sum of channel 1 inside it.
    const f = (v: tf.Tensor4D) => tf.sum(v, [1, 2]);
    const x = tf.tidy(() => tf.stack([tf.zeros([4, 4]), tf.range(0, 16).reshape([4, 4])], 2).expandDims(0)) as tf.Tensor4D;
    const map = await occlusion(f, x, { window: 2, stride: 2, target: 1 });
    // Tiles of [[0,1,2,3],[4,5,6,7],...]: sums 0+1+4+5 = 10, 2+3+6+7 = 18, 42, 50.
    await expectNear(map, [[[10, 10, 18, 18], [10, 10, 18, 18], [42, 42, 50, 50], [42, 42, 50, 50]]], [1, 4, 4]);

    const model = randomCnn('stridedAvgSame', 15);
    const graph = await toGraphModel(model);
    const xr = randomInput(model, 2, 8);
    const a = await occlusion(model, xr, { window: 3, stride: 2 });
    const n0 = tf.memory().numTensors;
    const b = await occlusion(graph, xr, { window: 3, stride: 2 });
    expect(relErr(await b.data(), await a.data())).toBeLessThan(1e-4);
    b.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([map, x, a, xr]);
    model.dispose();
    graph.dispose();
  });

  test('batched equals unbatched; the input is unchanged; nothing leaks', async () => {
    const model = randomCnn('separateFlatten', 9);
    const x = randomInput(model, 3, 4);
    const before = Array.from(await x.data());
    const n0 = tf.memory().numTensors;
    const a = await occlusion(model, x, { window: 3, stride: 2, batchSize: 1 });
    expect(tf.memory().numTensors).toBe(n0 + 1);
    const b = await occlusion(model, x, { window: 3, stride: 2, batchSize: 7 });
    const c = await occlusion(model, x, { window: 3, stride: 2, batchSize: 1000 });
    const av = await a.data();
    expect(relErr(await b.data(), av)).toBeLessThan(1e-6);
    expect(relErr(await c.data(), av)).toBeLessThan(1e-6);
    const per = av.length / 3;
    for (let n = 0; n < 3; n++) {
      const xn = tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
      const one = await occlusion(model, xn, { window: 3, stride: 2 });
      expect(relErr(await one.data(), av.subarray(n * per, (n + 1) * per))).toBeLessThan(1e-5);
      tf.dispose([xn, one]);
    }
    const f = await occlusion(model, x, { window: 3, target: (y: tf.Tensor2D) => tf.sum(y, 1) });
    tf.dispose([a, b, c, f]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Array.from(await x.data())).toEqual(before);
    x.dispose();
    model.dispose();
  });

  test('defaults: window 8 (at most the image), stride half the window', async () => {
    const model = linearModel([16, 16, 1], ones(256));
    const x = tf.ones([1, 16, 16, 1]) as tf.Tensor4D;
    let total = 0;
    const map = await occlusion(model, x, { onProgress: (_, t) => (total = t) });
    expect(total).toBe(9); // 3 × 3 positions of an 8×8 window with stride 4
    expect(Array.from(await map.data()).every((v) => Math.abs(v - 64) < 1e-4)).toBe(true);
    const small = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const model5 = linearModel([5, 5, 1], ones(25));
    const whole = await occlusion(model5, small, { onProgress: (_, t) => (total = t) });
    expect(total).toBe(1); // window 5 (the whole image), one position
    expect(Array.from(await whole.data()).every((v) => Math.abs(v - 25) < 1e-4)).toBe(true);
    tf.dispose([map, x, small, whole]);
    model.dispose();
    model5.dispose();
  });

  test('bad inputs get typed errors and leak nothing', async () => {
    const model = randomCnn('stridedAvgSame', 10);
    const x = randomInput(model, 1, 3);
    await expectLeakFreeError(() => occlusion(model, x, { window: 0 }), OptionError, /^occlusion: window height must be an integer from 1 to 9 \(the input's height\), got 0$/);
    await expectLeakFreeError(() => occlusion(model, x, { window: [3, 10] }), OptionError, /^occlusion: window width must be an integer from 1 to 9 .*got 10$/);
    await expectLeakFreeError(() => occlusion(model, x, { stride: 0 }), OptionError, /^occlusion: stride height must be an integer from 1 to 9/);
    await expectLeakFreeError(() => occlusion(model, x, { stride: [1, 12] }), OptionError, /^occlusion: stride width .* got 12$/);
    await expectLeakFreeError(() => occlusion(model, x, { window: [2] as unknown as number }), OptionError, /^occlusion: window must be a number or \[height, width\]/);
    await expectLeakFreeError(() => occlusion(model, x, { batchSize: 0 }), OptionError, /^occlusion: batchSize must be an integer from 1/);
    const badBase = tf.zeros([2, 9, 3]);
    await expectLeakFreeError(() => occlusion(model, x, { baseline: badBase }), InputError, /^occlusion: baseline of shape \[2,9,3\] does not broadcast to the input shape \[1,9,9,3\]$/);
    const nanBase = tf.tensor1d([0, NaN, 0]);
    await expectLeakFreeError(() => occlusion(model, x, { baseline: nanBase }), InputError, /^occlusion: baseline holds 1 NaN/);
    await expectLeakFreeError(() => occlusion(model, x, { baseline: Infinity }), OptionError, /^occlusion: baseline must be a finite number/);
    await expectLeakFreeError(() => occlusion(model, x, { target: 5 }), TargetError, /^occlusion: target 5 is out of range; the model has 5 outputs \(valid: 0 to 4\)$/);
    await expectLeakFreeError(() => occlusion(model, x, { target: (y: tf.Tensor2D) => y }), TargetError, /^occlusion: the target function must return one score per batch item/);
    const rank3 = tf.zeros([9, 9, 3]);
    await expectLeakFreeError(() => occlusion(model, rank3 as tf.Tensor4D), InputError, /^occlusion: input must be rank 4/);
    const ints = tf.zeros([1, 9, 9, 3], 'int32');
    await expectLeakFreeError(() => occlusion(model, ints as tf.Tensor4D), InputError, /^occlusion: input must be float32/);
    const inf = tf.tidy(() => tf.div(tf.ones([1, 9, 9, 3]), tf.zeros([1, 9, 9, 3]))) as tf.Tensor4D;
    await expectLeakFreeError(() => occlusion(model, inf), InputError, /^occlusion: input holds 243 NaN or Infinity values$/);
    tf.dispose([x, badBase, nanBase, rank3, ints, inf]);
    model.dispose();
  });

  test('reports progress and stops on an AbortSignal without leaking', async () => {
    const model = randomCnn('fusedGapSoftmax', 11);
    const x = randomInput(model, 2, 5);
    // 11×11, window 3 stride 2: 5 × 5 positions, 2 items → 50 occluded images.
    const seen: [number, number][] = [];
    const out = await occlusion(model, x, { window: 3, stride: 2, batchSize: 16, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[16, 50], [32, 50], [48, 50], [50, 50]]);
    out.dispose();

    const n0 = tf.memory().numTensors;
    const pre = new AbortController();
    pre.abort();
    const err1 = await occlusion(model, x, { signal: pre.signal }).catch((e: Error) => e);
    expect((err1 as Error).name).toBe('AbortError');
    expect(tf.memory().numTensors).toBe(n0);

    const mid = new AbortController();
    const calls: number[] = [];
    const err2 = await occlusion(model, x, {
      window: 3,
      stride: 2,
      batchSize: 8,
      signal: mid.signal,
      onProgress: (d) => {
        calls.push(d);
        if (d === 16) mid.abort(new Error('user stop'));
      },
    }).catch((e: Error) => e);
    expect((err2 as Error).name).toBe('AbortError');
    expect((err2 as Error).message).toBe('occlusion: cancelled (user stop)');
    expect(calls).toEqual([8, 16]);
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
    model.dispose();
  });
});
