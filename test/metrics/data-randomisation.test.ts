import * as tf from '@tensorflow/tfjs';
import { CancelledError, ModelError, OptionError } from '../../src/errors';
import { dataRandomisation } from '../../src/metrics/data-randomisation';
import { shuffledDataSeed, trainShuffledLabels } from '../../src/models/train';
import { loadModel } from '../../src/models/load';
import { data } from '../../src/data';
import { additiveModel, seeded } from './helpers';

const [H, W] = [8, 8];

describe('dataRandomisation', () => {
  it('compares the maps of two models: 1 for the same model, near 0 for a linear model with independent weights', async () => {
    const model = additiveModel(seeded(H * W, 71, -1, 1), H, W);
    const other = additiveModel(seeded(H * W, 72, -1, 1), H, W);
    const x = tf.tensor4d(seeded(2 * H * W, 73), [2, H, W, 1]);
    const before = tf.memory().numTensors;
    const same = await dataRandomisation(model, x, 'saliencyMap', { shuffled: model });
    expect(tf.memory().numTensors).toBe(before);
    expect(same.spearman).toEqual([1, 1]);
    same.ssim?.forEach((v) => expect(v).toBeCloseTo(1, 6));
    expect(same.hog).toBeNull(); // 8×8: smaller than a HOG block
    expect(same.fit).toBeNull();
    // The gradient of a linear model is its weights: another model's independent weights decorrelate it.
    const diff = await dataRandomisation(model, x, 'vanillaGradient', { shuffled: other });
    for (const v of diff.spearman) expect(Math.abs(v)).toBeLessThan(0.35);
    expect(diff.ssim).toBeNull(); // an input-shaped explanation
    tf.dispose([x]);
  });

  it('trains a seeded shuffled-label model of a shipped architecture (tiny setting) and compares its maps, leaking nothing', async () => {
    const model = (await loadModel('shapes')) as tf.LayersModel;
    const d = data.shapes({ n: 2, seed: 7_000_005 });
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const r = await dataRandomisation(model, d.images, 'saliencyMap', { training: { images: 16, epochs: 1, batchSize: 8 }, onProgress: (a, b) => progress.push([a, b]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.map((p) => p[0])).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p[1] === 4)).toBe(true);
    expect(r.spearman).toHaveLength(2);
    expect(r.ssim).toHaveLength(2);
    expect(r.hog).toHaveLength(2); // 64×64 maps
    expect(r.fit).toMatchObject({ images: 16, epochs: 1, seed: 1, chance: 1 / 6 });
    for (const v of [...r.spearman, ...(r.hog as number[])]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    // Seeded: the same seed gives the same model.
    const a = await trainShuffledLabels('shapes', { images: 16, epochs: 1, batchSize: 8, seed: 3 });
    const b = await trainShuffledLabels('shapes', { images: 16, epochs: 1, batchSize: 8, seed: 3 });
    const [pa, pb] = [a.model.predict(d.images) as tf.Tensor, b.model.predict(d.images) as tf.Tensor];
    expect(Array.from(await pa.data())).toEqual(Array.from(await pb.data()));
    // Precise BN: the first batch-norm layer's moving statistics are its input's over the training images.
    const train = data.shapes({ n: 16, seed: shuffledDataSeed(3), size: 64 });
    const bn = a.model.getLayer('block1_bn1');
    const sub = tf.model({ inputs: a.model.inputs, outputs: bn.input as tf.SymbolicTensor });
    const act = sub.predict(train.images) as tf.Tensor;
    const { mean, variance } = tf.moments(act, [0, 1, 2]);
    const [, , movingMean, movingVar] = bn.getWeights();
    const [m1, m2, v1, v2] = await Promise.all([mean.data(), movingMean.data(), variance.data(), movingVar.data()]);
    Array.from(m1).forEach((v, k) => expect(m2[k]).toBeCloseTo(v, 4));
    Array.from(v1).forEach((v, k) => expect(v2[k]).toBeCloseTo(v, 3));
    tf.dispose([act, mean, variance, train.images, train.labels, train.masks, ...Object.values(train.regions)]);
    tf.dispose([pa, pb, d.images, d.labels, d.masks, ...Object.values(d.regions)]);
    a.model.dispose();
    b.model.dispose();
  }, 120_000);

  it('raises typed errors and stops on cancel during training', async () => {
    const model = additiveModel(seeded(H * W, 74, -1, 1), H, W);
    const x = tf.tensor4d(seeded(H * W, 75), [1, H, W, 1]);
    const before = tf.memory().numTensors;
    await expect(dataRandomisation(model, x, 'saliencyMap')).rejects.toThrow(/dataRandomisation: the model does not say which data set .*give dataset \(shapes, road, rings\)/);
    await expect(dataRandomisation(model, x, 'saliencyMap', { dataset: 'mnist' as never })).rejects.toThrow(new OptionError('dataRandomisation', 'dataset must be one of shapes, road, rings, got "mnist"'));
    await expect(dataRandomisation(model, x, 'saliencyMap', { shuffled: (async () => x) as never })).rejects.toThrow(ModelError);
    await expect(trainShuffledLabels('shapes', { epochs: 0 })).rejects.toThrow(/trainShuffledLabels: epochs must be an integer from 1/);
    const shapes = (await loadModel('shapes')) as tf.LayersModel;
    const d = data.shapes({ n: 1, seed: 7_000_006 });
    const ac = new AbortController();
    const mid = tf.memory().numTensors;
    await expect(dataRandomisation(shapes, d.images, 'saliencyMap', { training: { images: 16, epochs: 2, batchSize: 8 }, signal: ac.signal, onProgress: () => ac.abort() })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(mid);
    tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
    shapes.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  }, 120_000);
});
