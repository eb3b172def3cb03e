import * as tf from '@tensorflow/tfjs';
import { CancelledError, InputError, OptionError } from '../../src/errors';
import { deletion, insertion } from '../../src/metrics/pixel-curve';
import { trapezoidAuc } from '../../src/metrics/common';
import { additiveModel, seeded } from './helpers';

const H = 4;
const W = 4;
const P = H * W;
const weights = seeded(P, 1, 0.1, 1);
const pixels = seeded(P, 2, 0.2, 1);
const contributions = weights.map((w, i) => w * pixels[i]);
const fx = contributions.reduce((a, b) => a + b, 0);

describe('deletion and insertion', () => {
  const model = additiveModel(weights, H, W);
  const x = tf.tensor4d(pixels, [1, H, W, 1]);
  const truth = tf.tensor3d(contributions, [1, H, W]);
  afterAll(() => tf.dispose([x, truth]));

  it('gives the true importance of an additive model its exact curve, the best AUC of all orders', async () => {
    const before = tf.memory().numTensors;
    const r = await deletion(model, x, truth, { steps: P });
    expect(tf.memory().numTensors).toBe(before);
    // Removing pixels most important first: f(x) minus the k largest contributions.
    const sorted = [...contributions].sort((a, b) => b - a);
    const expected = sorted.reduce((c, v) => [...c, c[c.length - 1] - v], [fx]);
    expect(r.fractions).toEqual(Array.from({ length: P + 1 }, (_, k) => k / P));
    r.curves[0].forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
    expect(r.auc[0]).toBeCloseTo(trapezoidAuc(expected), 5);

    // Random maps: never better, and near chance (a random order's expected curve is the straight line
    // from f(x) to f(0) = 0, area f(x)/2).
    const aucs: number[] = [];
    for (let s = 0; s < 40; s++) {
      const random = tf.tensor3d(seeded(P, 100 + s), [1, H, W]);
      const d = await deletion(model, x, random, { steps: P });
      random.dispose();
      expect(d.auc[0]).toBeGreaterThanOrEqual(r.auc[0] - 1e-6);
      aucs.push(d.auc[0]);
    }
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    expect(Math.abs(mean - fx / 2) / fx).toBeLessThan(0.06);
    expect(r.auc[0]).toBeLessThan(0.8 * mean);
  });

  it('gives the true importance the best insertion AUC, and the reversed map the worst', async () => {
    const best = await insertion(model, x, truth, { steps: P, baseline: 0 });
    const reversed = tf.neg(truth) as tf.Tensor3D;
    const worst = await insertion(model, x, reversed, { steps: P, baseline: 0 });
    reversed.dispose();
    expect(best.curves[0][0]).toBeCloseTo(0, 6);
    expect(best.curves[0][P]).toBeCloseTo(fx, 5);
    expect(best.auc[0]).toBeGreaterThan(fx / 2);
    expect(worst.auc[0]).toBeLessThan(fx / 2);
    // Deletion and insertion in the same order, both against zeros: d(k) = f(x) − i(k).
    const del = await deletion(model, x, truth, { steps: P, baseline: 0 });
    expect(del.auc[0]).toBeCloseTo(fx - best.auc[0], 5);
  });

  it('starts insertion from the blurred input by default and rounds k to whole pixels', async () => {
    const r = await insertion(model, x, truth, { steps: 3 });
    expect(r.fractions).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(r.curves[0][3]).toBeCloseTo(fx, 5);
    expect(Math.abs(r.curves[0][0] - fx)).toBeGreaterThan(1e-3); // the blurred image scores otherwise
  });

  it('is the same batched and unbatched, reports progress and partial results, and stops on cancel', async () => {
    const two = tf.concat([x, tf.mul(x, 0.5)]) as tf.Tensor4D;
    const maps = tf.concat([truth, tf.tensor3d(seeded(P, 9), [1, H, W])]) as tf.Tensor3D;
    const progress: number[] = [];
    const partialRows: number[] = [];
    const one = await deletion(model, two, maps, { steps: 8, batchSize: 1, onProgress: (d) => progress.push(d), onPartial: (p) => void partialRows.push(p.shape[0]) });
    const all = await deletion(model, two, maps, { steps: 8, batchSize: 100 });
    expect(one.curves).toEqual(all.curves);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(partialRows).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ac = new AbortController();
    const before = tf.memory().numTensors;
    await expect(deletion(model, two, maps, { steps: 8, batchSize: 1, signal: ac.signal, onProgress: (d) => d === 3 && ac.abort() })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([two, maps]);
  });

  it('raises typed errors for bad maps, inputs and options, leaking nothing', async () => {
    const [wide, nan, rank4] = [tf.zeros([1, H, W + 1]), tf.fill([1, H, W], NaN), tf.zeros([1, H, W, 1])];
    const before = tf.memory().numTensors;
    await expect(deletion(model, x, wide)).rejects.toThrow(new InputError('deletion', 'map shape [1,4,5] does not match [1,4,4]'));
    await expect(deletion(model, x, nan)).rejects.toThrow(/deletion: map holds 16 NaN/);
    await expect(insertion(model, x, rank4)).rejects.toThrow(/insertion: map must be rank 3/);
    await expect(deletion(model, x, truth, { baseline: 'gray' as never })).rejects.toThrow(OptionError);
    await expect(deletion(model, x, truth, { steps: 0 })).rejects.toThrow(/deletion: steps/);
    await expect(deletion(model, x, truth, { target: 3 })).rejects.toThrow(/out of range/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([wide, nan, rank4]);
  });
});
