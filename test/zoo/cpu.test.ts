/**
 * The zoo on the pure-JS cpu backend: every method on every fixture gives a finite, non-zero result of
 * the right shape without leaking, and the same numbers as on wasm (one item each: cpu is slow).
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { buildZoo, ZOO_NAMES, zooInput } from '../fixtures/zoo';
import { checkRuns, relErr, runAll } from './harness';

describe.each(ZOO_NAMES)('%s on cpu', (name) => {
  test('every method: finite, non-zero, right shape, no leaks; the same maps as on wasm', async () => {
    const { model, entry } = buildZoo(name);
    const values = await tf.tidy(() => zooInput(entry, 1)).data();
    const runs: Record<string, Awaited<ReturnType<typeof runAll>>> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await setBackend(backend);
      const x = tf.tensor4d(values, [1, entry.options.size, entry.options.size, 3]);
      runs[backend] = await runAll(model, entry, x);
      if (backend === 'cpu') checkRuns(runs.cpu, entry, x);
      x.dispose();
    }
    for (const r of runs.cpu) {
      if (!r.values) continue;
      const w = runs.wasm.find((s) => s.name === r.name)!;
      const err = relErr(w.values!, r.values);
      if (err > 1e-4) throw new Error(`${r.name}: wasm and cpu differ by ${err} relative to the largest value`);
    }
    model.dispose();
  });
});
