/**
 * FullGrad against an independent computation of pytorch-grad-cam's definition: the network written out
 * as tfjs ops, the gradients with respect to the input and to each biased layer's pre-activation output
 * taken from it, each (item, channel) map min-max scaled and resized in plain JS; batching, leaks and
 * typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { LayerError, ModelError } from '../../src/errors';
import { fullGrad } from '../../src/methods/full-grad';
import { withGradientRules } from '../../src/models/gradient-rules';
import { toGraphModel } from '../fixtures/graph-model';
import { expectLeakFreeError, refUpsample } from './cam-helpers';

const seeded = (seed: number, mean = 0) => tf.initializers.randomNormal({ seed, mean, stddev: 0.5 });

function net(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', name: 'c1', kernelInitializer: seeded(1), biasInitializer: seeded(2, 0.2) }),
      tf.layers.batchNormalization({ name: 'bn', gammaInitializer: seeded(3, 1), betaInitializer: seeded(4), movingMeanInitializer: seeded(5), movingVarianceInitializer: 'ones' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 2, strides: 2, name: 'c2', kernelInitializer: seeded(6), biasInitializer: seeded(7) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: seeded(8) }),
    ],
  });
}

/** ψ summed over channels: each (item, channel) map minus its min, over 1e-7 + its max, resized to H×W. */
function psiSum(values: Float32Array, [n, h, w, c]: number[], H: number, W: number): Float64Array {
  const out = new Float64Array(n * H * W);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      const m = new Float64Array(h * w);
      for (let p = 0; p < h * w; p++) m[p] = Math.abs(values[(i * h * w + p) * c + k]);
      const lo = Math.min(...m);
      for (let p = 0; p < m.length; p++) m[p] -= lo;
      const hi = Math.max(...m);
      for (let p = 0; p < m.length; p++) m[p] /= 1e-7 + hi;
      const up = h === H && w === W ? m : refUpsample(m, h, w, H, W);
      for (let p = 0; p < H * W; p++) out[i * H * W + p] += up[p];
    }
  }
  return out;
}

describe('fullGrad', () => {
  beforeAll(() => setBackend('wasm'));

  test('equals pytorch-grad-cam’s definition computed independently (input, conv with fused ReLU, batch norm, conv)', async () => {
    const model = net();
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const target = [0, 2];
    const [w1, b1] = model.getLayer('c1').getWeights();
    const [gamma, beta, mean, variance] = model.getLayer('bn').getWeights();
    const [w2, b2] = model.getLayer('c2').getWeights();
    const [wd, bd] = model.getLayer('out').getWeights();
    const scale = tf.tidy(() => tf.div(gamma, tf.sqrt(tf.add(variance, 1e-3))));
    const pick = tf.oneHot(target, 3);
    // The network from each point on, as plain ops (scores before the softmax).
    const fromZ2 = (z2: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(tf.mean(z2, [1, 2]) as tf.Tensor2D, wd as tf.Tensor2D), bd), pick));
    const fromU = (u: tf.Tensor) => fromZ2(tf.add(tf.conv2d(u as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'valid'), b2));
    const fromZ1 = (z1: tf.Tensor) => fromU(tf.add(tf.mul(tf.sub(tf.relu(z1), mean), scale), beta));
    const fromX = (t: tf.Tensor) => fromZ1(tf.add(tf.conv2d(t as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'valid'), b1));
    const pieces = withGradientRules({}, () => tf.tidy(() => {
      const z1 = tf.add(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'valid'), b1);
      const u = tf.add(tf.mul(tf.sub(tf.relu(z1), mean), scale), beta);
      const z2 = tf.add(tf.conv2d(u as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'valid'), b2);
      return [
        tf.mul(tf.grad(fromX)(x), x),
        tf.mul(tf.grad(fromZ1)(z1), b1),
        tf.mul(tf.grad(fromU)(u), tf.sub(beta, tf.mul(mean, scale))),
        tf.mul(tf.grad(fromZ2)(z2), b2),
      ];
    }));
    const want = new Float64Array(2 * 36);
    for (const p of pieces) {
      const s = psiSum((await p.data()) as Float32Array, p.shape, 6, 6);
      s.forEach((v, i) => (want[i] += v));
    }
    tf.dispose([...pieces, scale, pick]);
    const before = tf.memory().numTensors;
    const map = await fullGrad(model, x, { target });
    expect(map.shape).toEqual([2, 6, 6]);
    const got = Array.from(await map.data());
    map.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-4);
    // Batched equals one item at a time.
    const item = x.slice([1, 0, 0, 0], [1, -1, -1, -1]);
    const one = await fullGrad(model, item, { target: 2 });
    const ov = Array.from(await one.data());
    expect(Math.max(...ov.map((v, i) => Math.abs(v - got[36 + i])))).toBeLessThan(1e-5);
    tf.dispose([item, one]);
    x.dispose();
    model.dispose();
  });

  test('typed errors: a GraphModel, a fused activation it cannot undo; none leaks', async () => {
    const model = net();
    const x = tf.randomUniform([1, 6, 6, 2], 0, 1, 'float32', 3);
    const graph = await toGraphModel(tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 2, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] }));
    await expectLeakFreeError(() => fullGrad(graph, x), ModelError, /fullGrad: FullGrad reads the biases of a tf.LayersModel/);
    const tanh = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 2, kernelSize: 3, activation: 'tanh', name: 'squash' }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    await expectLeakFreeError(() => fullGrad(tanh, x), LayerError, /layer "squash" \(Conv2D\).*fused activation tanh/);
    tanh.dispose();
    graph.dispose();
    x.dispose();
    model.dispose();
  });
});
