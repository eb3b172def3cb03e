/**
 * The three shipped models: their architectures, what their outputs mean, and where their weights live
 * (`models/<name>/` in the package, tfjs LayersModel format, made by `saliency-lab train <name>`).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { SHAPE_CLASSES } from '../data/shapes';

export const SHIPPED_MODELS = ['shapes', 'road', 'rings'] as const;
export type ShippedModelName = (typeof SHIPPED_MODELS)[number];

export function isShippedModelName(name: string): name is ShippedModelName {
  return (SHIPPED_MODELS as readonly string[]).includes(name);
}

/** The package's `models/` directory (the same from src/ under ts-jest and from dist/). */
export const SHIPPED_MODELS_DIR = path.resolve(__dirname, '..', '..', 'models');

/** Where a shipped model's `model.json` is. */
export function shippedModelPath(name: ShippedModelName): string {
  return path.join(SHIPPED_MODELS_DIR, name, 'model.json');
}

/** What a shipped model predicts; stored in its model.json as `userDefinedMetadata`. */
export interface ShippedModelInfo {
  dataset: ShippedModelName;
  task: 'classification' | 'regression';
  /** Class names in output order (classification only). */
  classes?: string[];
  /** What the single regression output is. */
  output: string;
  /** The layer a CAM method should use by default. */
  camLayer: string;
}

export const SHIPPED_INFO: Record<ShippedModelName, ShippedModelInfo> = {
  shapes: {
    dataset: 'shapes', task: 'classification', classes: [...SHAPE_CLASSES],
    output: 'class probabilities (softmax), in SHAPE_CLASSES order', camLayer: 'block3_conv2',
  },
  road: { dataset: 'road', task: 'regression', output: 'steering angle in degrees (negative = left)', camLayer: 'conv5' },
  rings: { dataset: 'rings', task: 'regression', output: 'ring count (age) of the large scale', camLayer: 'block3_conv2' },
};

/** Seeded He-normal initializer (for ReLU layers): layer k of a model built with seed s gets its own stream. */
function init(seed: number, k: number) {
  return tf.initializers.heNormal({ seed: seed * 100 + k });
}

/**
 * Batch normalization after a ReLU convolution. Without it these small nets sit at chance level for
 * thousands of images (measured: shapes stayed at ln 6 loss for 3500 images); at inference it is a
 * per-channel affine map (the road model trains without it). `momentum` 0.9 for the shorter run (rings), so that the moving
 * statistics used at inference catch up within a few hundred batches.
 */
function bn(name: string, momentum = 0.99) {
  return tf.layers.batchNormalization({ name, momentum });
}

function conv(
  name: string, filters: number, seed: number, k: number, kernelSize = 3, strides = 1,
  padding: 'same' | 'valid' = 'same', kernelRegularizer?: ReturnType<typeof tf.regularizers.l2>,
) {
  return tf.layers.conv2d({
    name, filters, kernelSize, strides, padding, activation: 'relu', kernelInitializer: init(seed, k),
    ...(kernelRegularizer ? { kernelRegularizer } : {}),
  });
}

/**
 * VGG-style classifier for `shapes`: two single-conv blocks and a two-conv block (3×3, ReLU, batch
 * normalization, max pooling between blocks); the last convolution feeds global average pooling and one
 * softmax Dense layer directly: the CAM architecture.
 */
function shapesModel(size: number, seed: number): tf.Sequential {
  const m = tf.sequential({ name: 'shapes_vgg' });
  m.add(tf.layers.inputLayer({ inputShape: [size, size, 3], name: 'input' }));
  m.add(conv('block1_conv1', 8, seed, 1));
  m.add(bn('block1_bn1'));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'block1_pool' }));
  m.add(conv('block2_conv1', 16, seed, 2));
  m.add(bn('block2_bn1'));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'block2_pool' }));
  m.add(conv('block3_conv1', 32, seed, 3));
  m.add(bn('block3_bn1'));
  m.add(conv('block3_conv2', 32, seed, 4));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: SHAPE_CLASSES.length, activation: 'softmax', name: 'predictions', kernelInitializer: init(seed, 5) }));
  return m;
}

/**
 * DAVE-2-style steering regression (Bojarski et al. 2016, scaled down for 64×64 input): a 3×3 convolution at
 * full resolution, three 5×5 stride-2 convolutions, a 3×3 convolution, then fully connected layers to one
 * linear output. Two departures from the first version (5×5 stride-2 first layer, batch normalization),
 * both so that a vanilla gradient falls on the lane markings (measured by test/models-shipped/ground-truth):
 * - the input gradient of a pixel sums the first layer's kernel over the units that see it, so a 5×5 first
 *   kernel smeared each marking's gradient 2 px to either side (a 2-px marking got about a third of its
 *   own gradient); a 3×3 kernel at stride 1 keeps it within 1 px;
 * - without batch normalization between the convolutions the net trains as well here (MAE below 5% of the
 *   label's spread) and its saliency share on the markings is higher (1.6× against 1.3× their area share,
 *   other things equal).
 */
function roadModel(size: number, seed: number): tf.Sequential {
  const m = tf.sequential({ name: 'road_dave2' });
  m.add(tf.layers.inputLayer({ inputShape: [size, size, 3], name: 'input' }));
  const decay = () => tf.regularizers.l2({ l2: 1e-2 });
  const convDecay = () => tf.regularizers.l2({ l2: 1e-3 });
  m.add(conv('conv1', 8, seed, 1, 3, 1, 'same', convDecay()));
  m.add(conv('conv2', 12, seed, 2, 5, 2, 'same', convDecay()));
  m.add(conv('conv3', 18, seed, 3, 5, 2, 'same', convDecay()));
  m.add(conv('conv4', 24, seed, 4, 5, 2, 'same', convDecay()));
  m.add(conv('conv5', 32, seed, 5, 3, 1, 'valid', convDecay()));
  m.add(tf.layers.flatten({ name: 'flatten' }));
  // L2 (more on the dense layers): weights fed by places that never matter (the sky) would otherwise
  // keep their random initial values and pass gradient there (measured: the sky drew 3× the lanes'
  // saliency without it, as much as the lanes with L2 on the dense layers only).
  m.add(tf.layers.dense({ units: 64, activation: 'relu', name: 'fc1', kernelInitializer: init(seed, 6), kernelRegularizer: decay() }));
  m.add(tf.layers.dense({ units: 16, activation: 'relu', name: 'fc2', kernelInitializer: init(seed, 7), kernelRegularizer: decay() }));
  m.add(tf.layers.dense({ units: 1, name: 'steering', kernelInitializer: init(seed, 8), kernelRegularizer: decay() }));
  return m;
}

/** Ring-count regression: small VGG-style trunk at full resolution first (rings are 2–3 px apart). */
function ringsModel(size: number, seed: number): tf.Sequential {
  const m = tf.sequential({ name: 'rings_regressor' });
  m.add(tf.layers.inputLayer({ inputShape: [size, size, 3], name: 'input' }));
  m.add(conv('block1_conv1', 8, seed, 1));
  m.add(bn('block1_bn1', 0.9));
  m.add(conv('block1_conv2', 8, seed, 2));
  m.add(bn('block1_bn2', 0.9));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'block1_pool' }));
  m.add(conv('block2_conv1', 16, seed, 3));
  m.add(bn('block2_bn1', 0.9));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'block2_pool' }));
  m.add(conv('block3_conv1', 32, seed, 4));
  m.add(bn('block3_bn1', 0.9));
  m.add(conv('block3_conv2', 32, seed, 5));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 32, activation: 'relu', name: 'fc1', kernelInitializer: init(seed, 6) }));
  m.add(tf.layers.dense({
    units: 1, name: 'age', kernelInitializer: init(seed, 7),
    biasInitializer: tf.initializers.constant({ value: 5 }),
  }));
  return m;
}

/** A fresh, untrained model of a shipped architecture for `size`×`size` images. */
export function buildShippedArchitecture(name: ShippedModelName, size = 64, seed = 1): tf.Sequential {
  switch (name) {
    case 'shapes': return shapesModel(size, seed);
    case 'road': return roadModel(size, seed);
    case 'rings': return ringsModel(size, seed);
  }
}
