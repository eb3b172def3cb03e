/**
 * The zoo on the pure-JS cpu backend, as LayersModel and GraphModel: every method on every fixture gives
 * a finite, non-zero result of the right shape without leaking, and the same numbers as on wasm (one
 * item each: cpu is slow; batching and finite differences are checked on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import type { Model } from '../../src/models/types';
import { buildZoo, ZOO_NAMES, zooGraphModel, zooInput } from '../fixtures/zoo';
import { checkRuns, MethodRun, relErr, runAll } from './harness';

/**
 * Relative wasm-vs-cpu tolerance per method (default 1e-4). DeepLift's rescale multipliers Δy/Δx divide the
 * backends' rounding differences by Δx, which may be tiny (Captum's threshold is 1e-10), so its maps carry
 * larger backend differences than gradients do (1.03e-4 measured on efficientNetBlock's swish units).
 * DeepLiftShap is DeepLift against each baseline: the same tolerance.
 */
const TOLERANCE: Record<string, number> = { deepLift: 1e-3, deepLiftShap: 1e-3 };

describe.each(ZOO_NAMES)('%s on cpu', (name) => {
  test('LayersModel and GraphModel: every method finite, non-zero, right shape, no leaks; the same maps as on wasm', async () => {
    const { model, entry } = buildZoo(name);
    const graph = await zooGraphModel(model, entry);
    const values = await tf.tidy(() => zooInput(entry, 1)).data();
    const runs: Record<string, MethodRun[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await setBackend(backend);
      const x = tf.tensor4d(values, [1, entry.options.size, entry.options.size, 3]);
      for (const [kind, m] of [['layers', model], ['graph', graph]] as [string, Model][]) {
        runs[`${backend} ${kind}`] = await runAll(m, entry, x);
        if (backend === 'cpu') checkRuns(runs[`cpu ${kind}`], entry, x, kind === 'graph');
      }
      x.dispose();
    }
    for (const kind of ['layers', 'graph']) {
      for (const r of runs[`cpu ${kind}`]) {
        if (!r.values) continue;
        const w = runs[`wasm ${kind}`].find((s) => s.name === r.name)!;
        const err = relErr(w.values!, r.values);
        if (err > (TOLERANCE[r.name] ?? 1e-4)) throw new Error(`${r.name} (${kind}): wasm and cpu differ by ${err} relative to the largest value`);
      }
    }
    graph.dispose();
    model.dispose();
  });
});
