/**
 * The CAM pipeline's smoothing, as pytorch-grad-cam's: `eigenSmooth` (the first principal component of
 * the weighted activations) against a closed form on the hand-set model G, `augSmooth` (mirror × 0.9,
 * 1, 1.1, mirrored back, averaged) against its composition from plain maps, for every CAM variant:
 * batched equals one item at a time, no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { gradCam } from '../../src/methods/grad-cam';
import { getMethod, METHOD_NAMES, runMethod } from '../../src/methods/registry';
import { randomCnn, randomInput } from '../reference/models';
import { OptionError, UnknownLayerError } from '../../src/errors';
import { multiLayerCam } from '../../src/methods/multi-layer-cam';
import { expectLeakFreeError, modelG, values, xG } from './cam-helpers';

describe('CAM smoothing', () => {
  beforeAll(() => setBackend('wasm'));

  test('eigenSmooth on model G: the projection of w·A on its first principal component (closed form)', async () => {
    const model = modelG();
    const x = xG();
    // Class 1: w = V[·][1] / 4 = [0.5, −0.25]; A_0 = [[6,1],[0,8]], A_1 = [[−2,−1],[−2,2]].
    const rows = [[6, -2], [1, -1], [0, -2], [8, 2]].map(([a0, a1]) => [0.5 * a0, -0.25 * a1]);
    const mean = [0, 1].map((j) => rows.reduce((s, r) => s + r[j], 0) / 4);
    const r = rows.map((row) => row.map((v, j) => v - mean[j]));
    const a = r.reduce((s, q) => s + q[0] * q[0], 0);
    const b = r.reduce((s, q) => s + q[0] * q[1], 0);
    const d = r.reduce((s, q) => s + q[1] * q[1], 0);
    const lambda = (a + d) / 2 + Math.sqrt(((a - d) / 2) ** 2 + b * b);
    let v = [b, lambda - a];
    const norm = Math.hypot(v[0], v[1]);
    v = v.map((e) => e / norm);
    if (v[0] + v[1] < 0) v = v.map((e) => -e);
    const want = r.map((q) => q[0] * v[0] + q[1] * v[1]);
    const before = tf.memory().numTensors;
    const map = await gradCam(model, x, { target: 1, relu: false, upsample: false, eigenSmooth: true });
    const got = await values(map);
    map.dispose();
    expect(got.map((g, i) => Math.abs(g - want[i]) < 1e-5)).toEqual([true, true, true, true]);
    // With the ReLU (the default), its positive part.
    const relu = await gradCam(model, x, { target: 1, upsample: false, eigenSmooth: true });
    expect((await values(relu)).map((g, i) => Math.abs(g - Math.max(0, want[i])) < 1e-5)).toEqual([true, true, true, true]);
    relu.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('augSmooth is the mean over mirror × (0.9, 1, 1.1) of the maps, mirrored back, targets fixed on the clean input', async () => {
    const model = randomCnn('fusedGapSoftmax', 3);
    const x = randomInput(model, 2, 4);
    const scores = model.predict(x) as tf.Tensor;
    const target = Array.from(await tf.argMax(scores, 1).data());
    scores.dispose();
    let sum: number[] | null = null;
    for (const flip of [false, true]) {
      for (const factor of [0.9, 1, 1.1]) {
        const xa = tf.tidy(() => tf.mul(flip ? tf.reverse(x, 2) : x, factor) as tf.Tensor4D);
        const m = await gradCam(model, xa, { target });
        const back = flip ? tf.reverse(m, 2) : tf.clone(m);
        const vals = await values(back);
        sum = sum ? sum.map((s, i) => s + vals[i]) : vals;
        tf.dispose([xa, m, back]);
      }
    }
    const want = (sum as number[]).map((s) => s / 6);
    const before = tf.memory().numTensors;
    const got = await gradCam(model, x, { augSmooth: true });
    expect(got.shape).toEqual([2, 11, 11]);
    const g = await values(got);
    got.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const scale = Math.max(...want.map(Math.abs));
    expect(Math.max(...g.map((v, i) => Math.abs(v - want[i]))) / scale).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  test('every CAM variant takes both: batched equals one item at a time, no leaks; eigenSmooth leaves the projection variants as they are', async () => {
    const model = randomCnn('fusedGapSoftmax', 5);
    const x = randomInput(model, 2, 6);
    const cams = METHOD_NAMES.filter((n) => getMethod(n).options.some((o) => o.name === 'augSmooth'));
    expect(cams).toEqual(['gradCam', 'gradCamPlusPlus', 'layerCam', 'xGradCam', 'hiResCam', 'gradCamElementWise', 'eigenCam', 'eigenGradCam', 'scoreCam', 'ablationCam', 'multiLayerCam', 'cam']);
    const run = async (name: string, input: tf.Tensor, options: Record<string, unknown>) => {
      const t = await runMethod(name, model, input, { relu: false, ...options });
      const v = await values(t);
      t.dispose();
      return v;
    };
    const item = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
    for (const name of cams) {
      for (const smooth of [{ eigenSmooth: true }, { augSmooth: true }, { augSmooth: true, eigenSmooth: true }]) {
        const before = tf.memory().numTensors;
        const both = await run(name, x, { target: [1, 2], ...smooth });
        const one = await run(name, item, { target: 2, ...smooth });
        expect(tf.memory().numTensors).toBe(before);
        const second = both.slice(both.length / 2);
        const scale = Math.max(1e-6, ...second.map(Math.abs));
        expect({ name, smooth, same: Math.max(...one.map((v, i) => Math.abs(v - second[i]))) / scale < 1e-4 }).toEqual({ name, smooth, same: true });
      }
      const plain = await run(name, x, { target: [1, 2] });
      const eigen = await run(name, x, { target: [1, 2], eigenSmooth: true });
      const changed = plain.some((v, i) => Math.abs(v - eigen[i]) > 1e-6);
      expect({ name, changed }).toEqual({ name, changed: !['eigenCam', 'eigenGradCam', 'gradCamElementWise'].includes(name) });
    }
    item.dispose();
    x.dispose();
    model.dispose();
  });

  test('multiLayerCam: the mean of the per-item min-max scaled maps of each layer; by default the CAM layer and a finer one', async () => {
    const model = randomCnn('fusedGapSoftmax', 7);
    const x = randomInput(model, 2, 8);
    const target = [1, 3];
    const scaled: number[][] = [];
    for (const layer of ['p1', 'c3']) {
      const t = await gradCam(model, x, { layer, target });
      const m = await values(t);
      t.dispose();
      const per = m.length / 2;
      scaled.push(m.map((v, i) => {
        const item = m.slice(Math.floor(i / per) * per, (Math.floor(i / per) + 1) * per);
        const lo = Math.min(...item);
        return (v - lo) / (1e-7 + Math.max(...item) - lo);
      }));
    }
    const want = scaled[0].map((v, i) => (v + scaled[1][i]) / 2);
    const before = tf.memory().numTensors;
    for (const options of [{ layers: ['p1', 'c3'] }, {}]) {
      const got = await multiLayerCam(model, x, { target, ...options });
      expect(got.shape).toEqual([2, 11, 11]);
      const g = await values(got);
      got.dispose();
      expect({ options, err: Math.max(...g.map((v, i) => Math.abs(v - want[i]))) < 1e-5 }).toEqual({ options, err: true });
    }
    expect(tf.memory().numTensors).toBe(before);
    await expectLeakFreeError(() => multiLayerCam(model, x, { layers: [] }), OptionError, /layers must be a non-empty list of layer names/);
    await expectLeakFreeError(() => multiLayerCam(model, x, { layers: ['p1', 'nope'] }), UnknownLayerError, /unknown layer "nope"/);
    await expectLeakFreeError(() => multiLayerCam(model, x, { method: 'cam' as never }), OptionError, /unknown method "cam"; choices: gradCam/);
    x.dispose();
    model.dispose();
  });
});
