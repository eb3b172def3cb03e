/**
 * The zoo on wasm (the default backend): every method on every fixture gives a finite, non-zero result
 * of the right shape without leaking; batched equals one item at a time; the input gradient agrees with
 * finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { vanillaGradient } from '../../src/methods/gradient';
import { buildZoo, ZOO_NAMES, zooInput } from '../fixtures/zoo';
import { checkRuns, directionalCheck, relErr, runAll, targetsFor } from './harness';

beforeAll(() => setBackend('wasm'));

describe.each(ZOO_NAMES)('%s on wasm', (name) => {
  const { model, entry } = buildZoo(name);
  const x = zooInput(entry, 2);
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  test('every method: finite, non-zero, right shape, no leaks; batched equals one item at a time', async () => {
    const batched = await runAll(model, entry, x);
    checkRuns(batched, entry, x);
    const targets = targetsFor(entry, 2);
    const items = [0, 1].map((i) => tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
    const singles = [];
    for (const [i, item] of items.entries()) singles.push(await runAll(model, entry, item, batched.map((r) => r.name), [targets[i]]));
    for (const r of batched) {
      if (!r.values) continue;
      const half = r.values.length / 2;
      // SmoothGrad's noise is drawn for the whole batch at once: only the first item's draws coincide.
      for (const i of r.name === 'smoothGrad' ? [0] : [0, 1]) {
        const one = singles[i].find((s) => s.name === r.name)!;
        const err = relErr(one.values!, r.values.subarray(i * half, (i + 1) * half));
        if (err > 1e-4) throw new Error(`${r.name}: item ${i} alone differs from the batch by ${err}`);
      }
    }
    tf.dispose(items);
  });

  test('the input gradient agrees with finite differences', async () => {
    const err = await directionalCheck(model, entry, x, (m, t, target) => vanillaGradient(m, t, { target, preSoftmax: false }));
    expect(err).toBeLessThan(2e-2);
  });
});
