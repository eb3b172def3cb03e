import * as tf from '@tensorflow/tfjs';
import { CancelledError, OptionError } from '../../src/errors';
import { sensitivityMax } from '../../src/metrics/sensitivity';
import { additiveModel, seeded } from './helpers';

const H = 3;
const W = 3;
const P = H * W;
const weights = seeded(P, 11, -1, 1);
const model = additiveModel(weights, H, W);
const x = tf.tensor4d(seeded(2 * P, 12, 0.5, 1), [2, H, W, 1]);
afterAll(() => x.dispose());
const norm = (v: number[]) => Math.sqrt(v.reduce((s, e) => s + e * e, 0));

describe('sensitivityMax', () => {
  it('is zero for the gradient of a linear model, which does not depend on the input', async () => {
    const before = tf.memory().numTensors;
    const r = await sensitivityMax(model, x, 'vanillaGradient', { seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toEqual([0, 0]);
  });

  it('is max_δ ‖w⊙δ‖ / ‖w⊙x‖ for gradient × input of a linear model, δ uniform in [−r, r] (Captum’s default perturbation)', async () => {
    const radius = 0.05;
    const samples = 5;
    const r = await sensitivityMax(model, x, 'gradientTimesInput', { seed: 3, radius, samples });
    const xs = Array.from(await x.data());
    for (let i = 0; i < 2; i++) {
      const wx = weights.map((w, p) => w * xs[i * P + p]);
      let best = 0;
      for (let k = 0; k < samples; k++) {
        const d = tf.randomUniform(x.shape, -radius, radius, 'float32', 3 + k);
        const dv = Array.from(await d.data()).slice(i * P, (i + 1) * P);
        d.dispose();
        best = Math.max(best, norm(weights.map((w, p) => w * dv[p])) / norm(wx));
      }
      expect(r[i]).toBeCloseTo(best, 5);
      expect(r[i]).toBeLessThanOrEqual((radius * norm(weights)) / norm(wx) + 1e-6);
    }
  });

  it('takes an explanation function, is the same batched and unbatched, and reports progress and cancellation', async () => {
    const square = async (_m: unknown, xi: tf.Tensor) => tf.square(xi);
    const progress: number[] = [];
    const one = await sensitivityMax(model, x, square, { seed: 5, samples: 4, onProgress: (d) => progress.push(d) });
    const all = await sensitivityMax(model, x, square, { seed: 5, samples: 4, batchSize: 4 });
    one.forEach((v, i) => expect(v).toBeCloseTo(all[i], 6));
    expect(one[0]).toBeGreaterThan(0);
    expect(progress).toEqual([1, 2, 3, 4]);
    const ac = new AbortController();
    const before = tf.memory().numTensors;
    await expect(sensitivityMax(model, x, square, { samples: 4, signal: ac.signal, onProgress: () => ac.abort() })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('raises typed errors for an unknown method and bad options, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    await expect(sensitivityMax(model, x, 'gradCAM')).rejects.toThrow(OptionError);
    await expect(sensitivityMax(model, x, 'gradCAM')).rejects.toThrow(/sensitivityMax: unknown method "gradCAM"; choices: vanillaGradient, .*gradCam/);
    await expect(sensitivityMax(model, x, 'vanillaGradient', { radius: -1 })).rejects.toThrow(OptionError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
