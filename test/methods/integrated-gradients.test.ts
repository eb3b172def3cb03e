import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { OptionError, InputError } from '../../src/errors';
import {
  gaussLegendre, integrationPoints, integratedGradients, integratedGradientsWithDelta, IG_METHODS,
} from '../../src/methods/integrated-gradients';
import { RefNet, itemOf, relErr } from '../reference/net';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';

describe('integration points (Captum conventions)', () => {
  test('Gauss–Legendre nodes and weights equal the closed forms', () => {
    const g3 = gaussLegendre(3);
    [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)].forEach((v, i) => expect(g3.nodes[i]).toBeCloseTo(v, 14));
    [5 / 9, 8 / 9, 5 / 9].forEach((v, i) => expect(g3.weights[i]).toBeCloseTo(v, 14));
    const g5 = gaussLegendre(5);
    const a = (1 / 3) * Math.sqrt(5 - 2 * Math.sqrt(10 / 7)), b = (1 / 3) * Math.sqrt(5 + 2 * Math.sqrt(10 / 7));
    [-b, -a, 0, a, b].forEach((v, i) => expect(g5.nodes[i]).toBeCloseTo(v, 13));
    const wa = (322 + 13 * Math.sqrt(70)) / 900, wb = (322 - 13 * Math.sqrt(70)) / 900;
    [wb, wa, 128 / 225, wa, wb].forEach((v, i) => expect(g5.weights[i]).toBeCloseTo(v, 13));
    // exact for polynomials up to degree 2n−1: ∫₀¹ α^9 dα = 1/10 with 5 points
    const p = integrationPoints('gaussLegendre', 5);
    expect(p.alphas.reduce((s, al, i) => s + p.weights[i] * al ** 9, 0)).toBeCloseTo(0.1, 13);
  });

  test('Riemann rules', () => {
    expect(integrationPoints('riemannLeft', 4)).toEqual({ alphas: [0, 0.25, 0.5, 0.75], weights: [0.25, 0.25, 0.25, 0.25] });
    expect(integrationPoints('riemannRight', 4)).toEqual({ alphas: [0.25, 0.5, 0.75, 1], weights: [0.25, 0.25, 0.25, 0.25] });
    expect(integrationPoints('riemannMiddle', 4)).toEqual({ alphas: [0.125, 0.375, 0.625, 0.875], weights: [0.25, 0.25, 0.25, 0.25] });
    // Captum's riemann_builders: step sizes 1/n with the two ends halved, summing to (n − 1)/n.
    const t = integrationPoints('riemannTrapezoid', 5);
    expect(t.alphas).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(t.weights).toEqual([0.1, 0.2, 0.2, 0.2, 0.1]);
    const t50 = integrationPoints('riemannTrapezoid', 50);
    expect(t50.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(49 / 50, 14);
  });
});

describe.each(['cpu', 'wasm'] as const)('integratedGradients on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test.each(RANDOM_CNNS)('%s: each rule agrees with the reference', async (kind) => {
    const model = randomCnn(kind, 5);
    const ref = await RefNet.fromModel(model);
    const x = randomInput(model, 2, 13);
    const items = [await itemOf(x, 0), await itemOf(x, 1)];
    const targets = [0, 2];
    for (const method of IG_METHODS) {
      const before = tf.memory().numTensors;
      const ig = await integratedGradients(model, x, { target: targets, steps: 7, method, batchSize: 5 });
      expect(tf.memory().numTensors).toBe(before + 1);
      const v = await ig.data();
      const size = v.length / 2;
      const { alphas, weights } = integrationPoints(method, 7);
      for (let n = 0; n < 2; n++) {
        const xi = items[n];
        const expected = new Float64Array(size);
        alphas.forEach((al, k) => {
          const g = ref.gradient({ ...xi, d: xi.d.map((val) => al * val) }, targets[n]);
          for (let i = 0; i < size; i++) expected[i] += weights[k] * g.d[i];
        });
        for (let i = 0; i < size; i++) expected[i] *= xi.d[i];
        expect(relErr(v.subarray(n * size, (n + 1) * size), expected)).toBeLessThan(1e-4);
      }
      ig.dispose();
    }
    x.dispose();
    model.dispose();
  });

  test('completeness: delta under 1% with 64 Gauss–Legendre steps on a smooth model', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'tanh', kernelInitializer: tf.initializers.randomNormal({ stddev: 0.5, seed: 1 }) }),
        tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ stddev: 0.5, seed: 2 }) }),
      ],
    });
    const x = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    for (const baseline of ['zeros', 'blur', 0.5] as const) {
      const before = tf.memory().numTensors;
      const { attributions, delta } = await integratedGradientsWithDelta(model, x, { steps: 64, target: 1, baseline, blurSigma: 1.5 });
      expect(tf.memory().numTensors).toBe(before + 2);
      const gap = baseline === 'blur' ? null : tf.tidy(() => {
        const b = baseline === 'zeros' ? tf.zerosLike(x) : tf.fill(x.shape, 0.5);
        return tf.sub(tf.gather(model.predict(x) as tf.Tensor, 1, 1), tf.gather(model.predict(b) as tf.Tensor, 1, 1));
      });
      const d = await delta.data();
      const total = await tf.tidy(() => tf.sum(attributions.reshape([3, -1]), 1)).data();
      for (let i = 0; i < 3; i++) {
        const change = total[i] - d[i]; // F(x) − F(x')
        expect(Math.abs(d[i])).toBeLessThan(0.01 * Math.abs(change));
      }
      if (gap) {
        const gv = await gap.data();
        for (let i = 0; i < 3; i++) expect(total[i] - d[i]).toBeCloseTo(gv[i], 4);
        gap.dispose();
      }
      tf.dispose([attributions, delta]);
    }
    x.dispose();
    model.dispose();
  });

  test('batched equals unbatched, the input is unchanged, progress is reported', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 3, 1);
    const copy = await x.data();
    const progress: number[] = [];
    const a = await integratedGradients(model, x, { steps: 6, batchSize: 4, onProgress: (d, t) => progress.push(d / t) });
    const b = await integratedGradients(model, x, { steps: 6, batchSize: 1000 });
    expect(relErr(await a.data(), await b.data())).toBeLessThan(1e-5);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress).toEqual([...progress].sort((p, q) => p - q));
    expect(await x.data()).toEqual(copy);
    tf.dispose([a, b, x]);
    model.dispose();
  });

  test('bad options and inputs are typed errors that leak nothing', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 1, 1);
    const badBaseline = tf.zeros([2, 2]);
    const nanBaseline = tf.tensor1d([0, NaN]);
    const before = tf.memory().numTensors;
    await expect(integratedGradients(model, x, { method: 'simpson' as never })).rejects.toThrow(
      new OptionError('integratedGradients', 'unknown method "simpson"; choices: gaussLegendre, riemannLeft, riemannRight, riemannMiddle, riemannTrapezoid'),
    );
    await expect(integratedGradients(model, x, { steps: 0 })).rejects.toThrow(OptionError);
    await expect(integratedGradients(model, x, { baseline: badBaseline })).rejects.toThrow(InputError);
    await expect(integratedGradients(model, x, { baseline: nanBaseline })).rejects.toThrow(new InputError('integratedGradients', 'baseline holds 1 NaN or Infinity value'));
    await expect(integratedGradients(model, x, { target: 3 })).rejects.toThrow(/target 3 is out of range; the model has 3 outputs \(valid: 0 to 2\)/);
    const aborted = new AbortController();
    aborted.abort();
    await expect(integratedGradients(model, x, { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, badBaseline, nanBaseline]);
    model.dispose();
  });
});
