import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { forwardScores } from '../../src/models/forward';
import { RefNet, itemOf, relErr } from './net';
import { RANDOM_CNNS, randomCnn, randomInput } from './models';

// The reference itself must agree with tfjs's forward pass, else comparisons against it mean nothing.
describe('reference interpreter', () => {
  beforeAll(() => setBackend('cpu'));
  test.each(RANDOM_CNNS)('%s: forward agrees with tfjs (with and without softmax)', async (kind) => {
    const model = randomCnn(kind);
    const ref = await RefNet.fromModel(model);
    const x = randomInput(model, 2);
    for (const preSoftmax of [true, false]) {
      const y = tf.tidy(() => forwardScores('test', model, x, { preSoftmax }));
      const yv = await y.data();
      const k = y.shape[1];
      for (let n = 0; n < 2; n++) {
        const r = ref.forward(await itemOf(x, n), preSoftmax).scores;
        expect(relErr(yv.subarray(n * k, (n + 1) * k), r)).toBeLessThan(1e-5);
      }
      y.dispose();
    }
    x.dispose();
    model.dispose();
  });

  test('its gradient matches central finite differences of its own forward pass', async () => {
    const model = randomCnn('stridedAvgSame');
    const ref = await RefNet.fromModel(model);
    const x = await itemOf(randomInput(model, 1, 3), 0);
    const g = ref.gradient(x, 2, { preSoftmax: false });
    const h = 1e-6;
    const fd = new Float64Array(x.d.length);
    for (let i = 0; i < x.d.length; i++) {
      const xp = { ...x, d: Float64Array.from(x.d) };
      const xm = { ...x, d: Float64Array.from(x.d) };
      xp.d[i] += h;
      xm.d[i] -= h;
      fd[i] = (ref.forward(xp, false).scores[2] - ref.forward(xm, false).scores[2]) / (2 * h);
    }
    expect(relErr(g.d, fd)).toBeLessThan(1e-5);
    model.dispose();
  });
});
