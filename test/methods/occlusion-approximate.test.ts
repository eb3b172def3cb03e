import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { data } from '../../src/data';
import { OptionError } from '../../src/errors';
import { occlusion, occlusionContext, planOcclusion, runOcclusion, evaluateDrops } from '../../src/methods/occlusion';
import { loadModel } from '../../src/models/load';
import { heldOutSeed } from '../../src/models/train';
import { changedWindows } from '../../src/methods/occlusion-incremental';
import { toGraphModel } from '../fixtures/graph-model';
import { randomCnn, randomInput } from '../reference/models';

/** Per item, the IoU of the top `fraction` of pixels of two maps `[N,H,W]`. */
async function topIoU(a: tf.Tensor3D, b: tf.Tensor3D, fraction: number): Promise<number[]> {
  const [n, h, w] = a.shape;
  const size = h * w;
  const k = Math.ceil(fraction * size);
  const [av, bv] = [await a.data(), await b.data()];
  const top = (v: Float32Array | Int32Array | Uint8Array, item: number) => new Set(Array.from({ length: size }, (_, i) => i).sort((p, q) => v[item * size + q] - v[item * size + p]).slice(0, k));
  return Array.from({ length: n }, (_, item) => {
    const [sa, sb] = [top(av, item), top(bv, item)];
    const inter = [...sa].filter((i) => sb.has(i)).length;
    return inter / (sa.size + sb.size - inter);
  });
}

/** The largest difference of two maps relative to the first's largest magnitude. */
async function relativeDifference(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [av, bv] = [await a.data(), await b.data()];
  const scale = Math.max(1e-6, ...Array.from(av, Math.abs));
  return Math.max(...Array.from(av, (v, i) => Math.abs(v - bv[i]))) / scale;
}

describe.each(['cpu', 'wasm'] as const)('occlusion approximations on %s', (backend) => {
  let model: tf.LayersModel;
  let x: tf.Tensor4D;
  // One image and stride 16 on the pure-JS cpu backend, to keep the test quick.
  const n = backend === 'cpu' ? 1 : 3;
  const base = { window: 16, stride: backend === 'cpu' ? 16 : 8 };
  beforeAll(async () => {
    await setBackend(backend);
    model = (await loadModel('shapes')) as tf.LayersModel;
    const d = data.shapes({ n, seed: heldOutSeed(1), size: 64 });
    x = d.images;
    tf.dispose([d.labels, d.masks, ...Object.values(d.regions)]);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  // shapes at 64×64, window 16: the widest changed window is 11 of the last 16×16 convolution's
  // side, so τ 0.75 (at most 12) cuts nothing and τ 0.5 (at most 8) cuts.
  test('tau: 1 and 0.75 cut no window (the exact map); 0.5 cuts (a different map); no tensor left behind', async () => {
    const exact = await occlusion(model, x, { ...base, algorithm: 'full' });
    const before = tf.memory().numTensors;
    const one = await occlusion(model, x, { ...base, approximate: { tau: 1 } });
    const wide = await occlusion(model, x, { ...base, approximate: { tau: 0.75 } });
    const cut = await occlusion(model, x, { ...base, approximate: { tau: 0.5 } });
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(await relativeDifference(exact, one)).toBeLessThan(1e-5);
    expect(await relativeDifference(exact, wide)).toBeLessThan(1e-5);
    expect(await relativeDifference(exact, cut)).toBeGreaterThan(1e-3);
    tf.dispose([exact, one, wide, cut]);
  });

  test("tau 0.6 with drillDown 0.25 on the shipped classifier's held-out images: top-10% region IoU ≥ 0.9 with the exact map", async () => {
    const exact = await occlusion(model, x, { ...base, algorithm: 'full' });
    const approx = await occlusion(model, x, { ...base, approximate: { tau: 0.6, drillDown: 0.25 } });
    for (const iou of await topIoU(exact, approx, 0.1)) expect(iou).toBeGreaterThanOrEqual(0.9);
    expect(await relativeDifference(exact, approx)).toBeGreaterThan(0);
    tf.dispose([exact, approx]);
  });

  test('approximate.drillDown is the flat drillDown; giving both is an OptionError', async () => {
    const flat = await occlusion(model, x, { ...base, drillDown: 0.25 });
    const nested = await occlusion(model, x, { ...base, approximate: { drillDown: 0.25 } });
    expect(Array.from(await nested.data())).toEqual(Array.from(await flat.data()));
    tf.dispose([flat, nested]);
    await expect(occlusion(model, x, { ...base, drillDown: 0.25, approximate: { drillDown: 0.5 } })).rejects.toThrow(/drillDown is given twice/);
  });

  test.each([
    [{ tau: 0 }, /approximate\.tau must be a finite number > 0 and ≤ 1, got 0/],
    [{ tau: 1.5 }, /approximate\.tau must be a finite number > 0 and ≤ 1, got 1\.5/],
    [{ drillDown: -1 }, /approximate\.drillDown must be a finite number > 0 and ≤ 1/],
    [{ sigma: 1 }, /unknown approximate field "sigma"; fields: tau, drillDown/],
    [0.5, /approximate must be an object with fields tau, drillDown, got 0\.5/],
  ])('approximate %p is an OptionError naming the value and the choices', async (bad, message) => {
    const before = tf.memory().numTensors;
    await expect(occlusion(model, x, { approximate: bad as never })).rejects.toThrow(OptionError);
    await expect(occlusion(model, x, { approximate: bad as never })).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("tau needs the incremental algorithm: an OptionError with algorithm 'full', on a GraphModel, or beside a given evaluator", async () => {
    await expect(occlusion(model, x, { algorithm: 'full', approximate: { tau: 0.5 } })).rejects.toThrow(/approximate\.tau needs the incremental algorithm/);
    const layers = randomCnn('separateFlatten');
    const graph = await toGraphModel(layers);
    const g = randomInput(layers, 1);
    await expect(occlusion(graph, g, { approximate: { tau: 0.5 } })).rejects.toThrow(/approximate\.tau needs the incremental algorithm.*tf\.LayersModel/);
    g.dispose();
    layers.dispose();
    const context = await occlusionContext(model, x);
    const plan = await planOcclusion(context, base);
    await expect(runOcclusion(context, plan, { evaluator: evaluateDrops, approximate: { tau: 0.5 } })).rejects.toThrow(OptionError);
    context.dispose();
    plan.dispose();
  });
});

test('changedWindows: each layer grows the window by its halo and divides by its stride; tau cuts it, centred', () => {
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 1, kernelSize: 3, padding: 'same' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 1, kernelSize: 5, padding: 'same' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 2 }),
  ] });
  // Rows and columns [6, 10): conv 3×3 → [5, 11); pool 2 → [2, 6); conv 5×5 on 8×8 → [0, 8), the whole map.
  const exact = changedWindows(model, [4, 4], 6, 6);
  expect(exact.map((w) => [w.size, w.window, w.full])).toEqual([
    [[16, 16], [5, 5, 6, 6], false], [[8, 8], [2, 2, 4, 4], false], [[8, 8], [0, 0, 8, 8], true], [[1, 1], [0, 0, 1, 1], true], [[1, 1], [0, 0, 1, 1], true],
  ]);
  // τ 0.5: at most ⌈0.5 · 16⌉ = 8 (no cut), 4 (no cut), then 4 of the 8 rows [0, 8), centred: [2, 6).
  const cut = changedWindows(model, [4, 4], 6, 6, 0.5);
  expect(cut.slice(0, 3).map((w) => [w.window, w.full])).toEqual([[[5, 5, 6, 6], false], [[2, 2, 4, 4], false], [[2, 2, 4, 4], false]]);
  model.dispose();
});
