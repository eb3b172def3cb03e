/**
 * Guided IG, Blur IG and XRAI (PAIR saliency's definitions): Guided IG without guidance is Integrated
 * Gradients (left Riemann rule), one guided step by hand, closed forms on a linear model; Blur IG
 * against an independent implementation (direct 2-D zero-padded Gaussian convolution) and its
 * completeness; Felzenszwalb segmentation and XRAI's region growth on hand-made cases; batching, leaks,
 * cancellation and typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError, OptionError } from '../../src/errors';
import { blurIg, blurMatrix } from '../../src/methods/blur-ig';
import { guidedIg, guidedStep } from '../../src/methods/guided-ig';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { felzenszwalb } from '../../src/methods/segmentation/felzenszwalb';
import { xrai, xraiRegions } from '../../src/methods/xrai';
import { randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';

/** Input [3,3,1] → flatten → dense(2, linear), hand-set weights. */
const W = [[1, -1], [0.5, 2], [-2, 0.3], [0.2, 0.2], [1.5, -0.7], [-0.3, 1], [0.8, 0.1], [-1, -1], [0.4, 0.6]];
function linear(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 3, 1] }), tf.layers.dense({ units: 2 })] });
  model.layers[1].setWeights([tf.tensor2d(W), tf.tensor1d([0.1, -0.2])]);
  return model;
}
const XV = [0.3, -0.5, 0.9, 0.1, 0.7, -0.2, 0.4, 0.6, -0.8];

/** scipy's gaussian_filter(x, [σ, σ, 0], mode='constant') of an [h, w] image, as a direct 2-D sum. */
function blur2d(x: number[], h: number, w: number, sigma: number): number[] {
  if (sigma === 0) return x.slice();
  const r = Math.floor(4 * sigma + 0.5);
  const g = Array.from({ length: 2 * r + 1 }, (_, t) => Math.exp(-0.5 * ((t - r) / sigma) ** 2));
  const z = g.reduce((a, b) => a + b, 0);
  return x.map((_, p) => {
    const [y0, x0] = [Math.floor(p / w), p % w];
    let s = 0;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const [y, xx] = [y0 + dy, x0 + dx];
      if (y >= 0 && y < h && xx >= 0 && xx < w) s += (g[dy + r] / z) * (g[dx + r] / z) * x[y * w + xx];
    }
    return s;
  });
}

describe.each(['wasm', 'cpu'] as const)('path methods on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('Guided IG without guidance (maxDist 0, or fraction 1) is Integrated Gradients with the left Riemann rule', async () => {
    const model = randomCnn('fusedGapSoftmax', 6);
    const x = randomInput(model, 2, 3);
    const before = tf.memory().numTensors;
    const ig = await integratedGradients(model, x, { method: 'riemannLeft', steps: 12, target: [0, 3], baseline: 0.2 });
    const igv = Array.from(await ig.data());
    for (const o of [{ maxDist: 0 }, { fraction: 1, maxDist: 1 }]) {
      const g = await guidedIg(model, x, { steps: 12, target: [0, 3], baseline: 0.2, ...o });
      expect(relErr(Array.from(await g.data()), igv)).toBeLessThan(1e-4);
      g.dispose();
    }
    // With guidance it is another path: different attributions, the same completeness.
    const guided = await guidedIg(model, x, { steps: 12, target: [0, 3], baseline: 0.2 });
    expect(relErr(Array.from(await guided.data()), igv)).toBeGreaterThan(1e-3);
    // Batched equals unbatched: item 1 alone.
    const x1 = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
    const alone = await guidedIg(model, x1, { steps: 12, target: 3, baseline: 0.2 });
    expect(relErr(Array.from(await alone.data()), Array.from(await guided.data()).slice(x1.size))).toBeLessThan(1e-5);
    tf.dispose([ig, guided, alone, x1]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('on a linear model any Guided IG path gives w · (x − x′); Blur IG matches its definition with a direct 2-D blur', async () => {
    const model = linear();
    const x = tf.tensor4d(XV, [1, 3, 3, 1]);
    const before = tf.memory().numTensors;
    const g = await guidedIg(model, x, { steps: 7, fraction: 0.3, maxDist: 0.2, target: 1 });
    expect(relErr(Array.from(await g.data()), XV.map((v, i) => W[i][1] * v))).toBeLessThan(1e-5);
    const [maxSigma, steps, gradStep] = [2, 6, 0.01];
    for (const sqrt of [false, true]) {
      const b = await blurIg(model, x, { maxSigma, steps, gradStep, sqrt, target: 0, batchSize: 4 });
      const sig = Array.from({ length: steps + 1 }, (_, k) => (sqrt ? Math.sqrt((k * maxSigma) / steps) : (k * maxSigma) / steps));
      const want = new Array(9).fill(0);
      for (let k = 0; k < steps; k++) {
        const [p, q] = [blur2d(XV, 3, 3, sig[k]), blur2d(XV, 3, 3, sig[k] + gradStep)];
        for (let i = 0; i < 9; i++) want[i] -= (sig[k + 1] - sig[k]) * W[i][0] * (q[i] - p[i]) / gradStep;
      }
      expect(relErr(Array.from(await b.data()), want)).toBeLessThan(1e-4);
      b.dispose();
    }
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('Blur IG: completeness, Σ attributions ≈ F(x) − F(x blurred with maxSigma); batched equals unbatched', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 2, 9);
    const [n, h, w, c] = x.shape;
    const before = tf.memory().numTensors;
    const maxSigma = 4;
    const a = await blurIg(model, x, { maxSigma, steps: 400, target: [1, 2], batchSize: 64 });
    const sumT = tf.tidy(() => a.reshape([n, -1]).sum(1));
    const sums = Array.from(await sumT.data());
    sumT.dispose();
    // F on the blurred input (channels apart), through the model's scores before its softmax.
    const xv = Array.from(await x.data());
    const blurred = new Array(xv.length).fill(0);
    for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) {
      const plane = Array.from({ length: h * w }, (_, p) => xv[(i * h * w + p) * c + ch]);
      blur2d(plane, h, w, maxSigma).forEach((v, p) => (blurred[(i * h * w + p) * c + ch] = v));
    }
    // The model ends in a linear dense layer: predict gives the explained scores.
    const f = (t: tf.Tensor4D) => tf.tidy(() => model.predict(t) as tf.Tensor);
    const bx = tf.tensor4d(blurred, x.shape);
    const [ft, fbt] = [f(x), f(bx)];
    const [fx, fb] = [await ft.data(), await fbt.data()];
    tf.dispose([ft, fbt]);
    const k = 3;
    [1, 2].forEach((t, i) => {
      const gap = fx[i * k + t] - fb[i * k + t];
      expect(Math.abs(sums[i] - gap)).toBeLessThan(0.02 * Math.abs(gap) + 1e-3);
    });
    const x0 = x.slice([0, 0, 0, 0], [1, -1, -1, -1]);
    const one = await blurIg(model, x0, { maxSigma, steps: 40, target: 1, batchSize: 7 });
    const both = await blurIg(model, x, { maxSigma, steps: 40, target: [1, 2], batchSize: 32 });
    expect(relErr(Array.from(await one.data()), Array.from(await both.data()).slice(0, one.size))).toBeLessThan(1e-5);
    tf.dispose([a, bx, one, both, x0]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

describe('path methods: the pieces', () => {
  beforeAll(() => setBackend('wasm'));

  test("one Guided IG step moves the features of smallest |gradient| first (PAIR's rule, by hand)", () => {
    const x = new Float64Array(4);
    const attr = new Float64Array(4);
    const input = Float64Array.from([1, 1, 1, 1]);
    const base = new Float64Array(4);
    // Step 0 of 4: the L1 distance must drop from 4 to 3; the lower half by |g| (features 1 and 3) move by 0.5.
    guidedStep(x, attr, Float32Array.from([1, 0.1, 5, 0.2]), input, base, 4, 0, 4, 0.5, 1);
    expect(Array.from(x)).toEqual([0, 0.5, 0, 0.5]);
    expect(Array.from(attr).map((v) => +v.toFixed(6))).toEqual([0, 0.05, 0, 0.1]);
    // With maxDist 0.1 features may not run past α = 0.35: features 1 and 3 stop there, then 0 moves.
    const y = new Float64Array(4);
    const attr2 = new Float64Array(4);
    guidedStep(y, attr2, Float32Array.from([1, 0.1, 5, 0.2]), input, base, 4, 0, 4, 0.5, 0.1);
    // Pass 1 lifts every feature to α − maxDist = 0.15 (L1 3.4); features 1 and 3 then move to α + maxDist = 0.35 (L1 3).
    [0.15, 0.35, 0.15, 0.35].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 12));
    [0.15, 0.035, 0.75, 0.07].forEach((v, i) => expect(attr2[i]).toBeCloseTo(v, 6));
    for (const v of y) expect(v).toBeGreaterThanOrEqual(0.15 - 1e-12);
  });

  test('blurMatrix rows are the normalized, truncated Gaussian (zeros outside)', () => {
    const m = blurMatrix(5, 0.5);
    // radius ⌊2 + 0.5⌋ = 2: the middle row holds the whole kernel and sums to 1.
    expect(m.slice(10, 15).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(m[0 * 5 + 0] + m[0 * 5 + 1] + m[0 * 5 + 2]).toBeLessThan(1);
    expect(Array.from(blurMatrix(3, 0))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  test("felzenszwalb: two flat regions are two segments; a large scale merges them; minSize merges small ones", () => {
    const [h, w] = [12, 12];
    const img = Array.from({ length: h * w * 3 }, (_, i) => (Math.floor(i / 3) % w < 6 ? 0.1 : 0.9));
    const two = felzenszwalb(img, h, w, 3, { scale: 1, sigma: 0, minSize: 1 });
    expect(new Set(two).size).toBe(2);
    expect(two[0]).toBe(0);
    expect(two[w - 1]).toBe(1);
    const one = felzenszwalb(img, h, w, 3, { scale: 1e6, sigma: 0, minSize: 1 });
    expect(new Set(one).size).toBe(1);
    // A 2×2 speck inside a flat image: its own segment, unless minSize merges it.
    const speck = Array.from({ length: h * w }, (_, p) => (Math.floor(p / w) >= 4 && Math.floor(p / w) < 6 && p % w >= 4 && p % w < 6 ? 1 : 0));
    expect(new Set(felzenszwalb(speck, h, w, 1, { scale: 1, sigma: 0, minSize: 1 })).size).toBe(2);
    expect(new Set(felzenszwalb(speck, h, w, 1, { scale: 1, sigma: 0, minSize: 5 })).size).toBe(1);
  });

  test("xraiRegions: greedy growth by attribution density over overlapping segments (PAIR's _xrai, by hand)", () => {
    // 10 × 10 pixels: attribution 1 in the first 60 pixels, 0 in the rest, 5 in pixels 0..49 (top half).
    const attr = new Float32Array(100).map((_, p) => (p < 50 ? 5 : p < 60 ? 1 : 0));
    const seg = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);
    const segments = [seg(0, 60), seg(0, 50), seg(40, 100), seg(50, 100)];
    const out = xraiRegions(attr, segments, 'full', 1);
    // First pixels 0..49 (density 5), then 50..99 via segment 3 (density 10/50 = 0.2; segment 0 adds 10 < 50 pixels,
    // segment 2 adds the same 50 pixels at the same density but comes first).
    expect(out[0]).toBe(5);
    expect(out[55]).toBeCloseTo(0.2, 6);
    expect(out[99]).toBeCloseTo(0.2, 6);
    // Fast: ranked once by the whole segment's density: [0..50) 5, [0..60) 25/6·..., then the rest.
    const fast = xraiRegions(attr, segments, 'fast', 1);
    expect(fast[0]).toBe(5);
    expect(fast[70]).toBeCloseTo(0.2, 6);
    // An area threshold stops early: the pixels left over get their own mean.
    const early = xraiRegions(attr, segments, 'full', 0.3);
    expect(early[0]).toBe(5);
    expect(early[80]).toBeCloseTo(0.2, 6);
  });

  test('XRAI: a region the model weighs up scores above one it weighs down; batched equals unbatched; no tensor left; cancel; errors', async () => {
    const [h, w] = [16, 16];
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [h, w, 1] }), tf.layers.dense({ units: 1 })] });
    // Weights +1 on the left half, −0.2 on the right; the image has two flat halves (0.8 left, 0.3 right), so IG
    // against black (0.3) and white (0.8) averages to 0.25 on the left and 0.05 on the right.
    model.layers[1].setWeights([tf.tensor2d(Array.from({ length: h * w }, (_, p) => [p % w < 8 ? 1 : -0.2])), tf.tensor1d([0])]);
    const x = tf.tensor4d(Array.from({ length: 2 * h * w }, (_, i) => (i % w < 8 ? 0.8 : 0.3) + (i >= h * w ? 0.05 : 0)), [2, h, w, 1]);
    const before = tf.memory().numTensors;
    const m = await xrai(model, x, { steps: 5 });
    expect(m.shape).toEqual([2, h, w]);
    const v = await m.data();
    expect(v[0 * w + 1]).toBeGreaterThan(v[0 * w + 14]);
    const x1 = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
    const alone = await xrai(model, x1, { steps: 5 });
    expect(relErr(Array.from(await alone.data()), Array.from(v).slice(h * w))).toBeLessThan(1e-5);
    tf.dispose([m, alone, x1]);
    const controller = new AbortController();
    controller.abort();
    await expect(xrai(model, x, { steps: 5, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    await expect(guidedIg(model, x, { steps: 5, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    await expect(blurIg(model, x, { steps: 5, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    await expect(xrai(model, x, { algorithm: 'slow' as never })).rejects.toThrow(new OptionError('xrai', 'unknown algorithm "slow"; choices: full, fast'));
    await expect(guidedIg(model, x, { fraction: 0 })).rejects.toThrow(new OptionError('guidedIg', 'fraction must be a finite number > 0 and ≤ 1, got 0'));
    await expect(guidedIg(model, x, { maxDist: 2 })).rejects.toThrow(OptionError);
    await expect(blurIg(model, x, { maxSigma: 0 })).rejects.toThrow(new OptionError('blurIg', 'maxSigma must be a finite number > 0, got 0'));
    await expect(blurIg(model, x, { sqrt: 'yes' as never })).rejects.toThrow(OptionError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
