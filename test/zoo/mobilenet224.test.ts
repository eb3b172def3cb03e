/**
 * The zoo at full size: MobileNetV2 at 224×224 with its published widths (α = 1; the benchmark's
 * fixture), as a LayersModel and as the GraphModel tfjs-converter writes from it with an open input size
 * (as a SavedModel export leaves it), on wasm. The other zoo tests use narrow nets at 64–128 so that the
 * cpu backend keeps up; this one checks that nothing changes at the size users run: every gradient
 * method, the CAM family (Score-CAM and Ablation-CAM aside: 1280 masked passes each) and occlusion give
 * finite, non-zero maps of the right shape, without leaks, and the GraphModel gives the LayersModel's
 * maps (the input gradient, Grad-CAM and occlusion); `listLayers` reads the GraphModel's shapes at 224
 * with readable names.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { METHOD_NAMES, getMethod } from '../../src/methods/registry';
import { listLayers } from '../../src/models';
import { mobileNetV2Bench } from '../fixtures/zoo';
import { toConvertedZooGraphModel } from '../fixtures/zoo/convert';
import { checkRuns, runAll } from './harness';
import type { ZooEntry } from '../fixtures/zoo';

jest.setTimeout(600_000);

/** Methods whose cost grows with the layer's 1280 channels (one masked or ablated pass per channel). */
const PER_CHANNEL = new Set(['scoreCam', 'ablationCam']);
/** One pass (or a few) per item: gradients, the CAM family, occlusion (four windows here, see runAll). */
const NAMES = METHOD_NAMES.filter((n) => !PER_CHANNEL.has(n) && (getMethod(n).family !== 'perturbation' || n === 'occlusion'));

const entry: ZooEntry = {
  title: 'MobileNetV2 224 (published widths)', build: () => mobileNetV2Bench(), options: { size: 224, classes: 1000, width: 32 },
  seed: 0, signature: 'open', camHead: true,
};

beforeAll(() => setBackend('wasm'));

test('MobileNetV2 at 224×224: every one-pass method on the LayersModel; the converted GraphModel (open size) gives its maps', async () => {
  const model = mobileNetV2Bench();
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const runs = await runAll(model, entry, x, NAMES);
  checkRuns(runs, entry, x);

  const graph = await toConvertedZooGraphModel(model, { inputSize: 'open' });
  const layers = listLayers(graph, { inputSize: [224, 224] });
  expect(layers.find((l) => l.shortName === 'out_relu')?.outputShape).toEqual([null, 7, 7, 1280]);
  // The converted graph against the LayersModel: the same maps up to float rounding, which can move a
  // ReLU6 input across a kink in a 17-block network (so most, not all, values agree; as in wasm.test.ts).
  const few = ['vanillaGradient', 'gradCam', 'occlusion'];
  const graphRuns = await runAll(graph, entry, x, few);
  checkRuns(graphRuns, entry, x, true);
  for (const r of graphRuns) {
    const mine = runs.find((s) => s.name === r.name)!.values!;
    const scale = mine.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const close = r.values!.filter((v, i) => Math.abs(v - mine[i]) <= 1e-3 * scale).length / mine.length;
    expect([r.name, close >= 0.98]).toEqual([r.name, true]);
  }
  tf.dispose([x]);
  [model, graph].forEach((m) => m.dispose());
});
