/**
 * tfjs-layers' ReLU(maxValue: 6) (Keras' ReLU(6.), MobileNetV2's activation) runs as one relu6 while
 * saliency-lab takes gradients (gradient-rules.ts): the gradient equals tfjs's own through relu then
 * clipByValue (exact zeros and values above 6 included), and under the guided and deconvnet rules it
 * equals that of the same network with a relu6 activation; outside gradients the layer is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { deconvnet, guidedBackprop, vanillaGradient } from '../../src/methods';
import { registerWasmTrainingKernels } from '../../src/models/train-kernels';

function net(relu6: 'layer' | 'activation'): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.randomNormal({ stddev: 3, seed: 4 }) }).apply(input) as tf.SymbolicTensor;
  const act = relu6 === 'layer' ? tf.layers.reLU({ maxValue: 6 }).apply(conv) : tf.layers.activation({ activation: 'relu6' }).apply(conv);
  const gap = tf.layers.globalAveragePooling2d({}).apply(act as tf.SymbolicTensor);
  const out = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 5 }) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe.each(['wasm', 'cpu'] as const)('ReLU(maxValue: 6) under gradients on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
    // The reference is tfjs's own tf.grad, which on wasm needs the filter-gradient kernels.
    registerWasmTrainingKernels();
  });

  test('one relu6: the values and gradients of relu then clip, under every ReLU rule', async () => {
    const layer = net('layer');
    const activation = net('activation');
    activation.setWeights(layer.getWeights());
    // Zero columns give exact zeros before the activation (no bias); the scale puts many values above 6.
    const x = tf.tidy(() => tf.mul(tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 6), tf.tensor1d([1, 1, 0, 1, 1, 1]).reshape([1, 1, 6, 1])) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    const reference = tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.predict(xi) as tf.Tensor, tf.tensor2d([[1, 0], [1, 0]]))))(x));
    const mine = await vanillaGradient(layer, x, { target: 0, preSoftmax: false });
    expect(Array.from(await mine.data())).toEqual(Array.from(await reference.data()));
    for (const method of [guidedBackprop, deconvnet]) {
      const a = await method(layer, x, { target: 0 });
      const b = await method(activation, x, { target: 0 });
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      tf.dispose([a, b]);
    }
    tf.dispose([mine, reference]);
    expect(tf.memory().numTensors).toBe(before);
    // One relu6 inside the gradient computation, ...
    const inside = await tf.profile(async () => vanillaGradient(layer, x, { target: 0 }));
    const names = inside.kernels.map((k) => k.name);
    expect([names.includes('Relu6'), names.includes('ClipByValue')]).toEqual([true, false]);
    tf.dispose(inside.result as tf.Tensor);
    // ... and outside, the layer runs as tfjs-layers wrote it.
    const profile = await tf.profile(() => layer.predict(x) as tf.Tensor);
    expect(profile.kernels.map((k) => k.name)).toContain('ClipByValue');
    tf.dispose([x]);
    [layer, activation].forEach((m) => m.dispose());
  });
});
