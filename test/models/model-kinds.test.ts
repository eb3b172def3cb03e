/** Functional, nested and plain-function models; layer listing; input and target errors. */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, LayerError, ModelError, TargetError, UnknownLayerError } from '../../src/errors';
import { listLayers, defaultCamLayer, forwardScores, forwardWithLayer, endsInSoftmax } from '../../src/models';
import { splitModel } from '../../src/models/split';
import { vanillaGradient, saliencyMap } from '../../src/methods/gradient';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { relErr } from '../reference/net';
import { randomCnn, randomInput } from '../reference/models';

function nested(): { outer: tf.LayersModel; inner: tf.Sequential } {
  const inner = randomCnn('fusedGapSoftmax', 8);
  // Outer functional model: a 1×1 conv in front of the inner Sequential, with a skip branch added to its output.
  const input = tf.input({ shape: [11, 11, 3], name: 'img' });
  const pre = tf.layers.conv2d({ name: 'pre', filters: 3, kernelSize: 1, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const probs = inner.apply(pre) as tf.SymbolicTensor;
  const skip = tf.layers.dense({ name: 'skip', units: 4, kernelInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(tf.layers.flatten({ name: 'flat_skip' }).apply(input)) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([probs, skip]) as tf.SymbolicTensor;
  const out = tf.layers.activation({ name: 'final', activation: 'softmax' }).apply(sum) as tf.SymbolicTensor;
  return { outer: tf.model({ inputs: input, outputs: out }), inner };
}

describe.each(['cpu', 'wasm'] as const)('model kinds on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('nested functional model: layers listed with paths, hooks reach inner layers, pre-softmax removes the final softmax only', async () => {
    const { outer, inner } = nested();
    const layers = listLayers(outer);
    const c2 = layers.find((l) => l.name === 'c2');
    expect(c2).toMatchObject({ className: 'Conv2D', path: [inner.name] });
    expect(layers.find((l) => l.name === 'sum')).toMatchObject({ className: 'Add', path: [] });
    expect(defaultCamLayer('t', outer)).toBe('c3');
    expect(endsInSoftmax(outer)).toBe(true);
    const x = tf.randomUniform([2, 11, 11, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const logits = tf.tidy(() => forwardScores('t', outer, x));
    const probs = outer.predict(x) as tf.Tensor;
    const soft = tf.softmax(logits);
    expect(relErr(await soft.data(), await probs.data())).toBeLessThan(1e-5);
    // Replacing an inner activation by itself changes nothing; the captured activation has the layer's shape.
    const r = tf.tidy(() => {
      const f = forwardWithLayer('t', outer, x, 'c2', (a) => a);
      return [f.scores, f.activation];
    });
    expect(r[1].shape).toEqual([2, 3, 3, 5]);
    expect(relErr(await r[0].data(), await logits.data())).toBeLessThan(1e-6);
    // The split at an inner layer needs the input (the skip branch bypasses it) and reproduces the model.
    const split = splitModel(outer, 'c2');
    expect(split.needsInput).toBe(true);
    const whole = tf.tidy(() => split.tail(split.head(x), x));
    expect(relErr(await whole.data(), await logits.data())).toBeLessThan(1e-5);
    // The model is unchanged afterwards: predict still gives probabilities.
    const again = outer.predict(x) as tf.Tensor;
    expect(relErr(await again.data(), await probs.data())).toBe(0);
    // Gradient with respect to the input through nested + skip paths, against central differences.
    const g = await vanillaGradient(outer, x.slice([0, 0, 0, 0], [1, -1, -1, -1]), { target: 2 });
    const gv = await g.data();
    const x0 = Float32Array.from(await x.slice([0, 0, 0, 0], [1, -1, -1, -1]).data());
    const f = (arr: Float32Array) => tf.tidy(() => forwardScores('t', outer, tf.tensor4d(arr, [1, 11, 11, 3]))).dataSync()[2];
    for (const i of [0, 17, 100, 250, 362]) {
      const h = 1e-2;
      const p = x0.slice(); p[i] += h;
      const m = x0.slice(); m[i] -= h;
      expect(gv[i]).toBeCloseTo((f(p) - f(m)) / (2 * h), 2);
    }
    tf.dispose([logits, probs, soft, ...r, whole, again, g, x]);
    outer.dispose();
  });

  test('a plain function model: gradients work; layer methods say they need a model', async () => {
    const w = tf.randomNormal([4 * 4 * 1, 2], 0, 1, 'float32', 5);
    const fn = (x: tf.Tensor4D) => tf.matMul(x.reshape([x.shape[0], -1]), w);
    const x = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const g = await vanillaGradient(fn, x, { target: 1 });
    const col = tf.tidy(() => tf.tile(w.slice([0, 1], [16, 1]).reshape([1, 4, 4, 1]), [3, 1, 1, 1]));
    expect(relErr(await g.data(), await col.data())).toBeLessThan(1e-6);
    expect(() => splitModel(fn, 'x')).toThrow(LayerError);
    expect(() => defaultCamLayer('gradCam', fn)).toThrow(/a plain function has no layers/);
    tf.dispose([w, x, g, col]);
  });

  test('bad inputs, targets and models get typed errors naming the bad value, and leak nothing', async () => {
    const model = randomCnn('separateFlatten', 1);
    const x = randomInput(model, 2);
    const rank3 = tf.zeros([10, 9, 2]);
    const ints = tf.zeros([1, 10, 9, 2], 'int32');
    const wrongSize = tf.zeros([1, 12, 9, 2]);
    const nan = tf.tensor4d([NaN, 1, Infinity, 2], [1, 2, 2, 1]).pad([[0, 0], [0, 8], [0, 7], [0, 1]]);
    const before = tf.memory().numTensors;
    await expect(vanillaGradient(model, rank3)).rejects.toThrow(new InputError('vanillaGradient', 'input must be rank 4 [N,H,W,C], but got rank 3 (shape [10,9,2])'));
    await expect(vanillaGradient(model, ints)).rejects.toThrow(/vanillaGradient: input must be float32, but got int32/);
    await expect(saliencyMap(model, wrongSize)).rejects.toThrow(new InputError('saliencyMap', "input shape [1,12,9,2] does not fit the model's input [null,10,9,2]"));
    await expect(vanillaGradient(model, nan)).rejects.toThrow(new InputError('vanillaGradient', 'input holds 2 NaN or Infinity values'));
    await expect(vanillaGradient(model, x, { target: 3 })).rejects.toThrow(new TargetError('vanillaGradient', 'target 3 is out of range; the model has 3 outputs (valid: 0 to 2)'));
    await expect(vanillaGradient(model, x, { target: [0] })).rejects.toThrow(TargetError);
    await expect(vanillaGradient(model, x, { target: 1.5 })).rejects.toThrow(/target must be an integer, got 1.5/);
    await expect(vanillaGradient(model, x, { target: (s) => s })).rejects.toThrow(/the target function must return one score per batch item \(shape \[2\]\), got shape \[2,3\]/);
    await expect(saliencyMap(model, x, { reduce: 'mean' as never })).rejects.toThrow('saliencyMap: unknown reduce "mean"; choices: maxAbs, sumAbs, l2, signed');
    await expect(vanillaGradient({} as never, x)).rejects.toThrow(ModelError);
    expect(() => splitModel(model, 'conv9')).toThrow(new UnknownLayerError('splitModel', 'conv9', ['c1', 'r1', 'p1', 'c2', 'r2', 'flat', 'd1', 'out']));
    expect(tf.memory().numTensors).toBe(before);
    // A function target and the regression default (one output needs no target).
    const g1 = await vanillaGradient(model, x, { target: (s) => tf.sub(s.slice([0, 0], [-1, 1]), s.slice([0, 1], [-1, 1])).reshape([-1]) });
    const g0 = await vanillaGradient(model, x, { target: 0 });
    const gb = await vanillaGradient(model, x, { target: 1 });
    const diff = tf.sub(g0, gb);
    expect(relErr(await g1.data(), await diff.data())).toBeLessThan(1e-5);
    const reg = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [10, 9, 2] }), tf.layers.dense({ units: 1 })] });
    const gr = await vanillaGradient(reg, x);
    expect(gr.shape).toEqual(x.shape);
    // One-output models through the looping methods; function targets leak nothing.
    const before2 = tf.memory().numTensors;
    const igr = await integratedGradients(reg, x, { steps: 3 });
    const sgr = await smoothGrad(reg, x, { samples: 2, seed: 1 });
    const fnTarget = (s: tf.Tensor2D) => s.sum(1);
    const gf = await vanillaGradient(model, x, { target: fnTarget });
    const sf = await smoothGrad(model, x, { samples: 2, seed: 1, target: fnTarget });
    expect(igr.shape).toEqual(x.shape);
    expect(sgr.shape).toEqual(x.shape);
    tf.dispose([igr, sgr, gf, sf]);
    expect(tf.memory().numTensors).toBe(before2);
    tf.dispose([g1, g0, gb, diff, gr, x, rank3, ints, wrongSize, nan]);
    reg.dispose();
    model.dispose();
  });
});
