/**
 * Each gradient-based method against the float64 reference on random CNNs (same/valid padding, strides 1
 * and 2, max and average pooling, GAP, flatten, dense, ReLU fused and separate, softmax heads), on cpu and
 * wasm, to 1e-4 relative to the largest value.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { vanillaGradient, gradientTimesInput } from '../../src/methods/gradient';
import { guidedBackprop, deconvnet } from '../../src/methods/guided-backprop';
import { RefNet, itemOf, relErr } from '../reference/net';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';

const TOL = 1e-4;

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  describe.each(RANDOM_CNNS)('%s', (kind) => {
    let model: tf.Sequential;
    let ref: RefNet;
    let x: tf.Tensor4D;
    const targets = [1, 2];
    beforeAll(async () => {
      model = randomCnn(kind, 3);
      ref = await RefNet.fromModel(model);
      x = randomInput(model, 2, 11);
    });
    afterAll(() => {
      x.dispose();
      model.dispose();
    });

    test.each([
      ['vanillaGradient', 'standard', false],
      ['gradientTimesInput', 'standard', true],
      ['guidedBackprop', 'guided', false],
      ['deconvnet', 'deconvnet', false],
    ] as const)('%s', async (name, relu, timesInput) => {
      const fn = { vanillaGradient, gradientTimesInput, guidedBackprop, deconvnet }[name];
      const before = tf.memory().numTensors;
      const xCopy = await x.data();
      const g = await fn(model, x, { target: targets });
      expect(g.shape).toEqual(x.shape);
      const gv = await g.data();
      const size = gv.length / 2;
      for (let n = 0; n < 2; n++) {
        const item = await itemOf(x, n);
        const r = ref.gradient(item, targets[n], { relu });
        const expected = timesInput ? r.d.map((v, i) => v * item.d[i]) : r.d;
        expect(relErr(gv.subarray(n * size, (n + 1) * size), expected)).toBeLessThan(TOL);
      }
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(await x.data()).toEqual(xCopy);
    });

    test('batched equals unbatched', async () => {
      const both = await vanillaGradient(model, x, { target: targets });
      const a = x.slice([0, 0, 0, 0], [1, -1, -1, -1]);
      const b = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
      const ga = await vanillaGradient(model, a, { target: targets[0] });
      const gb = await vanillaGradient(model, b, { target: targets[1] });
      const joined = tf.concat([ga, gb]);
      expect(relErr(await joined.data(), await both.data())).toBeLessThan(1e-6);
      tf.dispose([both, a, b, ga, gb, joined]);
    });
  });
});
