import * as tf from '@tensorflow/tfjs';
import { CancelledError, InputError, OptionError } from '../../src/errors';
import { infidelity } from '../../src/metrics/infidelity';
import { vanillaGradient } from '../../src/methods';
import { additiveModel, seeded } from './helpers';

const H = 3;
const W = 3;
const P = H * W;
const weights = seeded(P, 4, -1, 1);
const model = additiveModel(weights, H, W);
const x = tf.tensor4d(seeded(2 * P, 5), [2, H, W, 1]);
const w4 = tf.tensor4d([...weights, ...weights], [2, H, W, 1]);
afterAll(() => tf.dispose([x, w4]));
const sq = (v: number[]) => v.reduce((s, e) => s + e * e, 0);

describe('infidelity', () => {
  it('is zero for the gradient of a linear model (the exact attribution for Gaussian perturbations)', async () => {
    const g = await vanillaGradient(model, x);
    const before = tf.memory().numTensors;
    const r = await infidelity(model, x, g, { seed: 1, noise: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
    for (const v of r) expect(v).toBeLessThan(1e-10);
  });

  it('is σ²‖Φ − w‖² in expectation for a wrong attribution, and 0 after normalizing a scaled one', async () => {
    const err = seeded(P, 6, -0.5, 0.5);
    const wrong = tf.tensor4d([...weights.map((v, i) => v + err[i]), ...weights], [2, H, W, 1]);
    const sigma = 0.1;
    const r = await infidelity(model, x, wrong, { seed: 2, noise: sigma, samples: 4000, batchSize: 500 });
    expect(Math.abs(r[0] - sigma ** 2 * sq(err)) / (sigma ** 2 * sq(err))).toBeLessThan(0.1);
    expect(r[1]).toBeLessThan(1e-10);
    wrong.dispose();

    const doubled = tf.mul(w4, 2);
    const plain = await infidelity(model, x, doubled, { seed: 3, noise: sigma, samples: 4000, batchSize: 500 });
    const norm = await infidelity(model, x, doubled, { seed: 3, noise: sigma, samples: 50, normalize: true });
    doubled.dispose();
    expect(Math.abs(plain[0] - sigma ** 2 * sq(weights)) / (sigma ** 2 * sq(weights))).toBeLessThan(0.1);
    // Zero up to float32 rounding of the expanded sums (about 1e-7 of the unnormalized value).
    for (const v of norm) expect(v).toBeLessThan(1e-5 * plain[0]);
  });

  it('accepts a map [N,H,W] as the same attribution in every channel', async () => {
    const m = w4.reshape([2, H, W]);
    const a = await infidelity(model, x, m, { seed: 7, samples: 20 });
    const b = await infidelity(model, x, w4, { seed: 7, samples: 20 });
    m.dispose();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 10));
  });

  it('is the same batched and unbatched, and reports progress, partial results and cancellation', async () => {
    const wrong = tf.mul(w4, -1);
    const progress: number[] = [];
    const partials: number[][] = [];
    const one = await infidelity(model, x, wrong, { seed: 8, samples: 6, batchSize: 1, onProgress: (d) => progress.push(d), onPartial: async (p) => void partials.push(Array.from(await p.data())) });
    const all = await infidelity(model, x, wrong, { seed: 8, samples: 6, batchSize: 6 });
    one.forEach((v, i) => expect(v).toBeCloseTo(all[i], 5));
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    partials[5].forEach((v, i) => expect(v).toBeCloseTo(one[i], 5));
    const ac = new AbortController();
    const before = tf.memory().numTensors;
    await expect(infidelity(model, x, wrong, { samples: 6, batchSize: 1, signal: ac.signal, onProgress: (d) => d === 2 && ac.abort() })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    wrong.dispose();
  });

  it('raises typed errors for bad attributions and options, leaking nothing', async () => {
    const [wide, nan] = [tf.zeros([2, H, W + 1, 1]), tf.fill([2, H, W, 1], NaN)];
    const before = tf.memory().numTensors;
    await expect(infidelity(model, x, wide)).rejects.toThrow(new InputError('infidelity', 'attributions of shape [2,3,4,1] must be shaped as the input [2,3,3,1] or as a map [2,3,3]'));
    await expect(infidelity(model, x, nan)).rejects.toThrow(/infidelity: attributions holds 18 NaN/);
    await expect(infidelity(model, x, w4, { noise: 0 })).rejects.toThrow(OptionError);
    await expect(infidelity(model, x, w4, { samples: 0 })).rejects.toThrow(/infidelity: samples/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([wide, nan]);
  });
});
