import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../../src/errors';
import { localisation } from '../../src/metrics/localisation';
import { rankCorrelation, spearman, ssim, trapezoidAuc, ranks } from '../../src/metrics/common';

// A 4×4 mask covering the top-left 2×2 block (chance 0.25).
const MASK = [
  [1, 1, 0, 0],
  [1, 1, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
];

describe('localisation', () => {
  it('scores a map inside the mask as a hit with all its energy inside', async () => {
    const map = tf.tensor3d([[[0, 2, 0, 0], [1, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]);
    const mask = tf.tensor3d([MASK]);
    const before = tf.memory().numTensors;
    const r = await localisation(map, mask);
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toEqual({ pointingHit: [1], energy: [1], share: [1], chance: [0.25] });
    tf.dispose([map, mask]);
  });

  it('computes energy from the positive part and share from magnitudes, and misses outside the mask', async () => {
    // Inside: +1 and -1; outside: +3 (the maximum) and -1.
    const map = tf.tensor3d([[[1, -1, 0, 0], [0, 0, 0, 0], [0, 0, 3, 0], [0, -1, 0, 0]]]);
    const mask = tf.tensor3d([MASK]);
    const r = await localisation(map, mask);
    expect(r.pointingHit).toEqual([0]);
    expect(r.energy[0]).toBeCloseTo(1 / 4, 6);
    expect(r.share[0]).toBeCloseTo(2 / 6, 6);
    // Within 2 px of (2,2) lies mask pixel (1,1) at distance √2.
    expect((await localisation(map, mask, { tolerance: 1.5 })).pointingHit).toEqual([1]);
    expect((await localisation(map, mask, { tolerance: 1.4 })).pointingHit).toEqual([0]);
    tf.dispose([map, mask]);
  });

  it('scores random maps near chance', async () => {
    const n = 400;
    const mask = tf.tidy(() => tf.tile(tf.tensor3d([MASK]), [n, 1, 1]));
    const map = tf.randomUniform([n, 4, 4], 0, 1, 'float32', 3);
    const r = await localisation(map, mask);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean(r.pointingHit) - 0.25)).toBeLessThan(0.07);
    expect(Math.abs(mean(r.energy) - 0.25)).toBeLessThan(0.03);
    expect(Math.abs(mean(r.share) - 0.25)).toBeLessThan(0.03);
    tf.dispose([map, mask]);
  });

  it('raises typed errors for bad maps and masks, leaking nothing', async () => {
    const map = tf.zeros([1, 4, 4]);
    const mask = tf.tensor3d([MASK]);
    const [rank4, wide, nan, half, empty] = [tf.zeros([1, 4, 4, 3]), tf.zeros([1, 4, 5]), tf.fill([1, 4, 4], NaN), tf.fill([1, 4, 4], 0.5), tf.zeros([1, 4, 4])];
    const before = tf.memory().numTensors;
    await expect(localisation(rank4, mask)).rejects.toThrow(/rank 3 \[N,H,W\], but got rank 4.*reduceChannels/);
    await expect(localisation(map, wide)).rejects.toThrow(new InputError('localisation', 'mask shape [1,4,5] does not match [1,4,4]'));
    await expect(localisation(nan, mask)).rejects.toThrow(/map holds 16 NaN/);
    await expect(localisation(map, half)).rejects.toThrow(/mask must hold only 0 and 1, but item 0 holds 0.5/);
    await expect(localisation(map, empty)).rejects.toThrow(/mask of item 0 is empty/);
    await expect(localisation(map, mask, { tolerance: -1 })).rejects.toThrow(OptionError);
    await expect(localisation([1, 2] as unknown as tf.Tensor, mask)).rejects.toThrow(InputError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([map, mask, rank4, wide, nan, half, empty]);
  });
});

describe('rank statistics', () => {
  it('averages tied ranks and matches scipy.stats.spearmanr on a small case', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    // scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it('correlates maps per item, with and without absolute values', async () => {
    const a = tf.tensor3d([[[1, -2], [3, 4]], [[1, 2], [3, 4]]]);
    const b = tf.tensor3d([[[1, 2], [3, 4]], [[4, 3], [2, 1]]]);
    const before = tf.memory().numTensors;
    const r = await rankCorrelation(a, b);
    expect(r[0]).toBeCloseTo(0.8, 6);
    expect(r[1]).toBeCloseTo(-1, 6);
    expect((await rankCorrelation(a, b, { absolute: true }))[0]).toBeCloseTo(1, 6);
    expect(tf.memory().numTensors).toBe(before);
    await expect(rankCorrelation(a, tf.zeros([2, 2, 3]))).rejects.toThrow(InputError);
    tf.dispose([a, b]);
  });

  it('integrates by the trapezoid rule over [0, 1]', () => {
    expect(trapezoidAuc([1, 1, 1])).toBe(1);
    expect(trapezoidAuc([1, 0])).toBe(0.5);
    expect(trapezoidAuc([0, 1, 0])).toBe(0.5);
  });
});

describe('ssim', () => {
  it('is 1 for identical maps, the closed form for constant maps, and near 0 for independent noise', async () => {
    const a = tf.randomUniform([2, 16, 16], 0, 1, 'float32', 1);
    const b = tf.randomUniform([2, 16, 16], 0, 1, 'float32', 2);
    const [c1, c2] = [tf.fill([1, 9, 9], 0.2), tf.fill([1, 9, 9], 0.6)];
    const before = tf.memory().numTensors;
    (await ssim(a, a)).forEach((v) => expect(v).toBeCloseTo(1, 6));
    (await ssim(a, b)).forEach((v) => expect(Math.abs(v)).toBeLessThan(0.15));
    // Constant maps: no variance, so SSIM = (2·μx·μy + C1) / (μx² + μy² + C1) with C1 = (0.01·R)².
    const C1 = (0.01 * 2) ** 2;
    expect((await ssim(c1, c2, { dataRange: 2 }))[0]).toBeCloseTo((2 * 0.2 * 0.6 + C1) / (0.04 + 0.36 + C1), 6);
    expect(tf.memory().numTensors).toBe(before);
    await expect(ssim(a, a, { windowSize: 4 })).rejects.toThrow(OptionError);
    await expect(ssim(a, a, { dataRange: 0 })).rejects.toThrow(/ssim: dataRange must be a number > 0, got 0/);
    await expect(ssim(a, c1)).rejects.toThrow(InputError);
    tf.dispose([a, b, c1, c2]);
  });
});
