/**
 * The CAM family runs the network up to the layer once: counted as forward convolution kernels (each
 * convolution of the model runs once per forward pass; input gradients use other kernels), and the maps
 * equal those of the former route (target from a separate clean pass, gradient by a zero delta added at
 * the layer in a second full pass).
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { forwardScores, forwardWithLayer, withGradientRules } from '../../src/models';
import { cam } from '../../src/methods/cam';
import { gradCam } from '../../src/methods/grad-cam';
import { gradCamPlusPlus } from '../../src/methods/grad-cam-plus-plus';
import { guidedGradCam } from '../../src/methods/guided-grad-cam';
import { layerCam } from '../../src/methods/layer-cam';
import { scoreCam } from '../../src/methods/score-cam';
import { toConvertedGraphModel } from '../fixtures/graph-model';
import { randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';

/** Forward convolution kernels run by `fn` (its result is disposed). */
async function convKernels(fn: () => Promise<tf.Tensor>): Promise<number> {
  const info = await tf.profile(async () => {
    (await fn()).dispose();
  });
  return info.kernels.filter((k) => k.name === 'Conv2D' || k.name === 'FusedConv2D').length;
}

/** A functional model whose skip branch bypasses the CAM layer (so its tail is not a chain); `open`: any input size. */
function withSkip(open = false): tf.LayersModel {
  const init = (seed: number) => ({ kernelInitializer: tf.initializers.randomNormal({ seed, stddev: 0.5 }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 50, stddev: 0.1 }) });
  const input = tf.input({ shape: open ? [null, null, 2] : [8, 8, 2], name: 'img' });
  const c1 = tf.layers.conv2d({ name: 'c1', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...init(1) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ name: 'c2', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...init(2) }).apply(c1) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([c1, c2]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 4, activation: 'softmax', ...init(3) }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Grad-CAM (no ReLU, layer resolution) the former way: a clean pass for the targets, then A and ∂y/∂A from a second pass. */
async function formerGradCam(model: tf.LayersModel | tf.GraphModel, x: tf.Tensor4D, layer: string): Promise<tf.Tensor> {
  const scores = tf.tidy(() => forwardScores('t', model, x));
  const target = Array.from(await tf.argMax(scores, 1).data());
  scores.dispose();
  return tf.tidy(() => {
    const shape = tf.tidy(() => forwardWithLayer('t', model, x, layer, null).activation.shape);
    let a: tf.Tensor | null = null;
    const g = withGradientRules({}, () => tf.grad((d: tf.Tensor) => {
      const r = forwardWithLayer('t', model, x, layer, (t) => tf.add(t, d));
      a = r.activation;
      return tf.sum(tf.mul(r.scores, tf.oneHot(target, r.scores.shape[1])));
    })(tf.zeros(shape)));
    const map = tf.sum(tf.mul(tf.mean(g, [1, 2], true), a as unknown as tf.Tensor), 3);
    (a as unknown as tf.Tensor).dispose();
    return map;
  });
}

describe.each(['cpu', 'wasm'] as const)('single-pass CAM on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('maps equal the former two-pass route: Sequential, functional with a skip around the layer, converted GraphModel', async () => {
    const seq = randomCnn('fusedGapSoftmax', 8);
    const skip = withSkip();
    const open = withSkip(true);
    const graph = await toConvertedGraphModel(seq);
    const graphSkip = await toConvertedGraphModel(skip);
    const cases: [tf.LayersModel | tf.GraphModel, tf.Tensor4D, string][] = [
      [seq, randomInput(seq, 3, 1), 'c2'],
      [seq, randomInput(seq, 3, 1), 'p1'],
      [skip, tf.randomUniform([3, 8, 8, 2], 0, 1, 'float32', 2) as tf.Tensor4D, 'c1'],
      [open, tf.randomUniform([2, 7, 5, 2], 0, 1, 'float32', 3) as tf.Tensor4D, 'c1'],
      [graph, randomInput(seq, 3, 1), 'c2'],
      [graphSkip, tf.randomUniform([3, 8, 8, 2], 0, 1, 'float32', 2) as tf.Tensor4D, 'c2'],
    ];
    for (const [model, x, layer] of cases) {
      const before = await formerGradCam(model, x, layer);
      const n0 = tf.memory().numTensors;
      const now = await gradCam(model, x, { layer, relu: false, upsample: false });
      expect(tf.memory().numTensors).toBe(n0 + 1);
      expect([layer, relErr(await now.data(), await before.data()) < 1e-5]).toEqual([layer, true]);
      tf.dispose([before, now, x]);
    }
    graph.dispose();
    graphSkip.dispose();
    seq.dispose();
    skip.dispose();
    open.dispose();
  });

  if (backend === 'cpu') {
    test('the network runs once per CAM: every convolution once (Score-CAM: once more per masked batch, Guided Grad-CAM: twice)', async () => {
      const seq = randomCnn('fusedGapSoftmax', 9); // 3 convolutions
      const skip = withSkip(); // 2 convolutions
      const graph = await toConvertedGraphModel(seq);
      const graphSkip = await toConvertedGraphModel(skip);
      const x = randomInput(seq, 2, 3);
      const xs = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      // A GraphModel probes its nodes' shapes once per input size (to check the layer); cached after.
      (await gradCam(graph, x)).dispose();
      (await gradCam(graphSkip, xs, { layer: 'c2' })).dispose();
      const counted: [string, () => Promise<tf.Tensor>, number][] = [
        ['gradCam default layer', () => gradCam(seq, x), 3],
        ['gradCam mid layer', () => gradCam(seq, x, { layer: 'p1' }), 3],
        ['gradCam with a target', () => gradCam(seq, x, { target: [1, 2] }), 3],
        ['gradCamPlusPlus', () => gradCamPlusPlus(seq, x), 3],
        ['layerCam', () => layerCam(seq, x, { layer: 'c1' }), 3],
        ['cam', () => cam(seq, x), 3],
        ['gradCam, skip around the layer', () => gradCam(skip, xs, { layer: 'c1' }), 2],
        ['gradCam on a GraphModel', () => gradCam(graph, x), 3],
        ['gradCam on a GraphModel, skip around the layer', () => gradCam(graphSkip, xs, { layer: 'c2' }), 2],
        ['cam on a GraphModel', () => cam(graph, x), 3],
        // 2 items × 6 channels of c3 = 12 masked inputs in batches of 6: 2 more passes.
        ['scoreCam', () => scoreCam(seq, x, { batchSize: 6 }), 3 * 3],
        ['guidedGradCam', () => guidedGradCam(seq, x), 2 * 3],
      ];
      for (const [name, run, want] of counted) expect([name, await convKernels(run)]).toEqual([name, want]);
      tf.dispose([x, xs]);
      graph.dispose();
      graphSkip.dispose();
      seq.dispose();
      skip.dispose();
    });
  }
});
