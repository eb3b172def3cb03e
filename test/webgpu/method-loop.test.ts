/**
 * Every method run over and over on webgpu (issue 15: "tensors on the GPU are disposed as on other
 * backends"): after a first run (tfjs and the split models create a few tensors on first use), each
 * further run leaves `tf.memory().numTensors` and the bytes held by live tensors as they were, and gives
 * the same numbers as the first run (same model, input and seed: nothing carried over between runs).
 * Attribution methods from the registry, and feature visualization (activation maximization, DeepDream).
 */
import * as tf from '@tensorflow/tfjs';
import { runMethod } from '../../src/methods/registry';
import { activationMaximization } from '../../src/methods/activation-maximization';
import { deepDream } from '../../src/methods/deep-dream';
import { randomCnn, randomInput } from '../reference/models';
import { randomConvNet, testPicture } from '../featurevis/helpers';
import { methodNames, SMALL } from '../methods/agree';
import { useWebGPU } from './helpers';

const RUNS = 2;
/** A software adapter (lavapipe) on a busy machine is slow: a longer timeout than jest's default here. */
const TIMEOUT_MS = 300_000;

beforeAll(useWebGPU);

/** Runs `call` once to warm up, then RUNS times: each run must keep tensors and bytes, and repeat the numbers. */
async function loop(call: () => Promise<tf.Tensor>): Promise<void> {
  const first = await call();
  const expected = Array.from(await first.data());
  first.dispose();
  const before = tf.memory();
  for (let i = 0; i < RUNS; i++) {
    const out = await call();
    const values = Array.from(await out.data());
    out.dispose();
    expect({ run: i + 1, numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes }).toEqual({ run: i + 1, numTensors: before.numTensors, numBytes: before.numBytes });
    expect(values).toEqual(expected);
  }
}

const model = randomCnn('fusedGapSoftmax', 9);

test.each(methodNames(true))('%s: run again and again on webgpu, nothing left behind, the same numbers', async (name) => {
  const x = randomInput(model, 2, 21);
  await loop(() => runMethod(name, model, x, { target: [0, 1], ...SMALL[name] }));
  x.dispose();
}, TIMEOUT_MS);

test('activation maximization and DeepDream: run again and again on webgpu, nothing left behind, the same image', async () => {
  const net = randomConvNet(2, 24);
  await loop(() => activationMaximization(net, { layer: 'conv2', channel: 5, parameterization: 'fourier', steps: 3, seed: 4 }));
  const picture = testPicture(24);
  await loop(() => deepDream(net, picture, { layers: { conv2: 1 }, octaves: 2, steps: 2, seed: 6 }));
  picture.dispose();
  net.dispose();
}, TIMEOUT_MS);
