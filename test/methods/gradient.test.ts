import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { vanillaGradient, saliencyMap, gradientTimesInput } from '../../src/methods/gradient';

describe.each(['cpu', 'wasm'] as const)('gradient methods on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test("a linear model's gradient equals its weights", async () => {
    const w = tf.randomNormal([4 * 4 * 2, 3], 0, 1, 'float32', 1);
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 2] }), tf.layers.dense({ units: 3, useBias: true })] });
    model.layers[1].setWeights([w, tf.zeros([3])]);
    const x = tf.randomUniform([2, 4, 4, 2], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const g = await vanillaGradient(model, x, { target: [1, 2] });
    expect(tf.memory().numTensors).toBe(before + 1);
    const wv = (await w.array()) as number[][];
    const flat = g.reshape([2, 32]);
    const gv = (await flat.array()) as number[][];
    flat.dispose();
    for (let i = 0; i < 32; i++) {
      expect(gv[0][i]).toBeCloseTo(wv[i][1], 5);
      expect(gv[1][i]).toBeCloseTo(wv[i][2], 5);
    }
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const gi = await gradientTimesInput(model, x, { target: 0 });
    const sm = await saliencyMap(model, x, { target: 0 });
    expect(gi.shape).toEqual([2, 4, 4, 2]);
    expect(sm.shape).toEqual([2, 4, 4]);
    tf.dispose([gi, sm, x, w]);
    model.dispose();
  });
});
