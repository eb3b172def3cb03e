/**
 * The zoo on wasm (the default backend), each fixture as a LayersModel and as the GraphModel
 * tfjs-converter would write from it (see test/fixtures/zoo/convert.ts): every method gives a finite,
 * non-zero result of the right shape without leaking; batched equals one item at a time; the input
 * gradient agrees with finite differences; the GraphModel gives the LayersModel's maps.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { vanillaGradient } from '../../src/methods/gradient';
import { buildZoo, ZOO_NAMES, zooGraphModel, zooInput } from '../fixtures/zoo';
import { foldBatchNorms } from '../fixtures/zoo/convert';
import { checkRuns, directionalCheck, expectedFailure, MethodRun, relErr, runAll, targetsFor } from './harness';

beforeAll(() => setBackend('wasm'));

/**
 * Every method's result agrees with `reference`'s to `tol` relative to the largest value; with
 * `share`, that many of the values at least (the rest may differ by more).
 */
function expectSame(runs: MethodRun[], reference: MethodRun[], what: string, tol = 1e-4, share = 1): void {
  for (const r of reference) {
    if (!r.values) continue;
    const other = runs.find((s) => s.name === r.name);
    if (!other?.values) throw new Error(`${r.name}: ${what} failed: ${other?.error instanceof Error ? other.error.message : String(other?.error)}`);
    if (share === 1) {
      const err = relErr(other.values, r.values);
      if (err > tol) throw new Error(`${r.name}: ${what} differs by ${err} relative to the largest value`);
      continue;
    }
    const scale = r.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const close = other.values.filter((v, i) => Math.abs(v - r.values![i]) <= tol * scale).length / r.values.length;
    if (close < share) throw new Error(`${r.name}: ${what}: only ${(100 * close).toFixed(2)}% of the values agree to ${tol} of the largest`);
  }
}

describe.each(ZOO_NAMES)('%s on wasm', (name) => {
  const { model, entry } = buildZoo(name);
  const x = zooInput(entry, 2);
  let layersRuns: MethodRun[] = [];
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  test('LayersModel: every method finite, non-zero, right shape, no leaks; batched equals one item at a time', async () => {
    layersRuns = await runAll(model, entry, x);
    checkRuns(layersRuns, entry, x);
    const targets = targetsFor(entry, 2);
    for (const i of [0, 1]) {
      const item = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const single = await runAll(model, entry, item, layersRuns.map((r) => r.name), [targets[i]]);
      item.dispose();
      // SmoothGrad's noise is drawn for the whole batch at once: only the first item's draws coincide.
      const batchItems = layersRuns.filter((r) => r.values && (i === 0 || r.name !== 'smoothGrad')).map((r) => {
        const half = (r.values as Float32Array).length / 2;
        return { ...r, values: (r.values as Float32Array).subarray(i * half, (i + 1) * half) };
      });
      expectSame(single, batchItems, `item ${i} alone against the batch`);
    }
  });

  /*
   * The GraphModel computes what the LayersModel with its batch norms folded computes, op for op: their
   * maps agree to float rounding. Folding itself changes values in the last bits, which can move a ReLU
   * input across zero or a max-pool tie to another pixel: against the original LayersModel, all but a few
   * values agree (measured: the worst fixture, resnetBottleneck, 0.6% of the input gradient's values).
   */
  test(`GraphModel (signature ${entry.signature ?? 'batch'}): the maps of the LayersModel it mirrors, for every method; no leaks`, async () => {
    const graph = await zooGraphModel(model, entry);
    const folded = await foldBatchNorms(model);
    const runs = await runAll(graph, entry, x);
    checkRuns(runs, entry, x, true);
    // Methods that fail as expected on the GraphModel alone (DeepLift with a fixed batch) are compared no further.
    const comparable = (rs: MethodRun[]) => rs.filter((r) => !expectedFailure(r.name, entry, true));
    expectSame(runs, comparable(await runAll(folded, entry, x)), 'the GraphModel against the folded LayersModel');
    expectSame(runs, comparable(layersRuns), 'the GraphModel against the original LayersModel', 1e-3, 0.98);
    graph.dispose();
    folded.dispose();
  });

  test('the input gradient agrees with finite differences', async () => {
    const err = await directionalCheck(model, entry, x, (m, t, target) => vanillaGradient(m, t, { target, preSoftmax: false }));
    expect(err).toBeLessThan(2e-2);
  });
});
