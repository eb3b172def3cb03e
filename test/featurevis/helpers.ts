/**
 * Models for the feature-visualization tests: small random VGG-style networks (LayersModel), the same
 * network as a GraphModel (built by test/fixtures/graph-model.ts), and a classifier trained in seconds on a
 * trivially separable synthetic task.
 */
import * as tf from '@tensorflow/tfjs';

/** conv1(8) → pool1 → conv2(16) → conv3(16) → gap → probs(classes, softmax). `size` null: any input size. */
export function randomConvNet(seed: number, size: number | null = 32, classes = 4): tf.LayersModel {
  const init = (s: number) => tf.initializers.heNormal({ seed: seed * 100 + s });
  const conv = (name: string, filters: number, s: number, extra: Record<string, unknown> = {}) =>
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(s), biasInitializer: tf.initializers.constant({ value: 0.01 }), ...extra });
  return tf.sequential({
    layers: [
      conv('conv1', 8, 1, { inputShape: [size, size, 3] }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      conv('conv2', 16, 2),
      conv('conv3', 16, 3),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'probs', units: classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: seed * 100 + 9 }) }),
    ],
  });
}

/** The same network as a tf.GraphModel (see test/fixtures/graph-model.ts): each layer's last node has its name. */
export { toGraphModel } from '../fixtures/graph-model';

/**
 * A classifier of which color channel a square is drawn in (3 classes), trained on the cpu backend for a
 * few epochs on `size`×`size` images of noise with one colored square. Reaches ~100% training accuracy.
 */
export async function trainedColorClassifier(size = 32, seed = 1): Promise<tf.LayersModel> {
  const n = 60;
  const images = new Float32Array(n * size * size * 3);
  const labels: number[] = [];
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    labels.push(cls);
    const s = 6 + Math.floor(rand() * 8);
    const y0 = Math.floor(rand() * (size - s));
    const x0 = Math.floor(rand() * (size - s));
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) {
      const inside = y >= y0 && y < y0 + s && x >= x0 && x < x0 + s;
      images[((i * size + y) * size + x) * 3 + c] = inside ? (c === cls ? 0.9 : 0.1) : 0.3 + 0.2 * rand();
    }
  }
  const model = randomConvNet(seed, size, 3);
  const xs = tf.tensor4d(images, [n, size, size, 3]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(xs, ys, { epochs: 8, batchSize: 12, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  return model;
}

/** Pearson correlation of two equal-length arrays (the measures' own, src/metrics/common.ts). */
export { pearson } from '../../src/metrics/common';

/** A 1×size×size×3 test picture in [0, 1]: a red disk, a green bar, a vertical blue ramp. */
export function testPicture(size: number): tf.Tensor4D {
  const v = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const disk = Math.hypot(y - size * 0.4, x - size * 0.6) < size * 0.25 ? 1 : 0;
    const bar = x > size * 0.1 && x < size * 0.25 ? 1 : 0;
    v[(y * size + x) * 3] = 0.2 + 0.6 * disk;
    v[(y * size + x) * 3 + 1] = 0.2 + 0.6 * bar;
    v[(y * size + x) * 3 + 2] = 0.3 + 0.4 * (y / size);
  }
  return tf.tensor4d(v, [1, size, size, 3]);
}

/** Grayscale (channel mean) values of a [1,H,W,3] tensor. */
export async function grayValues(x: tf.Tensor): Promise<Float32Array> {
  const g = tf.mean(x, 3);
  const v = (await g.data()) as Float32Array;
  g.dispose();
  return v;
}
