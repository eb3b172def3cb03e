import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../../src/errors';
import { HOG_DEFAULTS, hogFeatures, hogSimilarity } from '../../src/metrics/hog';
import { seeded } from './helpers';

describe('HOG features and hogSimilarity', () => {
  it('gives a horizontal ramp its closed-form features (skimage defaults: one 3×3-cell block, L2-Hys)', () => {
    // v = x on 24×24: g_col = 2 except on the first and last columns (0), g_row = 0: every magnitude in bin 0.
    // Cells: bin 0 = 2·(8 − 1)·8/64 = 1.75 in the first and last cell column, 2 in the middle one. After the
    // first L2 normalization (norm √30.375) each exceeds 0.2, so all nine clip to 0.2 and renormalize to 1/3.
    const h = 24, w = 24;
    const v = Array.from({ length: h * w }, (_, p) => p % w);
    const f = hogFeatures(v, h, w, HOG_DEFAULTS);
    expect(f.length).toBe(3 * 3 * 9);
    for (let k = 0; k < f.length; k++) expect(f[k]).toBeCloseTo(k % 9 === 0 ? 1 / 3 : 0, 6);
    // The transposed ramp (v = y) points at 90°: bin 4 (80°–100°).
    const t = Array.from({ length: h * w }, (_, p) => Math.floor(p / w));
    const g = hogFeatures(t, h, w, HOG_DEFAULTS);
    for (let k = 0; k < g.length; k++) expect(g[k]).toBeCloseTo(k % 9 === 4 ? 1 / 3 : 0, 6);
  });

  it('is 1 for a map and its rescaled copy, lower for unrelated noise, and leaks nothing', async () => {
    const a = tf.tensor3d(seeded(2 * 32 * 32, 51), [2, 32, 32]);
    const b = tf.tensor3d(seeded(2 * 32 * 32, 52), [2, 32, 32]);
    const scaled = tf.mul(a, 3);
    const before = tf.memory().numTensors;
    (await hogSimilarity(a, scaled)).forEach((v) => expect(v).toBeCloseTo(1, 6));
    (await hogSimilarity(a, b)).forEach((v) => expect(Math.abs(v)).toBeLessThan(0.3));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, scaled]);
  });

  it('raises typed errors for maps smaller than a block and bad options', async () => {
    const small = tf.zeros([1, 16, 16]);
    const a = tf.zeros([1, 24, 24]);
    await expect(hogSimilarity(small, small)).rejects.toThrow(new OptionError('hogSimilarity', 'a HOG block of 3×3 cells of 8 px needs maps of at least 24×24, got 16×16'));
    await expect(hogSimilarity(a, a, { orientations: 0 })).rejects.toThrow(/hogSimilarity: orientations/);
    await expect(hogSimilarity(a, small)).rejects.toThrow(InputError);
    tf.dispose([small, a]);
  });
});
