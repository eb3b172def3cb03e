/**
 * Every Keras layer class (and activation) tfjs-layers can load that saliency-lab takes gradients
 * through (src/models/op-coverage.ts), in a small LayersModel, against finite differences on wasm and
 * cpu; a layer without a gradient fails with a GradientError naming it.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { GradientError } from '../../src/errors';
import { coveredNames, OP_COVERAGE, TestedBackend } from '../../src/models/op-coverage';
import { checkGradient, itemValues } from './gradient-check';

const L = tf.layers;
const IMG = [8, 8, 3];

let seed = 1;
const init = () => ({ kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }), biasInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: seed++ }) });

/** A model from input shape through `layers` applied in turn. */
function chain(shape: number[], ...layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape });
  let y = input as tf.SymbolicTensor;
  for (const l of layers) y = l.apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** A merge layer over the input and a 1×1 convolution of it. */
function merge(layer: tf.layers.Layer): tf.LayersModel {
  const input = tf.input({ shape: IMG });
  const other = L.conv2d({ filters: 3, kernelSize: 1, ...init() }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: layer.apply([input, other]) as tf.SymbolicTensor });
}

const ACTIVATIONS = ['elu', 'selu', 'relu', 'relu6', 'linear', 'sigmoid', 'hardSigmoid', 'softplus', 'softsign', 'tanh', 'softmax', 'logSoftmax', 'gelu', 'gelu_new', 'mish', 'swish'];

/** Builders per layer class (a label may add a variant after a space). */
const LAYER_CASES: Record<string, () => tf.LayersModel> = {
  Conv2D: () => chain(IMG, L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...init() })),
  'Conv2D dilated, linear (fused path)': () => chain(IMG, L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', ...init() })),
  'Conv2D dilated, relu': () => chain(IMG, L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu', ...init() })),
  Conv1D: () => chain([10, 3], L.conv1d({ filters: 2, kernelSize: 3, ...init() })),
  Conv2DTranspose: () => chain(IMG, L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', ...init() })),
  Conv3D: () => chain([4, 4, 4, 2], L.conv3d({ filters: 2, kernelSize: 2, ...init() })),
  Conv3DTranspose: () => chain([3, 3, 3, 2], L.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, ...init() })),
  DepthwiseConv2D: () => chain(IMG, L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, depthwiseInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  'DepthwiseConv2D dilated': () => chain(IMG, L.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, padding: 'same', depthwiseInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  SeparableConv2D: () => chain(IMG, L.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', depthMultiplier: 2, depthwiseInitializer: tf.initializers.glorotNormal({ seed: seed++ }), pointwiseInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  AveragePooling2D: () => chain(IMG, L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
  AveragePooling1D: () => chain([10, 3], L.averagePooling1d({ poolSize: 3, padding: 'same' })),
  GlobalAveragePooling1D: () => chain([5, 3], L.globalAveragePooling1d()),
  MaxPooling2D: () => chain(IMG, L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
  MaxPooling1D: () => chain([10, 3], L.maxPooling1d({ poolSize: 2 })),
  GlobalMaxPooling1D: () => chain([5, 3], L.globalMaxPooling1d()),
  AveragePooling3D: () => chain([4, 4, 4, 2], L.averagePooling3d({ poolSize: 2 })),
  MaxPooling3D: () => chain([4, 4, 4, 2], L.maxPooling3d({ poolSize: 2 })),
  GlobalAveragePooling2D: () => chain(IMG, L.globalAveragePooling2d({})),
  GlobalMaxPooling2D: () => chain(IMG, L.globalMaxPooling2d({})),
  Dense: () => chain(IMG, L.flatten(), L.dense({ units: 3, activation: 'relu', ...init() })),
  Dot: () => {
    const input = tf.input({ shape: [6] });
    const other = L.dense({ units: 6, ...init() }).apply(input) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: L.dot({ axes: 1, normalize: true }).apply([input, other]) as tf.SymbolicTensor });
  },
  BatchNormalization: () => chain(IMG, L.batchNormalization({ movingMeanInitializer: tf.initializers.randomNormal({ seed: seed++ }), movingVarianceInitializer: 'ones', gammaInitializer: tf.initializers.randomNormal({ mean: 1, seed: seed++ }) })),
  LayerNormalization: () => chain(IMG, L.layerNormalization()),
  Softmax: () => chain([6], L.softmax()),
  ReLU: () => chain(IMG, L.reLU()),
  'ReLU max 6': () => chain(IMG, L.reLU({ maxValue: 6 })),
  LeakyReLU: () => chain(IMG, L.leakyReLU({ alpha: 0.1 })),
  PReLU: () => chain(IMG, L.prelu({ alphaInitializer: tf.initializers.randomUniform({ minval: 0, maxval: 0.5, seed: seed++ }) })),
  ELU: () => chain(IMG, L.elu()),
  ThresholdedReLU: () => chain(IMG, L.thresholdedReLU({ theta: 0.3 })),
  Add: () => merge(L.add()), Multiply: () => merge(L.multiply()), Average: () => merge(L.average()),
  Maximum: () => merge(L.maximum()), Minimum: () => merge(L.minimum()), Concatenate: () => merge(L.concatenate()),
  Rescaling: () => chain(IMG, L.rescaling({ scale: 0.5, offset: -1 })),
  Masking: () => chain([5, 3], L.masking({ maskValue: 0 }), L.lstm({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  Cropping2D: () => chain(IMG, L.cropping2D({ cropping: [[1, 2], [0, 1]] })),
  ZeroPadding2D: () => chain(IMG, L.zeroPadding2d({ padding: [[1, 2], [2, 0]] })),
  UpSampling2D: () => chain(IMG, L.upSampling2d({ size: [2, 2] })),
  'UpSampling2D bilinear': () => chain(IMG, L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' })),
  Flatten: () => chain(IMG, L.flatten()),
  Reshape: () => chain(IMG, L.reshape({ targetShape: [16, 12] })),
  Permute: () => chain(IMG, L.permute({ dims: [3, 1, 2] })),
  RepeatVector: () => chain([4], L.repeatVector({ n: 3 })),
  Dropout: () => chain(IMG, L.dropout({ rate: 0.5 })),
  SpatialDropout1D: () => chain([5, 3], L.spatialDropout1d({ rate: 0.5 })),
  GaussianNoise: () => chain(IMG, L.gaussianNoise({ stddev: 0.1 })),
  GaussianDropout: () => chain(IMG, L.gaussianDropout({ rate: 0.1 })),
  AlphaDropout: () => chain(IMG, L.alphaDropout({ rate: 0.1 })),
  SimpleRNN: () => chain([5, 3], L.simpleRNN({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  GRU: () => chain([5, 3], L.gru({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  LSTM: () => chain([5, 3], L.lstm({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  ConvLSTM2D: () => chain([3, 5, 5, 2], L.convLstm2d({ filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) })),
  Bidirectional: () => chain([5, 3], L.bidirectional({ layer: L.lstm({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) }) as tf.RNN })),
  TimeDistributed: () => chain([3, 6, 6, 2], L.timeDistributed({ layer: L.conv2d({ filters: 2, kernelSize: 3, ...init() }) })),
  RNN: () => chain([5, 3], L.rnn({ cell: L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 3 }), L.lstmCell({ units: 2 }), L.gruCell({ units: 2 })] }) })),
  ...Object.fromEntries(ACTIVATIONS.map((a) => [`activation:${a}`, () => chain(a === 'softmax' || a === 'logSoftmax' ? [6] : IMG, L.activation({ activation: a as 'relu' }))])),
};

/** Layers covered by the case of another (cells inside RNN; the Activation layer by the activation:* cases). */
const COVERED_BY: Record<string, string> = {
  SimpleRNNCell: 'RNN', GRUCell: 'RNN', LSTMCell: 'RNN', StackedRNNCells: 'RNN', ConvLSTM2DCell: 'ConvLSTM2D', Activation: 'activation:relu',
};

const caseOf = (label: string) => label.split(' ')[0];

/** The backends a layer case is checked on: those its coverage rows are tested on. */
function backendsOf(label: string): TestedBackend[] {
  const rows = OP_COVERAGE.filter((r) => r.layers.includes(caseOf(label)));
  return (['cpu', 'wasm'] as const).filter((b) => rows.every((r) => r.backends.includes(b)));
}

describe('the layer list covers tfjs-layers', () => {
  const registered = Object.entries(tf.serialization.SerializationMap.getMap().classNameMap);

  test('every layer class and activation tfjs-layers can load is listed', () => {
    const layerClasses = registered.filter(([, [cls]]) => (cls as unknown as { prototype: object }).prototype instanceof tf.layers.Layer).map(([name]) => name);
    const activations = registered.map(([name]) => name).filter((name) => /^[a-z]/.test(name));
    expect(layerClasses.length).toBeGreaterThan(60);
    expect(activations).toEqual(expect.arrayContaining(ACTIVATIONS));
    const { layers } = coveredNames();
    expect([...layerClasses, ...activations.map((a) => `activation:${a}`)].filter((n) => !layers.has(n))).toEqual([]);
  });

  test('every layer with a gradient has a case', () => {
    const cases = new Set(Object.keys(LAYER_CASES).map(caseOf));
    for (const r of OP_COVERAGE) {
      if (r.gradient !== 'tfjs' && r.gradient !== 'saliency-lab') continue;
      for (const l of r.layers) expect([l, cases.has(l) || cases.has(COVERED_BY[l] ?? '')]).toEqual([l, true]);
    }
  });
});

describe.each(['cpu', 'wasm'] as const)('layer gradients on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test.each(Object.keys(LAYER_CASES).filter((label) => backendsOf(label).includes(backend)))('%s', (label) => {
    seed = 1 + [...label].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 10000, 0);
    const model = LAYER_CASES[label]();
    const shape = [1, ...(model.inputs[0].shape.slice(1) as number[])];
    const x = tf.tensor(itemValues(shape.reduce((a, d) => a * d, 1), 5), shape);
    const before = tf.memory().numTensors;
    const r = checkGradient((t) => model.apply(t, { training: false }) as tf.Tensor, x, { model });
    expect(tf.memory().numTensors).toBe(before);
    if (r.relErr >= 1e-2) throw new Error(`${label}: gradient differs from finite differences by ${r.relErr} (max |fd| ${r.maxFd}, max |g| ${r.maxGrad}, ${r.kinks} kinks)`);
    expect(r.kinks).toBeLessThanOrEqual(r.size / 10);
    x.dispose();
    model.dispose();
  });

  test('CenterCrop (CropAndResize): a GradientError naming the layer', () => {
    const model = chain(IMG, L.centerCrop({ height: 5, width: 5 }));
    const x = tf.tensor(itemValues(8 * 8 * 3, 5), [1, ...IMG]);
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      checkGradient((t) => model.apply(t) as tf.Tensor, x, { model });
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(GradientError);
    expect((error as GradientError).nodes).toEqual([`${model.layers[1].name} (CenterCrop)`]);
    expect((error as Error).message).toMatch(/^gradientCheck: no gradient through op CropAndResize on the \w+ backend: tfjs has no gradient for CropAndResize; used by ".*\(CenterCrop\)"\. Gradient methods cannot run on it; occlusion and scoreCam need no gradients/);
    x.dispose();
    model.dispose();
  });
});
