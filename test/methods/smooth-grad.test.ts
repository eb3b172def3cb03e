import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { OptionError } from '../../src/errors';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { vanillaGradient, gradientTimesInput } from '../../src/methods/gradient';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { relErr } from '../reference/net';
import { randomCnn, randomInput } from '../reference/models';

/** The noisy copies smoothGrad documents: x + N(0,1; seed + s) · noise · (max − min) per item. */
function noisyCopy(x: tf.Tensor4D, noise: number, seed: number, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const flat = x.reshape([x.shape[0], -1]);
    const sigma = tf.mul(tf.sub(tf.max(flat, 1), tf.min(flat, 1)), noise).reshape([-1, 1, 1, 1]);
    return tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed + s), sigma)) as tf.Tensor4D;
  });
}

describe.each(['cpu', 'wasm'] as const)('smoothGrad on %s', (backend) => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await setBackend(backend);
    model = randomCnn('fusedGapSoftmax', 4);
    x = randomInput(model, 2, 5);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  test('zero noise gives the plain gradient', async () => {
    const sg = await smoothGrad(model, x, { samples: 3, noise: 0, target: [1, 3] });
    const g = await vanillaGradient(model, x, { target: [1, 3] });
    expect(relErr(await sg.data(), await g.data())).toBeLessThan(1e-5);
    tf.dispose([sg, g]);
  });

  test('mean, mean of squares and variance over the documented noisy copies; independent of batchSize', async () => {
    const samples = 5, noise = 0.2, seed = 42, target = [0, 2];
    const grads: tf.Tensor[] = [];
    for (let s = 0; s < samples; s++) {
      const xi = noisyCopy(x, noise, seed, s);
      grads.push(await vanillaGradient(model, xi, { target }));
      xi.dispose();
    }
    const expected = tf.tidy(() => {
      const st = tf.stack(grads);
      const mean = tf.mean(st, 0), meanSq = tf.mean(tf.square(st), 0);
      return { smoothGrad: mean, smoothGradSquared: meanSq, varGrad: tf.sub(meanSq, tf.square(mean)) };
    });
    for (const type of ['smoothGrad', 'smoothGradSquared', 'varGrad'] as const) {
      for (const batchSize of [1, 3, 64]) {
        const before = tf.memory().numTensors;
        const sg = await smoothGrad(model, x, { samples, noise, seed, target, type, batchSize });
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(relErr(await sg.data(), await expected[type].data())).toBeLessThan(1e-4);
        sg.dispose();
      }
    }
    tf.dispose([...grads, expected.smoothGrad, expected.smoothGradSquared, expected.varGrad]);
  });

  test('wraps gradient × input (noisy input), integrated gradients and any function', async () => {
    const seed = 3, samples = 2, noise = 0.1;
    const gi = await smoothGrad(model, x, { method: 'gradientTimesInput', samples, noise, seed, target: 1 });
    const ig = await smoothGrad(model, x, { method: 'integratedGradients', methodOptions: { steps: 4 }, samples, noise, seed, target: 1 });
    const calls: number[] = [];
    const custom = await smoothGrad(model, x, {
      samples, noise, seed, target: 1,
      method: async (m, xi, o) => {
        calls.push(xi.shape[0]);
        return gradientTimesInput(m, xi, o);
      },
    });
    expect(calls).toEqual([2, 2]);
    expect(relErr(await custom.data(), await gi.data())).toBeLessThan(1e-5);
    const e1 = noisyCopy(x, noise, seed, 0), e2 = noisyCopy(x, noise, seed, 1);
    const i1 = await integratedGradients(model, e1, { steps: 4, target: 1 }), i2 = await integratedGradients(model, e2, { steps: 4, target: 1 });
    const mean = tf.tidy(() => tf.div(tf.add(i1, i2), 2));
    expect(relErr(await ig.data(), await mean.data())).toBeLessThan(1e-4);
    tf.dispose([gi, ig, custom, e1, e2, i1, i2, mean]);
  });

  test('the default target is fixed on the clean input; errors and cancellation', async () => {
    const a = await smoothGrad(model, x, { samples: 4, seed: 9, noise: 0.5 });
    const probs = model.predict(x) as tf.Tensor;
    const classes = Array.from(await probs.argMax(1).data());
    const b = await smoothGrad(model, x, { samples: 4, seed: 9, noise: 0.5, target: classes });
    expect(relErr(await a.data(), await b.data())).toBeLessThan(1e-6);
    tf.dispose([a, b, probs]);
    const before = tf.memory().numTensors;
    await expect(smoothGrad(model, x, { type: 'smoothgrad_sq' as never })).rejects.toThrow(
      new OptionError('smoothGrad', 'unknown type "smoothgrad_sq"; choices: smoothGrad, smoothGradSquared, varGrad'),
    );
    await expect(smoothGrad(model, x, { noise: -1 })).rejects.toThrow(OptionError);
    await expect(smoothGrad(model, x, { samples: 1.5 })).rejects.toThrow(OptionError);
    const ctl = new AbortController();
    let seen = 0;
    await expect(
      smoothGrad(model, x, { samples: 50, batchSize: 2, signal: ctl.signal, onProgress: (d) => { seen = d; if (d >= 4) ctl.abort(); } }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
  });
});
