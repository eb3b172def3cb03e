import * as tf from '@tensorflow/tfjs';
import { CancelledError, InputError, OptionError } from '../../src/errors';
import { noisyLinearImpute, road } from '../../src/metrics/road';
import { mulberry32 } from '../../src/random';
import { additiveModel, seeded } from './helpers';

const NEIGHBOURS: [number, number, number][] = [
  [-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12], [0, -1, 1 / 6], [0, 1, 1 / 6], [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12],
];

/** The weighted mean of a pixel's in-image neighbours, channel ch. */
function neighbourMean(v: ArrayLike<number>, h: number, w: number, c: number, p: number, ch: number): number {
  const y = Math.floor(p / w), x = p % w;
  let s = 0, ws = 0;
  for (const [dy, dx, wt] of NEIGHBOURS) {
    const yy = y + dy, xx = x + dx;
    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
    s += wt * v[(yy * w + xx) * c + ch];
    ws += wt;
  }
  return s / ws;
}

describe('noisyLinearImpute', () => {
  it('makes every removed pixel the weighted mean of its neighbours and keeps the others (its definition)', () => {
    const [h, w, c] = [9, 7, 2];
    const img = seeded(h * w * c, 31);
    const removed = Uint8Array.from(seeded(h * w, 32), (u) => (u < 0.6 ? 1 : 0)); // borders and corners included
    const out = noisyLinearImpute(img, h, w, c, removed, 0, mulberry32(1));
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < c; ch++) {
        if (removed[p]) expect(out[p * c + ch]).toBeCloseTo(neighbourMean(out, h, w, c, p, ch), 5);
        else expect(out[p * c + ch]).toBe(Math.fround(img[p * c + ch]));
      }
    }
  });

  it('reproduces a linear ramp inside the image exactly, and adds noise of the given σ', () => {
    const [h, w] = [12, 12];
    const plane = Array.from({ length: h * w }, (_, p) => 0.2 + 0.03 * Math.floor(p / w) - 0.02 * (p % w));
    const removed = new Uint8Array(h * w);
    for (let y = 2; y < 10; y++) for (let x = 3; x < 9; x++) removed[y * w + x] = 1;
    const out = noisyLinearImpute(plane, h, w, 1, removed, 0, mulberry32(1));
    plane.forEach((v, p) => expect(out[p]).toBeCloseTo(v, 5));
    const noisy = noisyLinearImpute(plane, h, w, 1, removed, 0.05, mulberry32(2));
    const d = plane.map((v, p) => noisy[p] - v).filter((_, p) => removed[p]);
    const sd = Math.sqrt(d.reduce((s, e) => s + e * e, 0) / d.length);
    expect(sd).toBeGreaterThan(0.04);
    expect(sd).toBeLessThan(0.06);
  });
});

describe('road', () => {
  const [H, W] = [6, 6];
  const P = H * W;
  const weights = seeded(P, 41, 0.1, 1);
  const model = additiveModel(weights, H, W);

  it('keeps the score of a constant image at every fraction (imputation from constant neighbours is exact), leaking nothing', async () => {
    const x = tf.fill([1, H, W, 1], 0.5) as tf.Tensor4D;
    const map = tf.tensor3d(seeded(P, 42), [1, H, W]);
    const before = tf.memory().numTensors;
    const r = await road(model, x, map, { noise: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const fx = 0.5 * weights.reduce((a, b) => a + b, 0);
    expect(r.fractions).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(r.original[0]).toBeCloseTo(fx, 5);
    for (const v of [...r.morf[0], ...r.lerf[0]]) expect(v).toBeCloseTo(fx, 5);
    expect(r.combined[0]).toBeCloseTo(0, 5);
    expect(r.morfAuc[0]).toBeCloseTo(0.8 * fx, 5);
    tf.dispose([x, map]);
  });

  it('scores the true importance of an additive model on sparse evidence better than random maps, and its reverse worse', async () => {
    // A dark image with bright, isolated pixels: imputation from dark neighbours erases them.
    const pixels = seeded(P, 43).map((u, p) => (p % 3 === 0 && Math.floor(p / W) % 2 === 0 ? 0.6 + 0.4 * u : 0.02));
    const x = tf.tensor4d(pixels, [1, H, W, 1]);
    const truth = tf.tensor3d(weights.map((wt, p) => wt * pixels[p]), [1, H, W]);
    const reversed = tf.neg(truth) as tf.Tensor3D;
    const best = await road(model, x, truth, { noise: 0 });
    const worst = await road(model, x, reversed, { noise: 0 });
    const random: number[] = [];
    for (let s = 0; s < 20; s++) {
      const m = tf.tensor3d(seeded(P, 200 + s), [1, H, W]);
      random.push((await road(model, x, m, { noise: 0 })).combined[0]);
      m.dispose();
    }
    const chance = random.reduce((a, b) => a + b, 0) / random.length;
    expect(best.combined[0]).toBeGreaterThan(chance + 0.1 * Math.abs(best.combined[0]));
    expect(worst.combined[0]).toBeLessThan(chance);
    expect(Math.abs(chance)).toBeLessThan(0.25 * best.combined[0]);
    // MoRF falls faster for the truth than for its reverse; LeRF the other way round.
    expect(best.morfAuc[0]).toBeLessThan(worst.morfAuc[0]);
    expect(best.lerfAuc[0]).toBeGreaterThan(worst.lerfAuc[0]);
    tf.dispose([x, truth, reversed]);
  });

  it('is the same batched and unbatched for a seed, reports progress and partial results, and stops on cancel', async () => {
    const x = tf.tensor4d(seeded(2 * P, 44), [2, H, W, 1]);
    const map = tf.tensor3d(seeded(2 * P, 45), [2, H, W]);
    const progress: number[] = [];
    const rows: number[] = [];
    const fractions = [0, 0.25, 0.5];
    const one = await road(model, x, map, { seed: 3, fractions, batchSize: 1, onProgress: (d) => progress.push(d), onPartial: (p) => void rows.push(p.shape[0]) });
    const all = await road(model, x, map, { seed: 3, fractions, batchSize: 6 });
    expect(one).toEqual(all);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows).toEqual([1, 2, 3, 4, 5, 6]);
    // Fraction 0 removes nothing: the clean score.
    expect(one.morf[0][0]).toBeCloseTo(one.original[0], 5);
    const other = await road(model, x, map, { seed: 4, fractions });
    expect(other.morf).not.toEqual(one.morf);
    const ac = new AbortController();
    const before = tf.memory().numTensors;
    await expect(road(model, x, map, { fractions, batchSize: 1, signal: ac.signal, onProgress: (d) => d === 2 && ac.abort() })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, map]);
  });

  it('raises typed errors for bad maps and options, leaking nothing', async () => {
    const x = tf.tensor4d(seeded(P, 46), [1, H, W, 1]);
    const [map, wide, nan] = [tf.zeros([1, H, W]), tf.zeros([1, H, W + 1]), tf.fill([1, H, W], NaN)];
    const before = tf.memory().numTensors;
    await expect(road(model, x, wide)).rejects.toThrow(new InputError('road', 'map shape [1,6,7] does not match [1,6,6]'));
    await expect(road(model, x, nan)).rejects.toThrow(/road: map holds 36 NaN/);
    await expect(road(model, x, map, { fractions: [0.5, 1] })).rejects.toThrow(new OptionError('road', 'fractions must be a non-empty array of numbers in [0, 1) (the share of pixels removed), got [0.5,1]'));
    await expect(road(model, x, map, { fractions: [0.5, 0.2] })).rejects.toThrow(/road: fractions must be increasing, got 0.5 then 0.2/);
    await expect(road(model, x, map, { noise: -1 })).rejects.toThrow(/road: noise/);
    await expect(road(model, x, map, { target: 2 })).rejects.toThrow(/out of range/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, map, wide, nan]);
  });
});
