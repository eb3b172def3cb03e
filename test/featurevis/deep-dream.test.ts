import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError, OptionError, UnknownLayerError } from '../../src/errors';
import { deepDream } from '../../src/methods/deep-dream';
import { StepEvent } from '../../src/methods/optimize/loop';
import { data } from '../../src/data';
import { loadModel } from '../../src/models/load';
import { randomConvNet, testPicture, toGraphModel } from './helpers';

/**
 * Mean absolute difference between horizontally and vertically adjacent pixels of `change` `[H,W,C]`,
 * across the boundaries at multiples of `tile` versus everywhere else (the image border excluded).
 */
function seamStats(change: number[][][], tile: number): { boundary: number; elsewhere: number } {
  const h = change.length;
  const w = change[0].length;
  let [bs, bn, es, en] = [0, 0, 0, 0];
  const add = (d: number, onBoundary: boolean) => {
    if (onBoundary) { bs += d; bn++; } else { es += d; en++; }
  };
  for (let y = 0; y < h; y++) for (let x = 0; x + 1 < w; x++) {
    let d = 0;
    for (let c = 0; c < change[y][x].length; c++) d += Math.abs(change[y][x + 1][c] - change[y][x][c]);
    add(d, (x + 1) % tile === 0);
  }
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x < w; x++) {
    let d = 0;
    for (let c = 0; c < change[y][x].length; c++) d += Math.abs(change[y + 1][x][c] - change[y][x][c]);
    add(d, (y + 1) % tile === 0);
  }
  return { boundary: bs / bn, elsewhere: es / en };
}

describe.each(['wasm', 'cpu'] as const)('DeepDream on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('keeps the shape and the range; the objective rises within and over octaves', async () => {
    const model = randomConvNet(5, null);
    const picture = testPicture(48);
    const events: StepEvent[] = [];
    const out = await deepDream(model, picture, { layers: { conv2: 1, conv3: 0.5 }, octaves: 3, octaveScale: 1.4, steps: 8, stepSize: 0.02, onStep: (e) => void events.push(e) });
    expect(out.shape).toEqual(picture.shape);
    const [lo, hi] = [(await out.min().data())[0], (await out.max().data())[0]];
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(events.map((e) => e.octave)).toEqual([0, 1, 2].flatMap((o) => new Array(8).fill(o)));
    const ends: number[] = [];
    for (let o = 0; o < 3; o++) {
      const mine = events.filter((e) => e.octave === o).map((e) => e.objective);
      expect(mine[mine.length - 1]).toBeGreaterThan(1.5 * mine[0]);
      ends.push(mine[mine.length - 1]);
    }
    expect(ends[1]).toBeGreaterThan(ends[0]);
    expect(ends[2]).toBeGreaterThan(ends[1]);
    tf.dispose([picture, out]);
    model.dispose();
  });

  test('the seam measure finds a seam where there is one', () => {
    const change = Array.from({ length: 32 }, (_, y) => Array.from({ length: 32 }, (_, x) => [Math.sin(x / 3) * 0.1 + (Math.floor(x / 16) + Math.floor(y / 16)) * 0.05]));
    const s = seamStats(change, 16);
    expect(s.boundary).toBeGreaterThan(1.5 * s.elsewhere);
  });

  if (backend === 'wasm') {
    test('on the shipped shapes classifier: same shape, the objective rises within and over octaves', async () => {
      const model = (await loadModel('shapes')) as tf.LayersModel;
      const ds = data.shapes({ n: 1, seed: 3 });
      const events: StepEvent[] = [];
      const out = await deepDream(model, ds.images, { layers: { block3_conv1: 1, block2_conv1: 0.5 }, steps: 10, onStep: (e) => void events.push(e) });
      expect(out.shape).toEqual([1, 64, 64, 3]);
      const ends: number[] = [];
      for (let o = 0; o < 3; o++) {
        const mine = events.filter((e) => e.octave === o).map((e) => e.objective);
        expect(mine[mine.length - 1]).toBeGreaterThan(1.5 * mine[0]);
        ends.push(mine[mine.length - 1]);
      }
      expect(ends[1]).toBeGreaterThan(ends[0]);
      expect(ends[2]).toBeGreaterThan(ends[1]);
      tf.dispose([out, ds.images, ds.labels, ds.masks]);
      model.dispose();
    });

    test('no seams: across tile and shift boundaries the change is no rougher than elsewhere', async () => {
      const model = randomConvNet(5, null);
      const picture = testPicture(64);
      const out = await deepDream(model, picture, { layers: { conv2: 1, conv3: 0.5 }, tileSize: 16, octaves: 3, steps: 10, stepSize: 0.02, seed: 1 });
      const change = tf.tidy(() => tf.squeeze(tf.sub(out, picture), [0]).arraySync() as number[][][]);
      const s = seamStats(change, 16);
      expect(s.boundary).toBeLessThanOrEqual(s.elsewhere);
      tf.dispose([picture, out]);
      model.dispose();
    });

    test('a fixed-size model (each octave resized for it), a GraphModel, the symmetric preset, determinism', async () => {
      const model = randomConvNet(6, 24);
      const graph = await toGraphModel(model);
      const picture = testPicture(24);
      const opts = { octaves: 2, steps: 4, seed: 9 };
      const a = await deepDream(model, picture, { ...opts, layers: { conv3: 1 } });
      const b = await deepDream(model, picture, { ...opts, layers: { conv3: 1 } });
      const g = await deepDream(graph, picture, { ...opts, layers: { conv3: 1 } });
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, g))));
      expect((await d.data())[0]).toBeLessThan(1e-3);
      const symmetric = tf.sequential({ layers: [tf.layers.rescaling({ scale: 0.5, offset: 0.5, inputShape: [24, 24, 3] }), model] });
      const input = tf.tidy(() => tf.sub(tf.mul(picture, 2), 1)) as tf.Tensor4D;
      const s = await deepDream(symmetric, input, { ...opts, layers: { conv3: 1 }, preprocess: 'symmetric' });
      // The same dream expressed in [-1, 1].
      const ds = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.div(tf.add(s, 1), 2), a))));
      expect((await ds.data())[0]).toBeLessThan(1e-3);
      tf.dispose([picture, a, b, g, d, input, s, ds]);
      model.dispose();
    });

    test('no tensor leaks over 300 steps; cancellation leaks nothing either', async () => {
      const model = randomConvNet(7, null);
      const picture = testPicture(32);
      (await deepDream(model, picture, { layers: { conv2: 1 }, octaves: 1, steps: 1 })).dispose();
      const before = tf.memory().numTensors;
      let images = 0;
      const out = await deepDream(model, picture, {
        layers: { conv2: 1, conv3: 1 }, octaves: 3, steps: 100, tileSize: 16, imageEvery: 50, onStep: (e) => { if (e.image) images++; },
      });
      expect(images).toBe(6);
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const controller = new AbortController();
      await expect(deepDream(model, picture, { layers: { conv2: 1 }, signal: controller.signal, onStep: (e) => { if (e.step === 12) controller.abort(); } })).rejects.toThrow(CancelledError);
      expect(tf.memory().numTensors).toBe(before);
      picture.dispose();
      model.dispose();
    });
  }

  test('bad input gets typed errors', async () => {
    const model = randomConvNet(1, null);
    const picture = testPicture(16);
    const dream = (o: object) => deepDream(model, picture, o as Parameters<typeof deepDream>[2]);
    await expect(dream({ layers: { conv9: 1 } })).rejects.toThrow(UnknownLayerError);
    await expect(dream({ layers: { conv9: 1 } })).rejects.toThrow(/deepDream: unknown layer "conv9"/);
    await expect(dream({ layers: {} })).rejects.toThrow(OptionError);
    await expect(dream({})).rejects.toThrow(/options.layers must be an object/);
    await expect(dream({ layers: { conv1: 1 }, octaveScale: 0 })).rejects.toThrow(/octaveScale must be a finite number > 0, got 0/);
    await expect(dream({ layers: { conv1: 1 }, octaveScale: -1.4 })).rejects.toThrow(OptionError);
    await expect(dream({ layers: { conv1: 1 }, stepSize: 0 })).rejects.toThrow(/stepSize must be a finite number > 0/);
    await expect(dream({ layers: { conv1: 1 }, stepSize: -1 })).rejects.toThrow(OptionError);
    await expect(dream({ layers: { conv1: 1 }, octaves: 0 })).rejects.toThrow(/octaves must be an integer from 1/);
    await expect(dream({ layers: { conv1: Number.NaN } })).rejects.toThrow(/weight of layer "conv1"/);
    await expect(deepDream(model, tf.zeros([1, 16, 16, 1]) as tf.Tensor4D, { layers: { conv1: 1 } })).rejects.toThrow(/the image has 1 channels, the model takes 3/);
    picture.dispose();
    model.dispose();
  });
});
