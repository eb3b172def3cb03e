import * as tf from '@tensorflow/tfjs';
import { normalize, normalizeRange, percentile, gallery, FloatArray } from '../../src/viz';
import { InputError, OptionError } from '../../src/errors';
import { useCpu, expectNoLeak } from './helpers';

beforeAll(useCpu);

const host = (values: number[], shape = [1, values.length]) => ({ data: Float32Array.from(values), shape });
const near = (a: ArrayLike<number>, b: number[], digits = 6) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, digits));
};

/** The textbook definition: sort, rank r = p/100 (n - 1), interpolate between neighbours. */
function percentileBySorting(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const r = (p / 100) * (s.length - 1);
  const k = Math.floor(r);
  return k + 1 < s.length ? s[k] + (s[k + 1] - s[k]) * (r - k) : s[k];
}

describe('percentile', () => {
  test('known values (numpy.percentile, linear)', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBeCloseTo(2.5);
    expect(percentile([1, 2, 3, 4], 25)).toBeCloseTo(1.75);
    expect(percentile([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 90)).toBeCloseTo(8.1);
    expect(percentile([5, -1, 3], 0)).toBe(-1);
    expect(percentile([5, -1, 3], 100)).toBe(5);
    expect(percentile([7], 37)).toBe(7);
  });

  test('matches the sorting definition on random data with ties', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      const values = Array.from({ length: n }, () => Math.round(rand() * 50) / 5 - 3); // many ties
      const asF32 = Array.from(Float32Array.from(values));
      for (const p of [0, 1, 2.5, 33, 50, 90, 99, 99.9, 100]) {
        expect(percentile(values, p)).toBeCloseTo(percentileBySorting(asF32, p), 5);
      }
    }
  });

  test('bad p and empty input are errors', () => {
    expect(() => percentile([1], 101)).toThrow(OptionError);
    expect(() => percentile([], 50)).toThrow(InputError);
  });
});

describe('normalize', () => {
  test('minmax maps min to 0 and max to 1', async () => {
    const out = await normalize(host([2, 4, 6, 10]));
    near(out.data, [0, 0.25, 0.5, 1]);
    expect(out.shape).toEqual([1, 4]);
  });

  test('abs divides |x| by max |x|; signed puts zero at 0.5', async () => {
    near((await normalize(host([-4, -2, 0, 1, 2]), { mode: 'abs' })).data, [1, 0.5, 0, 0.25, 0.5]);
    near((await normalize(host([-4, -2, 0, 1, 2]), { mode: 'signed' })).data, [0, 0.25, 0.5, 0.625, 0.75]);
  });

  test('percentile clipping: values past the p-th percentile saturate', async () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]; // one outlier
    const hi = percentileBySorting(values, 90); // 17.2: 8 + 0.1 (100 - 8)
    const lo = percentileBySorting(values, 10); // 0.9
    const out = await normalize(host(values), { percentile: 90 });
    near(out.data, values.map((v) => Math.min(1, Math.max(0, (v - lo) / (hi - lo)))), 5);
    const abs = await normalize(host(values.map((v) => -v)), { mode: 'abs', percentile: 90 });
    near(abs.data, values.map((v) => Math.min(1, v / hi)), 5);
  });

  test('a constant map becomes 0 (signed: 0.5), never NaN', async () => {
    near((await normalize(host([3, 3, 3]))).data, [0, 0, 0]);
    near((await normalize(host([0, 0]), { mode: 'signed' })).data, [0.5, 0.5]);
    near((await normalize(host([0, 0]), { mode: 'abs' })).data, [0, 0]);
  });

  test('per-map scale for a stack; shared scale across a stack and across an array', async () => {
    const stack = { data: Float32Array.from([0, 1, 0, 4]), shape: [2, 1, 2] };
    near((await normalize(stack)).data, [0, 1, 0, 1]);
    near((await normalize(stack, { scale: 'shared' })).data, [0, 0.25, 0, 1]);
    const [a, b] = (await normalize([host([0, 2]), host([0, 8])], { scale: 'shared' })) as FloatArray[];
    near(a.data, [0, 0.25]);
    near(b.data, [0, 1]);
    expect(await normalizeRange([host([0, 2]), host([-1, 8])], { scale: 'shared' })).toEqual([[[-1, 8]], [[-1, 8]]]);
  });

  test('shared scale: equal values get the same color in different maps', async () => {
    // Map A spans 0..1, map B 0..4; both hold the value 1 at pixel 0 of their second row.
    const a = tf.tensor2d([[0, 0.5], [1, 0]]);
    const b = tf.tensor2d([[4, 2], [1, 0]]);
    const shared = await gallery([a, b], { normalize: { scale: 'shared' }, padding: 0, columns: 2 });
    const perTile = await gallery([a, b], { padding: 0, columns: 2 });
    // Tile A occupies x 0..1, tile B x 2..3; pixel (0, 1) of each tile is the value 1.
    expect(shared.pixel(0, 1)).toEqual(shared.pixel(2, 1));
    expect(perTile.pixel(0, 1)).not.toEqual(perTile.pixel(2, 1));
    tf.dispose([a, b]);
  });

  test('a fixed range', async () => {
    near((await normalize(host([0, 5, 10, 20]), { range: [0, 10] })).data, [0, 0.5, 1, 1]);
    near((await normalize(host([-5, 5]), { mode: 'signed', range: [0, 10] })).data, [0.25, 0.75]);
  });

  test('tensor in, new tensor out of the same shape; no other tensors kept', async () => {
    const map = tf.tensor3d([[[1, 2], [3, 5]]]);
    const out = await expectNoLeak(async () => {
      const r = await normalize(map, { mode: 'abs' });
      const values = Array.from(await r.data());
      expect(r.shape).toEqual([1, 2, 2]);
      r.dispose();
      return values;
    });
    near(out, [0.2, 0.4, 0.6, 1]);
    expect(map.isDisposed).toBe(false);
    map.dispose();
  });

  test('bad input and options are typed errors naming the value', async () => {
    await expect(normalize(host([1, NaN, 3]))).rejects.toThrow(new InputError('normalize', 'map holds NaN at index 1 (shape [1, 3]); maps must be finite'));
    await expect(normalize(host([1, Infinity]))).rejects.toThrow(InputError);
    await expect(normalize({ data: new Float32Array(3), shape: [2, 2] })).rejects.toThrow('normalize: map shape [2, 2] needs 4 values, but data has 3');
    await expect(normalize({ data: new Float32Array(16), shape: [2, 2, 2, 2] })).rejects.toThrow(/must have shape \[H,W\] or \[N,H,W\]/);
    await expect(normalize([])).rejects.toThrow(InputError);
    await expect(normalize(host([1]), { mode: 'log' as never })).rejects.toThrow('normalize: invalid mode "log"; choices: minmax, abs, signed');
    await expect(normalize(host([1]), { percentile: 30 })).rejects.toThrow(OptionError);
    await expect(normalize(host([1]), { scale: 'global' as never })).rejects.toThrow('choices: per-map, shared');
    await expect(normalize(host([1]), { range: [2, 1] })).rejects.toThrow(OptionError);
    await expect(normalize('map' as never)).rejects.toThrow(/must be a tf.Tensor or \{ data, shape \}/);
  });
});
