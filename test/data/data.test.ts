import * as tf from '@tensorflow/tfjs';
import { data, SHAPE_CLASSES, MIN_RINGS, MAX_RINGS, MAX_STEERING_DEG } from '../../src/data';
import { OptionError } from '../../src/errors';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const GENERATORS = { shapes: data.shapes, road: data.road, rings: data.rings };

describe.each(Object.entries(GENERATORS))('data.%s', (name, gen) => {
  test('shapes, dtypes and value ranges', () => {
    const before = tf.memory().numTensors;
    const d = gen({ n: 5, seed: 3, size: 48 });
    expect(d.images.shape).toEqual([5, 48, 48, 3]);
    expect(d.images.dtype).toBe('float32');
    expect(d.masks.shape).toEqual([5, 48, 48]);
    expect(d.labels.shape).toEqual([5]);
    expect(d.labels.dtype).toBe(name === 'shapes' ? 'int32' : 'float32');
    const px = d.images.dataSync();
    expect(Math.min(...px)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...px)).toBeLessThanOrEqual(1);
    const masks = d.masks.dataSync();
    expect(masks.every((v) => v === 0 || v === 1)).toBe(true);
    // Every image has some ground truth, and it is not the whole image.
    const share = tf.tidy(() => d.masks.mean([1, 2]).arraySync() as number[]);
    for (const s of share) {
      expect(s).toBeGreaterThan(0.005);
      expect(s).toBeLessThan(0.5);
    }
    tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('deterministic in the seed; image i does not depend on n', () => {
    const a = gen({ n: 4, seed: 11 });
    const b = gen({ n: 2, seed: 11 });
    const c = gen({ n: 2, seed: 12 });
    expect(Array.from(a.images.slice(0, 2).dataSync())).toEqual(Array.from(b.images.dataSync()));
    expect(Array.from(a.labels.slice(0, 2).dataSync())).toEqual(Array.from(b.labels.dataSync()));
    expect(Array.from(a.masks.slice(0, 2).dataSync())).toEqual(Array.from(b.masks.dataSync()));
    expect(Array.from(b.images.dataSync())).not.toEqual(Array.from(c.images.dataSync()));
    tf.dispose([a, b, c].flatMap((d) => [d.images, d.labels, d.masks, ...Object.values(d.regions)]));
  });

  test('bad options are OptionErrors naming the generator and the value', () => {
    expect(() => gen({ n: 0 })).toThrow(OptionError);
    expect(() => gen({ n: 2.5 })).toThrow(`data.${name}: n must be a positive integer, got 2.5`);
    expect(() => gen({ size: 8 })).toThrow(/size must be an integer from \d+ to 1024, got 8/);
    expect(() => gen({ seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});

test('shapes: labels cover every class; mask is where the target was painted', () => {
  const d = data.shapes({ n: 300, seed: 1 });
  const labels = d.labels.dataSync();
  const counts = SHAPE_CLASSES.map((_, k) => labels.filter((l) => l === k).length);
  expect(SHAPE_CLASSES.length).toBeGreaterThanOrEqual(6);
  for (const c of counts) expect(c).toBeGreaterThan(25);
  // Target pixels are bright (value >= 0.6 before shading), so the mask is brighter than the rest.
  const [inside, outside] = tf.tidy(() => {
    const v = d.images.max(3);
    const inM = v.mul(d.masks).sum().div(d.masks.sum());
    const outM = v.mul(tf.scalar(1).sub(d.masks)).sum().div(tf.scalar(1).sub(d.masks).sum());
    return [inM.dataSync()[0], outM.dataSync()[0]];
  });
  expect(inside).toBeGreaterThan(outside + 0.25);
  tf.dispose([d.images, d.labels, d.masks]);
});

test('road: angles span ±MAX_STEERING_DEG; sky is above the markings', () => {
  const d = data.road({ n: 200, seed: 2 });
  const labels = Array.from(d.labels.dataSync());
  expect(Math.min(...labels)).toBeGreaterThanOrEqual(-MAX_STEERING_DEG);
  expect(Math.max(...labels)).toBeLessThanOrEqual(MAX_STEERING_DEG);
  expect(Math.min(...labels)).toBeLessThan(-0.8 * MAX_STEERING_DEG);
  expect(Math.max(...labels)).toBeGreaterThan(0.8 * MAX_STEERING_DEG);
  const overlap = tf.tidy(() => d.masks.mul(d.regions.sky).sum().dataSync()[0]);
  expect(overlap).toBe(0);
  // Lowest sky row lies above the highest marking row in every image.
  const sky = d.regions.sky.arraySync() as number[][][];
  const masks = d.masks.arraySync() as number[][][];
  for (let i = 0; i < 20; i++) {
    const lastSky = Math.max(...sky[i].map((row, y) => (row.some((v) => v) ? y : -1)));
    const firstMark = masks[i].findIndex((row) => row.some((v) => v));
    expect(firstMark).toBeGreaterThan(0);
    expect(lastSky).toBeLessThan(firstMark);
  }
  tf.dispose([d.images, d.labels, d.masks, d.regions.sky]);
});

test('rings: counts in range; the rings lie on the target scale, apart from the distractor', () => {
  const d = data.rings({ n: 200, seed: 3 });
  const labels = Array.from(d.labels.dataSync());
  expect(labels.every((l) => Number.isInteger(l) && l >= MIN_RINGS && l <= MAX_RINGS)).toBe(true);
  expect(new Set(labels).size).toBe(MAX_RINGS - MIN_RINGS + 1);
  const [outsideTarget, overlap, distractorArea] = tf.tidy(() => [
    d.masks.mul(tf.scalar(1).sub(d.regions.target)).sum().dataSync()[0],
    d.regions.target.mul(d.regions.distractor).sum().dataSync()[0],
    d.regions.distractor.sum([1, 2]).min().dataSync()[0],
  ]);
  expect(outsideTarget).toBe(0);
  expect(overlap).toBe(0);
  expect(distractorArea).toBeGreaterThan(100);
  // More rings, more ring pixels: the mask area grows with the label.
  const area = d.masks.sum([1, 2]).dataSync();
  const mean = (k: number) => {
    const a = labels.flatMap((l, i) => (l === k ? [area[i]] : []));
    return a.reduce((s, v) => s + v, 0) / a.length;
  };
  expect(mean(MAX_RINGS)).toBeGreaterThan(2 * mean(MIN_RINGS));
  tf.dispose([d.images, d.labels, d.masks, d.regions.target, d.regions.distractor]);
});
