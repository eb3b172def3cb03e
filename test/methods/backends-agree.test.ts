/** The same method on the wasm and cpu backends gives the same numbers (to 1e-4 of the largest value). */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { runMethod, METHOD_NAMES } from '../../src/methods/registry';
import { relErr } from '../reference/net';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';

const SMALL: Record<string, Record<string, unknown>> = {
  smoothGrad: { samples: 3, seed: 5 }, integratedGradients: { steps: 8 }, occlusion: { window: 3, stride: 2 },
};

test.each(RANDOM_CNNS)('%s: every method agrees between wasm and cpu', async (kind) => {
  const model = randomCnn(kind, 9);
  const xCpu = randomInput(model, 2, 21);
  const values = await xCpu.data();
  const shape = xCpu.shape;
  const results: Record<string, Record<string, Float32Array>> = { cpu: {}, wasm: {} };
  for (const backend of ['cpu', 'wasm'] as const) {
    await setBackend(backend);
    const x = tf.tensor4d(values, shape);
    for (const name of METHOD_NAMES) {
      if (name === 'cam' && kind !== 'fusedGapSoftmax') continue; // cam needs a GAP → dense head
      const out = await runMethod(name, model, x, { target: [0, 1], ...SMALL[name] });
      results[backend][name] = (await out.data()) as Float32Array;
      out.dispose();
    }
    x.dispose();
  }
  for (const name of Object.keys(results.cpu)) {
    const err = relErr(results.wasm[name], results.cpu[name]);
    if (err >= 1e-4) throw new Error(`${name}: wasm and cpu differ by ${err} relative to the largest value`);
  }
  xCpu.dispose();
  model.dispose();
});
