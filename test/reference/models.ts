/**
 * Random CNNs covering what the reference interpreter supports: Conv2D with same/valid padding and
 * strides 1 and 2, max and average pooling (odd sizes, so borders matter), GAP, flatten, dense; ReLU fused
 * into layers and as separate layers; softmax heads and linear heads. Seeded, so tests are repeatable.
 */
import * as tf from '@tensorflow/tfjs';

function init(seed: number) {
  return {
    kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed }),
    biasInitializer: tf.initializers.randomNormal({ mean: 0.05, stddev: 0.1, seed: seed + 1000 }),
  };
}

export const RANDOM_CNNS = ['fusedGapSoftmax', 'separateFlatten', 'stridedAvgSame'] as const;
export type RandomCnn = (typeof RANDOM_CNNS)[number];

/** The CAM layer (last 4-D output) of each random CNN. */
export const CAM_LAYER: Record<RandomCnn, string> = {
  fusedGapSoftmax: 'c3',
  separateFlatten: 'r2',
  stridedAvgSame: 'a2',
};

export function randomCnn(kind: RandomCnn, seed = 1): tf.Sequential {
  const s = (k: number) => init(seed * 100 + k);
  switch (kind) {
    case 'fusedGapSoftmax':
      // 11×11×3 → conv3 same s1 relu → maxpool 2 valid → conv3 valid s1 relu → conv1 linear → GAP → dense softmax
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'c1', inputShape: [11, 11, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...s(1) }),
          tf.layers.maxPooling2d({ name: 'p1', poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ name: 'c2', filters: 5, kernelSize: 3, padding: 'valid', activation: 'relu', ...s(2) }),
          tf.layers.conv2d({ name: 'c3', filters: 6, kernelSize: 1, padding: 'valid', activation: 'linear', ...s(3) }),
          tf.layers.globalAveragePooling2d({ name: 'gap' }),
          tf.layers.dense({ name: 'out', units: 4, activation: 'softmax', ...s(4) }),
        ],
      });
    case 'separateFlatten':
      // 10×9×2 → conv3 same s2 linear + ReLU → maxpool 2 same → conv2 valid linear + ReLU → flatten → dense relu → dense (linear)
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'c1', inputShape: [10, 9, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'linear', ...s(1) }),
          tf.layers.reLU({ name: 'r1' }),
          tf.layers.maxPooling2d({ name: 'p1', poolSize: 2, strides: 2, padding: 'same' }),
          tf.layers.conv2d({ name: 'c2', filters: 3, kernelSize: 2, padding: 'valid', activation: 'linear', ...s(2) }),
          tf.layers.reLU({ name: 'r2' }),
          tf.layers.flatten({ name: 'flat' }),
          tf.layers.dense({ name: 'd1', units: 6, activation: 'relu', ...s(3) }),
          tf.layers.dense({ name: 'out', units: 3, ...s(4) }),
        ],
      });
    case 'stridedAvgSame':
      // 9×9×3 → conv3 valid s2 relu → avgpool 3 s1 same (border counts) → conv2 same relu → avgpool 2 valid → flatten → dense → softmax layer
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'c1', inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', ...s(1) }),
          tf.layers.averagePooling2d({ name: 'a1', poolSize: 3, strides: 1, padding: 'same' }),
          tf.layers.conv2d({ name: 'c2', filters: 5, kernelSize: 2, padding: 'same', activation: 'relu', ...s(2) }),
          tf.layers.averagePooling2d({ name: 'a2', poolSize: 2, strides: 2, padding: 'valid' }),
          tf.layers.flatten({ name: 'flat' }),
          tf.layers.dense({ name: 'logits', units: 5, ...s(3) }),
          tf.layers.activation({ name: 'prob', activation: 'softmax' }),
        ],
      });
  }
}

/** A seeded input batch for a model: uniform in [0, 1). */
export function randomInput(model: tf.LayersModel, n: number, seed = 7): tf.Tensor4D {
  const [, h, w, c] = model.inputs[0].shape as number[];
  return tf.randomUniform([n, h, w, c], 0, 1, 'float32', seed) as tf.Tensor4D;
}
