/**
 * GraphModels as tfjs-converter writes them, as first-class models: node output shapes (fixed and open
 * signatures), short Keras names accepted wherever a layer name is, the default CAM layer (spatial feature
 * maps only), CAM on a spatial mean → matrix product head, pre-softmax scores through `Softmax` + `Identity`.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, LayerError, OptionError, UnknownLayerError } from '../../src/errors';
import { defaultCamLayer, endsInSoftmax, forwardScores, listLayers } from '../../src/models';
import { splitModel } from '../../src/models/split';
import { cam } from '../../src/methods/cam';
import { gradCam } from '../../src/methods/grad-cam';
import { vanillaGradient } from '../../src/methods/gradient';
import { layerActivations } from '../../src/methods/layer-activations';
import { attr, LayerWriter, toConvertedGraphModel } from '../fixtures/graph-model';
import { relErr } from '../reference/net';

/** A small VGG-style Keras net with Keras-style names; block1_conv2 is linear + a ReLU layer (fused by the converter). */
function kerasNet(): tf.LayersModel {
  let seed = 1;
  const init = () => ({ kernelInitializer: tf.initializers.randomNormal({ seed: seed++, stddev: 0.4 }), biasInitializer: tf.initializers.randomNormal({ seed: seed++, mean: 0.05, stddev: 0.1 }) });
  const input = tf.input({ shape: [12, 12, 3], name: 'input_1' });
  let y = tf.layers.conv2d({ name: 'block1_conv1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ name: 'block1_conv2', filters: 4, kernelSize: 3, padding: 'same', ...init() }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ name: 'block1_relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ name: 'block1_pool', poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ name: 'block2_conv1', filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ name: 'predictions', units: 3, activation: 'softmax', ...init() }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y, name: 'model' });
}

/** Global average pooling written as `Mean` with keep_dims then `Reshape`, as some exporters do: a 4-D `[N,1,1,C]` node. */
const keepDimsGap: LayerWriter = ({ writer: w, layer, scope, inputs }) => {
  const axes = w.constant(`${scope}/Mean/reduction_indices`, tf.tensor1d([1, 2], 'int32'));
  const mean = w.node(`${scope}/Mean`, 'Mean', [inputs[0], axes], { Tidx: attr.int32, keep_dims: attr.bool(true) });
  const c = (layer.outputShape as number[])[1];
  return w.node(`${scope}/Reshape`, 'Reshape', [mean, w.constant(`${scope}/Reshape/shape`, tf.tensor1d([-1, c], 'int32'))], { Tshape: attr.int32 });
};

const P = 'StatefulPartitionedCall/model';

describe.each(['cpu', 'wasm'] as const)('converted GraphModels on %s', (backend) => {
  let model: tf.LayersModel;
  let graph: tf.GraphModel;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await setBackend(backend);
    model = kerasNet();
    graph = await toConvertedGraphModel(model);
    x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  });
  afterAll(() => {
    x.dispose();
    graph.dispose();
    model.dispose();
  });

  test('listLayers: ops in run order, output shapes from the signature, short Keras names', () => {
    expect(listLayers(graph).map((l) => [l.name, l.shortName, l.className, l.outputShape])).toEqual([
      [`${P}/block1_conv1/Relu`, 'block1_conv1', '_FusedConv2D', [null, 12, 12, 4]],
      [`${P}/block1_relu/Relu`, 'block1_relu', '_FusedConv2D', [null, 12, 12, 4]],
      [`${P}/block1_pool/MaxPool`, 'block1_pool', 'MaxPool', [null, 6, 6, 4]],
      [`${P}/block2_conv1/Relu`, 'block2_conv1', '_FusedConv2D', [null, 6, 6, 5]],
      [`${P}/avg_pool/Mean`, 'avg_pool', 'Mean', [null, 5]],
      [`${P}/predictions/BiasAdd`, `${P}/predictions/BiasAdd`, '_FusedMatMul', [null, 3]],
      [`${P}/predictions/Softmax`, 'predictions', 'Softmax', [null, 3]],
    ]);
    expect(defaultCamLayer('t', graph)).toBe(`${P}/block2_conv1/Relu`);
  });

  test('an open signature: shapes from a probe at inputSize, null without one; the default CAM layer from the input', async () => {
    const open = await toConvertedGraphModel(model, { inputSize: 'open' });
    expect(listLayers(open).every((l) => l.outputShape === null)).toBe(true);
    expect(listLayers(open, { inputSize: [24, 20] }).find((l) => l.shortName === 'block1_pool')?.outputShape).toEqual([null, 12, 10, 4]);
    expect(() => listLayers(open, { inputSize: [24] as unknown as [number, number] })).toThrow(OptionError);
    expect(() => defaultCamLayer('gradCam', open)).toThrow(/takes any input size/);
    const a = await gradCam(open, x);
    const b = await gradCam(model, x);
    expect(relErr(await a.data(), await b.data())).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    open.dispose();
  });

  test('short names work wherever a layer name does; a folded layer is unknown, with the short names listed', async () => {
    const n0 = tf.memory().numTensors;
    const a = await gradCam(graph, x, { layer: 'block1_pool' });
    const b = await gradCam(model, x, { layer: 'block1_pool' });
    expect(relErr(await a.data(), await b.data())).toBeLessThan(1e-4);
    const ga = await layerActivations(graph, x, { layers: ['block2_conv1', 'block1_relu'] });
    const ka = await layerActivations(model, x, { layers: ['block2_conv1', 'block1_relu'] });
    for (let i = 0; i < 2; i++) {
      expect(ga[i].layer).toBe(ka[i].layer);
      expect(relErr(await ga[i].activation.data(), await ka[i].activation.data())).toBeLessThan(1e-5);
    }
    const split = splitModel(graph, 'block1_pool');
    expect(split.needsInput).toBe(false);
    const whole = tf.tidy(() => forwardScores('t', graph, x));
    const parts = tf.tidy(() => split.tail(split.head(x)));
    expect(relErr(await parts.data(), await whole.data())).toBeLessThan(1e-5);
    tf.dispose([a, b, ga, ka, whole, parts] as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(n0);
    // block1_conv2 was fused into block1_relu's node, as tfjs-converter does: it is not in the graph.
    const err = await gradCam(graph, x, { layer: 'block1_conv2' }).catch((e) => e);
    expect(err).toBeInstanceOf(UnknownLayerError);
    expect((err as UnknownLayerError).choices).toEqual(listLayers(graph).map((l) => l.shortName));
    expect(tf.memory().numTensors).toBe(n0);
  });

  test('the default CAM layer skips a 4-D node that is not a spatial feature map; CAM reads the mean → matmul head through it', async () => {
    const keep = await toConvertedGraphModel(model, { writers: { GlobalAveragePooling2D: keepDimsGap } });
    expect(listLayers(keep).find((l) => l.name === `${P}/avg_pool/Mean`)?.outputShape).toEqual([null, 1, 1, 5]);
    expect(defaultCamLayer('t', keep)).toBe(`${P}/block2_conv1/Relu`);
    const want = await cam(model, x, { upsample: false });
    for (const g of [graph, keep]) {
      const n0 = tf.memory().numTensors;
      const got = await cam(g, x, { upsample: false });
      expect(relErr(await got.data(), await want.data())).toBeLessThan(1e-4);
      const t = await cam(g, x, { target: [2, 0] });
      const tk = await cam(model, x, { target: [2, 0] });
      expect(relErr(await t.data(), await tk.data())).toBeLessThan(1e-4);
      tf.dispose([got, t, tk]);
      expect(tf.memory().numTensors).toBe(n0);
    }
    want.dispose();
    keep.dispose();
    // No spatial mean before the matrix product: a typed error naming where the walk stopped.
    const flat = tf.sequential({ layers: [tf.layers.flatten({ name: 'flatten', inputShape: [4, 4, 1] }), tf.layers.dense({ name: 'dense', units: 2 })], name: 'flat' });
    const gflat = await toConvertedGraphModel(flat);
    const err = await cam(gflat, tf.zeros([1, 4, 4, 1]) as tf.Tensor4D).catch((e) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect((err as Error).message).toMatch(/^cam: CAM needs a model that ends in a spatial mean .*fed by Reshape "StatefulPartitionedCall\/flat\/flatten\/Reshape"$/);
    gflat.dispose();
    flat.dispose();
  });

  test('an input that does not fit the signature is an InputError naming both shapes', async () => {
    const wrong = tf.zeros([1, 10, 12, 3]) as tf.Tensor4D;
    const n0 = tf.memory().numTensors;
    await expect(gradCam(graph, wrong)).rejects.toThrow(new InputError('gradCam', "input shape [1,10,12,3] does not fit the model's input [null,12,12,3]"));
    expect(tf.memory().numTensors).toBe(n0);
    wrong.dispose();
  });

  test('pre-softmax scores through Softmax + Identity; gradients equal the LayersModel\'s', async () => {
    expect(endsInSoftmax(graph)).toBe(true);
    for (const preSoftmax of [true, false]) {
      const a = tf.tidy(() => forwardScores('t', graph, x, { preSoftmax }));
      const b = tf.tidy(() => forwardScores('t', model, x, { preSoftmax }));
      expect(relErr(await a.data(), await b.data())).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
    const probs = graph.predict(x) as tf.Tensor;
    const sums = await tf.sum(probs, 1).data();
    expect(Array.from(sums).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    const ga = await vanillaGradient(graph, x, { target: 1 });
    const gb = await vanillaGradient(model, x, { target: 1 });
    expect(relErr(await ga.data(), await gb.data())).toBeLessThan(1e-4);
    tf.dispose([probs, ga, gb]);
  });
});
