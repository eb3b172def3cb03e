/**
 * The pixel-group perturbation methods (feature ablation, Shapley value sampling, LIME, KernelSHAP) and
 * RISE against their definitions, computed here independently on tiny models: closed forms on linear
 * models, exact Shapley values by enumerating every subset of ≤ 4 groups, LIME's lasso optimality
 * conditions on the samples the seed defines, RISE's weighted mean of masks built here; the groups
 * (grid, SLIC, a caller's mask); batched equals unbatched; no tensor left behind; typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, OptionError, TargetError } from '../../src/errors';
import { featureAblation } from '../../src/methods/feature-ablation';
import { drawRandom } from '../../src/methods/group-perturbation';
import { kernelShap } from '../../src/methods/kernel-shap';
import { lime } from '../../src/methods/lime';
import { weightedLasso, weightedLeastSquares } from '../../src/methods/linear-fit';
import { gridGroups, pixelGroups, slicGroups } from '../../src/methods/pixel-groups';
import { rise } from '../../src/methods/rise';
import { shapleyValueSampling } from '../../src/methods/shapley-sampling';
import { mulberry32 } from '../../src/random';

const H = 8;
const W = 8;
const C = 2;

/** A 2×2 grid on 8×8: group g = 2·(y ≥ 4) + (x ≥ 4). */
const quadrant = (y: number, x: number) => 2 * (y >= 4 ? 1 : 0) + (x >= 4 ? 1 : 0);
const QUADRANTS = Array.from({ length: H * W }, (_, p) => quadrant(Math.floor(p / W), p % W));

function randomValues(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 0.5);
}

/** Per-group weighted sums s_g = Σ_{p∈g, c} v_{p,c} x_{p,c} as a [H·W·C, 4] matrix. */
function groupSumMatrix(seed: number): tf.Tensor2D {
  const v = randomValues(H * W * C, seed);
  const m = new Float32Array(H * W * C * 4);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) m[(p * C + c) * 4 + QUADRANTS[p]] = v[p * C + c];
  return tf.tensor2d(m, [H * W * C, 4]);
}

/** A game with interactions between the four quadrants: two outputs, s·a + s0·s1 + max(s2, s3) and a product. */
function interactionModel(seed: number): (x: tf.Tensor4D) => tf.Tensor2D {
  const G = groupSumMatrix(seed);
  tf.keep(G);
  return (x) => tf.tidy(() => {
    const s = tf.matMul(tf.reshape(x, [x.shape[0], -1]), G);
    const [s0, s1, s2, s3] = tf.split(s, 4, 1);
    const a = tf.add(tf.add(tf.mul(s0, 0.5), tf.mul(s1, -1)), tf.add(tf.mul(s2, 2), tf.mul(s3, 0.3)));
    const first = tf.add(tf.add(a, tf.mul(s0, s1)), tf.maximum(s2, s3));
    const second = tf.add(tf.mul(tf.mul(s0, s2), s3), s1);
    return tf.concat([first, second], 1) as tf.Tensor2D;
  });
}

/** A linear model (flatten → dense, hand-set weights): every group effect is additive. */
function linearModel(seed: number): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [H, W, C] }), tf.layers.dense({ units: 3, useBias: true })] });
  model.layers[1].setWeights([tf.tensor2d(randomValues(H * W * C * 3, seed), [H * W * C, 3]), tf.tensor1d([0.1, -0.2, 0.3])]);
  return model;
}

/** v(S) for every subset S of the 4 quadrants (bit g of S: quadrant g from x, else from the baseline), item by item, on output k. */
async function subsetValues(f: (x: tf.Tensor4D) => tf.Tensor, x: Float32Array, baseline: number, k: number): Promise<number[]> {
  const batch = new Float32Array(16 * H * W * C);
  for (let s = 0; s < 16; s++) {
    for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) batch[(s * H * W + p) * C + c] = (s >> QUADRANTS[p]) & 1 ? x[p * C + c] : baseline;
  }
  const t = tf.tensor4d(batch, [16, H, W, C]);
  const y = f(t) as tf.Tensor;
  const out = await y.data();
  const k2 = y.shape[1] as number;
  tf.dispose([t, y]);
  return Array.from({ length: 16 }, (_, s) => out[s * k2 + k]);
}

/** Exact Shapley values of 4 players from v(S): Σ_S |S|!(M − |S| − 1)!/M! · (v(S ∪ g) − v(S)). */
function exactShapley(v: number[]): number[] {
  const fact = [1, 1, 2, 6, 24];
  const bits = (s: number) => [0, 1, 2, 3].filter((g) => (s >> g) & 1).length;
  return [0, 1, 2, 3].map((g) => {
    let phi = 0;
    for (let s = 0; s < 16; s++) {
      if ((s >> g) & 1) continue;
      phi += ((fact[bits(s)] * fact[3 - bits(s)]) / 24) * (v[s | (1 << g)] - v[s]);
    }
    return phi;
  });
}

/** The value of each quadrant in a map [1,H,W] (checks the map is constant on each). */
async function perGroup(map: tf.Tensor, item = 0): Promise<number[]> {
  const v = await map.data();
  const out = [NaN, NaN, NaN, NaN];
  for (let p = 0; p < H * W; p++) {
    const g = QUADRANTS[p];
    const a = v[item * H * W + p];
    if (Number.isNaN(out[g])) out[g] = a;
    else expect(a).toBe(out[g]);
  }
  return out;
}

const maxAbsErr = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
const maxAbs = (a: number[]) => Math.max(...a.map(Math.abs));

async function expectLeakFreeError(fn: () => Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const err = await fn().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('pixel groups', () => {
  test('a grid of about `segments` cells of nearly equal size', () => {
    expect(Array.from(gridGroups(8, 8, 4))).toEqual(QUADRANTS);
    const g = gridGroups(6, 9, 6);
    // rows = round(√(6·6/9)) = 2, columns = 3: cells 3 × 3 pixels.
    expect(Math.max(...g) + 1).toBe(6);
    expect(g[0]).toBe(0);
    expect(g[3 * 9 + 8]).toBe(5);
    expect(g[2 * 9 + 3]).toBe(1);
  });

  test('SLIC finds four flat-coloured quadrants, gives connected segments, and is deterministic', () => {
    const img = new Float32Array(16 * 16 * 3);
    for (let p = 0; p < 256; p++) {
      const g = 2 * (Math.floor(p / 16) >= 8 ? 1 : 0) + (p % 16 >= 8 ? 1 : 0);
      for (let c = 0; c < 3; c++) img[p * 3 + c] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]][g][c];
    }
    const s = slicGroups(img, 16, 16, 3, 4, 0.1);
    expect(s.count).toBe(4);
    for (let p = 0; p < 256; p++) expect(s.labels[p]).toBe(2 * (Math.floor(p / 16) >= 8 ? 1 : 0) + (p % 16 >= 8 ? 1 : 0));
    // A smooth image with a little noise: every segment one 4-connected piece; the same labels twice.
    const jitter = randomValues(20 * 24 * 3, 4);
    const noisy = jitter.map((r, i) => Math.sin(Math.floor(i / 72) / 3 + (i % 3)) + Math.cos(Math.floor(i / 3) % 24 / 4) + 0.05 * r);
    const a = slicGroups(noisy, 20, 24, 3, 12, 0.1);
    expect(Array.from(slicGroups(noisy, 20, 24, 3, 12, 0.1).labels)).toEqual(Array.from(a.labels));
    expect(a.count).toBeGreaterThan(3);
    for (let label = 0; label < a.count; label++) {
      const pixels = [...a.labels.keys()].filter((p) => a.labels[p] === label);
      const seen = new Set([pixels[0]]);
      const queue = [pixels[0]];
      while (queue.length) {
        const p = queue.pop() as number;
        const [y, x] = [Math.floor(p / 24), p % 24];
        for (const [yy, xx] of [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]]) {
          const q = yy * 24 + xx;
          if (yy >= 0 && yy < 20 && xx >= 0 && xx < 24 && a.labels[q] === label && !seen.has(q)) {
            seen.add(q);
            queue.push(q);
          }
        }
      }
      expect([label, seen.size]).toEqual([label, pixels.length]);
    }
  });

  test('pixelGroups returns the labels; a caller mask is renumbered by value; bad masks are typed errors', async () => {
    const x = tf.tensor4d(randomValues(2 * H * W * C, 1), [2, H, W, C]);
    const grid = await pixelGroups(x, { groups: 'grid', segments: 4 });
    expect(grid.shape).toEqual([2, H, W]);
    expect(Array.from(await grid.data()).slice(0, H * W)).toEqual(QUADRANTS);
    const mask = tf.tensor2d(QUADRANTS.map((g) => [7, 3, 10, 5][g]), [H, W], 'int32');
    const mine = await pixelGroups(x, { groups: mask });
    expect(Array.from(await mine.data()).slice(H * W)).toEqual(QUADRANTS.map((g) => [2, 0, 3, 1][g]));
    await expectLeakFreeError(() => pixelGroups(x, { groups: 'superpixels' as never }), OptionError, /^pixelGroups: groups must be 'slic', 'grid' or an integer tf.Tensor/);
    const wrong = tf.zeros([H, W + 1], 'int32');
    await expectLeakFreeError(() => featureAblation((t) => tf.sum(t, [1, 2, 3]), x, { groups: wrong }), InputError, /^featureAblation: groups mask of shape \[8,9\] does not fit the input \[2,8,8,2\]/);
    const negative = tf.fill([H, W], -1, 'int32');
    await expectLeakFreeError(() => featureAblation((t) => tf.sum(t, [1, 2, 3]), x, { groups: negative }), InputError, /^featureAblation: groups mask labels must be integers ≥ 0, got -1/);
    const half = tf.fill([H, W], 0.5);
    await expectLeakFreeError(() => lime((t) => tf.sum(t, [1, 2, 3]), x, { groups: half }), InputError, /^lime: groups mask labels must be integers ≥ 0, got 0.5/);
    tf.dispose([x, grid, mask, mine, wrong, negative, half]);
  });
});

test('the surrogate fits: least squares against the normal equations, the lasso against its optimality conditions', () => {
  const rows = 30;
  const m = 5;
  const next = mulberry32(9);
  const x = Float64Array.from({ length: rows * m }, () => (next() < 0.5 ? 1 : 0));
  const y = Float64Array.from({ length: rows }, () => next() * 4 - 2);
  const w = Float64Array.from({ length: rows }, () => 0.2 + next());
  // Least squares with an intercept: the augmented normal equations [1 X]ᵀ W [1 X] θ = [1 X]ᵀ W y, by elimination.
  const A = Array.from({ length: m + 1 }, () => new Array(m + 2).fill(0));
  for (let i = 0; i < rows; i++) {
    const row = [1, ...Array.from(x.subarray(i * m, (i + 1) * m))];
    for (let a = 0; a <= m; a++) {
      for (let b = 0; b <= m; b++) A[a][b] += w[i] * row[a] * row[b];
      A[a][m + 1] += w[i] * row[a] * y[i];
    }
  }
  for (let c = 0; c <= m; c++) {
    for (let r = c + 1; r <= m; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= m + 1; k++) A[r][k] -= f * A[c][k];
    }
  }
  const theta = new Array(m + 1).fill(0);
  for (let r = m; r >= 0; r--) theta[r] = (A[r][m + 1] - A[r].slice(r + 1, m + 1).reduce((s, a, k) => s + a * theta[r + 1 + k], 0)) / A[r][r];
  const ls = weightedLeastSquares(x, y, w, rows, m);
  expect(maxAbsErr(Array.from(ls), theta.slice(1))).toBeLessThan(1e-9);
  // The lasso: with r = y − b − Xβ at the optimum, (1/Σw) Σ w x_j r = α sign(β_j) where β_j ≠ 0, and |…| ≤ α where β_j = 0.
  for (const alpha of [0.01, 0.1, 0.5]) {
    const beta = weightedLasso(x, y, w, rows, m, alpha);
    const sw = w.reduce((a, b) => a + b, 0);
    const fit = (i: number) => beta.reduce((s, bj, j) => s + bj * x[i * m + j], 0);
    const b = Array.from({ length: rows }, (_, i) => w[i] * (y[i] - fit(i))).reduce((a, c) => a + c, 0) / sw;
    for (let j = 0; j < m; j++) {
      let g = 0;
      for (let i = 0; i < rows; i++) g += w[i] * x[i * m + j] * (y[i] - b - fit(i));
      g /= sw;
      if (beta[j] !== 0) expect(Math.abs(g - alpha * Math.sign(beta[j]))).toBeLessThan(1e-8);
      else expect(Math.abs(g)).toBeLessThanOrEqual(alpha + 1e-8);
    }
    if (alpha === 0.5) expect(Array.from(beta).filter((v) => v === 0).length).toBeGreaterThan(0);
  }
  // A rank-deficient design (duplicate columns): the minimum-norm solution splits the effect evenly.
  const dup = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) dup[2 * i] = dup[2 * i + 1] = x[i * m];
  const yd = Float64Array.from({ length: rows }, (_, i) => 1 + 3 * x[i * m]);
  const split = weightedLeastSquares(dup, yd, w, rows, 2);
  expect(Math.abs(split[0] - 1.5)).toBeLessThan(1e-8);
  expect(Math.abs(split[1] - 1.5)).toBeLessThan(1e-8);
});

describe.each(['cpu', 'wasm'] as const)('perturbation methods on %s', (backend) => {
  beforeAll(() => setBackend(backend));
  const grid = { groups: 'grid' as const, segments: 4 };

  test('feature ablation is F(x) − F(x with the group at the baseline) on every pixel of the group (linear model: Σ w·(x − b))', async () => {
    const model = linearModel(3);
    const values = randomValues(2 * H * W * C, 5);
    const x = tf.tensor4d(values, [2, H, W, C]);
    const weights = await (model.layers[1].getWeights()[0]).data();
    const before = tf.memory().numTensors;
    for (const baseline of [0, 0.25]) {
      const map = await featureAblation(model, x, { ...grid, baseline, target: [2, 0], batchSize: 3 });
      expect(map.shape).toEqual([2, H, W]);
      for (const [item, k] of [[0, 2], [1, 0]]) {
        const want = [0, 0, 0, 0];
        for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) want[QUADRANTS[p]] += weights[(p * C + c) * 3 + k] * (values[(item * H * W + p) * C + c] - baseline);
        expect(maxAbsErr(await perGroup(map, item), want)).toBeLessThan(1e-4);
      }
      map.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    model.dispose();
  });

  test('Shapley value sampling: attributions sum to F(x) − F(b) exactly and converge to the exact Shapley values', async () => {
    const f = interactionModel(11);
    const values = randomValues(H * W * C, 12);
    const x = tf.tensor4d(values, [1, H, W, C]);
    const exact = exactShapley(await subsetValues(f, values, 0.1, 0));
    const v = await subsetValues(f, values, 0.1, 0);
    const before = tf.memory().numTensors;
    const errors: number[] = [];
    for (const samples of [4, 600]) {
      const map = await shapleyValueSampling(f, x, { ...grid, baseline: 0.1, target: 0, samples, seed: 3, batchSize: 64 });
      const phi = await perGroup(map);
      expect(Math.abs(phi.reduce((a, b) => a + b, 0) - (v[15] - v[0]))).toBeLessThan(1e-3 * maxAbs(exact));
      errors.push(maxAbsErr(phi, exact) / maxAbs(exact));
      map.dispose();
    }
    expect(errors[1]).toBeLessThan(0.03);
    expect(errors[1]).toBeLessThan(errors[0]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  test('KernelSHAP is exact on an additive model and converges to the exact Shapley values with interactions', async () => {
    const model = linearModel(6);
    const f = interactionModel(14);
    const values = randomValues(H * W * C, 13);
    const x = tf.tensor4d(values, [1, H, W, C]);
    const additive = exactShapley(await subsetValues((t) => model.predict(t) as tf.Tensor, values, 0, 1));
    const before = tf.memory().numTensors;
    const few = await kernelShap(model, x, { ...grid, target: 1, samples: 10, seed: 1 });
    expect(maxAbsErr(await perGroup(few), additive)).toBeLessThan(1e-3 * maxAbs(additive));
    few.dispose();
    const exact = exactShapley(await subsetValues(f, values, 0, 1));
    const errors: number[] = [];
    // 30000 samples take seconds on the pure-JavaScript cpu backend: there the estimate stops at 3000.
    const counts = backend === 'wasm' ? [12, 3000, 30000] : [12, 3000];
    for (const samples of counts) {
      const map = await kernelShap(f, x, { ...grid, target: 1, samples, seed: 2, batchSize: 1024 });
      errors.push(maxAbsErr(await perGroup(map), exact) / maxAbs(exact));
      map.dispose();
    }
    // A Monte Carlo estimate: the error shrinks about as 1/√samples (a strong three-way interaction here).
    expect(errors[1]).toBeLessThan(0.08);
    expect(errors[1]).toBeLessThan(errors[0]);
    if (backend === 'wasm') {
      expect(errors[2]).toBeLessThan(0.04);
      expect(errors[2]).toBeLessThan(errors[1]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('LIME: least squares recovers an additive model; the lasso is optimal for the samples its seed defines', async () => {
    const model = linearModel(7);
    const f = interactionModel(16);
    const values = randomValues(H * W * C, 15);
    const x = tf.tensor4d(values, [1, H, W, C]);
    const additive = exactShapley(await subsetValues((t) => model.predict(t) as tf.Tensor, values, 0, 0));
    const before = tf.memory().numTensors;
    const ls = await lime(model, x, { ...grid, target: 0, samples: 20, seed: 4, alpha: 0 });
    expect(maxAbsErr(await perGroup(ls), additive)).toBeLessThan(1e-3 * maxAbs(additive));
    ls.dispose();
    // The lasso on the interaction game: rebuild the samples (group g on when the t-th generator's g-th draw < 1/2),
    // their scores and cosine-kernel weights here, and check the optimality conditions of LIME's coefficients.
    const v = await subsetValues(f, values, 0, 0);
    const norm = values.reduce((s, a) => s + a * a, 0);
    for (const [distance, alpha, width] of [['cosine', 0.01, 1], ['euclidean', 0.3, 2]] as const) {
      const map = await lime(f, x, { ...grid, target: 0, samples: 40, seed: 8, alpha, distance, kernelWidth: width });
      const beta = await perGroup(map);
      map.dispose();
      const rows = Array.from({ length: 40 }, (_, t) => {
        const next = drawRandom(8, t);
        const z: number[] = [0, 1, 2, 3].map(() => (next() < 0.5 ? 1 : 0));
        const s = z.reduce((a, on, g) => a | (on << g), 0);
        let kept = 0;
        for (let p = 0; p < H * W * C; p++) if (z[QUADRANTS[Math.floor(p / C)]]) kept += values[p] * values[p];
        const d = distance === 'cosine' ? (kept === 0 ? 1 : 1 - Math.sqrt(kept / norm)) : Math.sqrt(norm - kept);
        return { z, y: v[s], w: Math.exp(-(d * d) / (2 * width * width)) };
      });
      const sw = rows.reduce((a, r) => a + r.w, 0);
      const fit = (r: { z: number[] }) => r.z.reduce((a, on, g) => a + on * beta[g], 0);
      const b = rows.reduce((a, r) => a + r.w * (r.y - fit(r)), 0) / sw;
      for (let g = 0; g < 4; g++) {
        const grad = rows.reduce((a, r) => a + r.w * r.z[g] * (r.y - b - fit(r)), 0) / sw;
        if (beta[g] !== 0) expect(Math.abs(grad - alpha * Math.sign(beta[g]))).toBeLessThan(1e-3 * Math.max(1, maxAbs(beta)));
        else expect(Math.abs(grad)).toBeLessThanOrEqual(alpha * (1 + 1e-3));
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('RISE is Σ F(x ⊙ M) · M / (N · p) over the masks its seed defines (grid, bilinear upsampling, shift) built here', async () => {
    const f = interactionModel(17);
    const values = randomValues(H * W * C, 18);
    const x = tf.tensor4d(values, [1, H, W, C]);
    const [N, s, p] = [12, 3, 0.4];
    const before = tf.memory().numTensors;
    const map = await rise(f, x, { samples: N, cells: s, probability: p, seed: 21, target: 1, batchSize: 5 });
    expect(map.shape).toEqual([1, H, W]);
    const got = Array.from(await map.data());
    map.dispose();
    // Masks: s×s cells on with probability p, resized to (s + 1)·⌈H/s⌉ with half-pixel centres and mirrored
    // edges, cropped at a shift below one cell.
    const cell = Math.ceil(H / s);
    const up = (s + 1) * cell;
    const mirror = (i: number) => (i < 0 ? -i : i > s - 1 ? 2 * (s - 1) - i : i);
    const masks: number[][] = [];
    for (let t = 0; t < N; t++) {
      const next = drawRandom(21, t);
      const g = Array.from({ length: s * s }, () => (next() < p ? 1 : 0));
      const [dy, dx] = [Math.floor(next() * cell), Math.floor(next() * cell)];
      const at = (o: number) => {
        const u = ((o + 0.5) * s) / up - 0.5;
        return [mirror(Math.floor(u)), mirror(Math.floor(u) + 1), u - Math.floor(u)];
      };
      masks.push(Array.from({ length: H * W }, (_, q) => {
        const [y0, y1, fy] = at(Math.floor(q / W) + dy);
        const [x0, x1, fx] = at((q % W) + dx);
        const v = (a: number, b: number) => g[a * s + b];
        return (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1));
      }));
    }
    const batch = tf.tensor4d(Float32Array.from(masks.flatMap((m) => Array.from(values, (a, i) => a * m[Math.floor(i / C)]))), [N, H, W, C]);
    const out = f(batch);
    const scores = Array.from(await out.data()).filter((_, i) => i % 2 === 1);
    tf.dispose([batch, out]);
    const want = Array.from({ length: H * W }, (_, q) => masks.reduce((a, m, t) => a + scores[t] * m[q], 0) / (N * p));
    expect(maxAbsErr(got, want)).toBeLessThan(1e-4 * maxAbs(want));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  test('batched equals unbatched and one item alone equals it in the batch (SLIC groups per item); no leaks', async () => {
    const model = linearModel(8);
    const values = randomValues(2 * H * W * C, 19);
    const x = tf.tensor4d(values, [2, H, W, C]);
    const x1 = tf.tensor4d(values.slice(H * W * C), [1, H, W, C]);
    const runs: [string, (m: tf.LayersModel, t: tf.Tensor4D, o: Record<string, unknown>) => Promise<tf.Tensor>, Record<string, unknown>][] = [
      ['featureAblation', featureAblation, {}],
      ['shapleyValueSampling', shapleyValueSampling, { samples: 3, seed: 1 }],
      ['lime', lime, { samples: 12, seed: 1 }],
      ['kernelShap', kernelShap, { samples: 12, seed: 1 }],
      ['rise', rise, { samples: 10, cells: 2, seed: 1 }],
    ];
    for (const [name, run, o] of runs) {
      const before = tf.memory().numTensors;
      const opts = { segments: 6, target: [1, 2], ...o };
      const a = await run(model, x, { ...opts, batchSize: 1 });
      const b = await run(model, x, { ...opts, batchSize: 7 });
      const alone = await run(model, x1, { ...opts, target: 2, batchSize: 4 });
      const [va, vb, v1] = [await a.data(), await b.data(), await alone.data()];
      expect([name, maxAbsErr(Array.from(va), Array.from(vb))]).toEqual([name, 0]);
      expect([name, maxAbsErr(Array.from(va.slice(H * W)), Array.from(v1)) <= 1e-5 * maxAbs(Array.from(v1))]).toEqual([name, true]);
      expect([name, maxAbs(Array.from(va)) > 0]).toEqual([name, true]);
      tf.dispose([a, b, alone]);
      expect([name, tf.memory().numTensors]).toEqual([name, before]);
    }
    tf.dispose([x, x1]);
    model.dispose();
  });
});

describe('progress, partial results, cancellation and bad options', () => {
  beforeAll(() => setBackend('cpu'));
  const f = (t: tf.Tensor4D) => tf.sum(tf.square(t), [1, 2, 3]);

  test('progress in perturbed images, partial maps ending in the result, an AbortSignal stops without leaking', async () => {
    const x = tf.tensor4d(randomValues(2 * H * W * C, 20), [2, H, W, C]);
    const seen: [number, number][] = [];
    const partials: Float32Array[] = [];
    const out = await shapleyValueSampling(f, x, {
      groups: 'grid', segments: 4, samples: 2, seed: 1, batchSize: 4,
      onProgress: (d, t) => seen.push([d, t]),
      onPartial: async (m) => {
        partials.push((await m.data()) as Float32Array);
      },
    });
    // 2 items × 2 permutations × 3 prefixes = 12 images.
    expect(seen).toEqual([[4, 12], [8, 12], [12, 12]]);
    expect(Array.from(partials[2])).toEqual(Array.from(await out.data()));
    expect(Array.from(partials[0].slice(H * W)).every((v) => v === 0)).toBe(true);
    out.dispose();
    const n0 = tf.memory().numTensors;
    for (const run of [featureAblation, lime, kernelShap, rise, shapleyValueSampling]) {
      const stop = new AbortController();
      const err = await run(f, x, { groups: 'grid', segments: 4, samples: 8, seed: 1, batchSize: 2, signal: stop.signal, onProgress: (d: number) => d >= 2 && stop.abort() } as never).catch((e: Error) => e);
      expect((err as Error).name).toBe('AbortError');
      expect(tf.memory().numTensors).toBe(n0);
    }
    x.dispose();
  });

  test('bad options and inputs are typed errors naming the value and the choices', async () => {
    const x = tf.tensor4d(randomValues(H * W * C, 21), [1, H, W, C]);
    await expectLeakFreeError(() => shapleyValueSampling(f, x, { samples: 0 }), OptionError, /^shapleyValueSampling: samples must be an integer from 1 to 100000, got 0/);
    await expectLeakFreeError(() => kernelShap(f, x, { samples: 1 }), OptionError, /^kernelShap: samples must be an integer from 2 to 100000, got 1/);
    await expectLeakFreeError(() => lime(f, x, { alpha: -1 }), OptionError, /^lime: alpha must be a finite number ≥ 0, got -1/);
    await expectLeakFreeError(() => lime(f, x, { kernelWidth: 0 }), OptionError, /^lime: kernelWidth must be a finite number > 0, got 0/);
    await expectLeakFreeError(() => lime(f, x, { distance: 'manhattan' as never }), OptionError, /^lime: unknown distance "manhattan"; choices: cosine, euclidean/);
    await expectLeakFreeError(() => rise(f, x, { probability: 0 }), OptionError, /^rise: probability must be a finite number > 0 and ≤ 1, got 0/);
    await expectLeakFreeError(() => rise(f, x, { cells: 0 }), OptionError, /^rise: cells must be an integer from 1 to 1000, got 0/);
    await expectLeakFreeError(() => featureAblation(f, x, { segments: 0 }), OptionError, /^featureAblation: segments must be an integer from 1/);
    await expectLeakFreeError(() => featureAblation(f, x, { compactness: -1 }), OptionError, /^featureAblation: compactness must be a finite number > 0/);
    await expectLeakFreeError(() => featureAblation(f, x, { baseline: 'blur' as never }), OptionError, /^featureAblation: baseline must be a finite number or a tf.Tensor/);
    const wrongBase = tf.zeros([1, 3, 3, 1]);
    await expectLeakFreeError(() => kernelShap(f, x, { baseline: wrongBase }), InputError, /^kernelShap: baseline of shape \[1,3,3,1\] does not broadcast/);
    await expectLeakFreeError(() => lime((t) => tf.reshape(tf.sum(t, [1, 2, 3]), [-1, 1]), x, { target: 3 }), TargetError, /^lime: target 3 is out of range/);
    const rank3 = tf.zeros([H, W, C]);
    await expectLeakFreeError(() => rise(f, rank3 as never), InputError, /^rise: input must be rank 4/);
    tf.dispose([x, wrongBase, rank3]);
  });
});
