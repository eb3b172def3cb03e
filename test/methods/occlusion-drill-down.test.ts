import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { data } from '../../src/data';
import { OptionError } from '../../src/errors';
import { occlusion } from '../../src/methods/occlusion';
import { loadModel } from '../../src/models/load';
import { heldOutSeed } from '../../src/models/train';

/** Per item, the IoU of the top `fraction` of pixels of two maps `[N,H,W]`. */
async function topIoU(a: tf.Tensor3D, b: tf.Tensor3D, fraction: number): Promise<number[]> {
  const [n, h, w] = a.shape;
  const size = h * w;
  const k = Math.ceil(fraction * size);
  const [av, bv] = [await a.data(), await b.data()];
  const top = (v: Float32Array | Int32Array | Uint8Array, item: number) => {
    const idx = Array.from({ length: size }, (_, i) => i).sort((p, q) => v[item * size + q] - v[item * size + p]);
    return new Set(idx.slice(0, k));
  };
  return Array.from({ length: n }, (_, item) => {
    const [sa, sb] = [top(av, item), top(bv, item)];
    const inter = [...sa].filter((i) => sb.has(i)).length;
    return inter / (sa.size + sb.size - inter);
  });
}

describe.each(['cpu', 'wasm'] as const)('occlusion drill-down on %s', (backend) => {
  let model: tf.LayersModel;
  let x: tf.Tensor4D;
  // Fewer images on the pure-JS cpu backend, to keep the test quick.
  const n = backend === 'cpu' ? 1 : 3;
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

  test('drillDown 1 refines every window: the exact map', async () => {
    const exact = await occlusion(model, x, { window: 16, stride: 8, algorithm: 'full' });
    const all = await occlusion(model, x, { window: 16, stride: 8, drillDown: 1 });
    const [a, b] = [await exact.data(), await all.data()];
    const scale = Math.max(...Array.from(a, Math.abs));
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5 * scale));
    tf.dispose([exact, all]);
  });

  test("drillDown 0.25 on the shipped classifier's held-out images: top-10% region IoU ≥ 0.9 with the exact map, fewer forward passes, partial maps", async () => {
    const exact = await occlusion(model, x, { window: 16, stride: 8, algorithm: 'full' });
    const before = tf.memory().numTensors;
    const seen: [number, number][] = [];
    let partials = 0;
    const approx = await occlusion(model, x, {
      window: 16, stride: 8, drillDown: 0.25, batchSize: 8,
      onProgress: (d, t) => seen.push([d, t]),
      onPartial: (p) => {
        expect(p.shape).toEqual([n, 64, 64]);
        partials += 1;
      },
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    const ious = await topIoU(exact, approx, 0.1);
    for (const iou of ious) expect(iou).toBeGreaterThanOrEqual(0.9);
    const [done, total] = seen[seen.length - 1];
    expect(done).toBe(total);
    expect(total).toBeLessThan(n * 49);
    expect(partials).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);
    tf.dispose([exact, approx]);
  });

  test.each([0, -0.5, 1.5, NaN, '0.3'])('drillDown %p is an OptionError naming the range', async (bad) => {
    const before = tf.memory().numTensors;
    await expect(occlusion(model, x, { drillDown: bad as never })).rejects.toThrow(OptionError);
    await expect(occlusion(model, x, { drillDown: bad as never })).rejects.toThrow(/drillDown must be a finite number > 0 and ≤ 1/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
