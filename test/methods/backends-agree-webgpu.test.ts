/**
 * The same method on the webgpu and cpu backends gives the same numbers (to 1e-4 of the largest value),
 * for LayersModels, GraphModels (whose convolutions are tfjs-converter's fused ops) and a MobileNetV2-style
 * block (depthwise convolutions, batch norm, ReLU6, a residual add), and leaves no tensor behind. Needs a
 * WebGPU adapter: in CI, Mesa's lavapipe (see test/webgpu/helpers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { toGraphModel } from '../fixtures/graph-model';
import { useWebGPU } from '../webgpu/helpers';
import { allMethods, camApplies, expectAgree, methodNames } from './agree';

beforeAll(useWebGPU);

test.each(RANDOM_CNNS)('%s: every method agrees between webgpu and cpu', async (kind) => {
  const model = randomCnn(kind, 9);
  const x = randomInput(model, 2, 21);
  const values = (await x.data()) as Float32Array;
  const names = methodNames(camApplies(kind, model));
  const cpu = await allMethods('cpu', names, model, values, x.shape);
  const gpu = await allMethods('webgpu', names, model, values, x.shape);
  expectAgree(gpu, cpu, ['webgpu', 'cpu']);
  x.dispose();
  model.dispose();
});

test.each(['fusedGapSoftmax', 'stridedAvgSame'] as const)('%s as a GraphModel: every method agrees between webgpu and cpu', async (kind) => {
  const model = randomCnn(kind, 4);
  const graph = await toGraphModel(model);
  const x = randomInput(model, 2, 8);
  const values = (await x.data()) as Float32Array;
  const names = methodNames(camApplies(kind, graph), true);
  const cpu = await allMethods('cpu', names, graph, values, x.shape);
  const gpu = await allMethods('webgpu', names, graph, values, x.shape);
  expectAgree(gpu, cpu, ['webgpu', 'cpu']);
  x.dispose();
  graph.dispose();
  model.dispose();
});

/**
 * stem conv 3×3/2 → batch norm → ReLU6 → [depthwise 3×3 → ReLU6 → conv 1×1] + skip → depthwise 3×3/2 →
 * GAP → dense softmax: the ops of MobileNetV2 whose gradients the random CNNs do not reach.
 */
function mobileBlock(seed: number): tf.LayersModel {
  const k = (s: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed * 10 + s });
  const input = tf.input({ shape: [12, 12, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  let x = apply(tf.layers.conv2d({ name: 'stem', filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: k(1) }), input);
  x = apply(tf.layers.batchNormalization({
    name: 'bn', gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed }),
    betaInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: seed + 1 }), movingVarianceInitializer: tf.initializers.constant({ value: 0.8 }),
  }), x);
  x = apply(tf.layers.reLU({ name: 'relu6_a', maxValue: 6 }), x);
  let y = apply(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthwiseInitializer: k(2), useBias: false }), x);
  y = apply(tf.layers.reLU({ name: 'relu6_b', maxValue: 6 }), y);
  y = apply(tf.layers.conv2d({ name: 'project', filters: 8, kernelSize: 1, kernelInitializer: k(3) }), y);
  const sum = apply(tf.layers.add({ name: 'residual' }), [x, y]);
  const down = apply(tf.layers.depthwiseConv2d({ name: 'dw_down', kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: k(4) }), sum);
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), down);
  return tf.model({ inputs: input, outputs: apply(tf.layers.dense({ name: 'out', units: 4, activation: 'softmax', kernelInitializer: k(5) }), pooled) });
}

test('a MobileNetV2-style block: every method agrees between webgpu and cpu', async () => {
  const model = mobileBlock(1);
  const x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3);
  const values = (await x.data()) as Float32Array;
  const names = methodNames(true); // its head is GAP → dense: cam applies
  const cpu = await allMethods('cpu', names, model, values, x.shape);
  const gpu = await allMethods('webgpu', names, model, values, x.shape);
  expectAgree(gpu, cpu, ['webgpu', 'cpu']);
  x.dispose();
  model.dispose();
});
