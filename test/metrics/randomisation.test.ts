import * as tf from '@tensorflow/tfjs';
import { CancelledError, ModelError, OptionError, UnknownLayerError } from '../../src/errors';
import { modelRandomisation } from '../../src/metrics/randomisation';
import { loadModel } from '../../src/models/load';
import { data } from '../../src/data';
import { additiveModel, seeded } from './helpers';

const H = 8;
const W = 8;

describe('modelRandomisation', () => {
  it('decorrelates the gradient of a linear model from its trained map and restores the weights', async () => {
    const weights = seeded(H * W, 21, -1, 1);
    const model = additiveModel(weights, H, W);
    const x = tf.tensor4d(seeded(2 * H * W, 22), [2, H, W, 1]);
    const before = tf.memory().numTensors;
    const r = await modelRandomisation(model, x, 'vanillaGradient', { seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.layers).toEqual([model.layers[1].name]);
    // The gradient is the weights: after randomising them, the map is an independent random vector.
    for (const v of r.spearman[0]) expect(Math.abs(v)).toBeLessThan(0.35);
    const restored = Array.from(await model.layers[1].getWeights()[0].data());
    restored.forEach((v, i) => expect(v).toBeCloseTo(weights[i], 6));
    // A map that ignores the weights (the input itself) fails the sanity check: correlation 1 throughout.
    const inputMap = async (_m: unknown, xi: tf.Tensor) => xi.clone();
    const blind = await modelRandomisation(model, x, inputMap, { seed: 1 });
    expect(blind.spearman).toEqual([[1, 1]]);
    expect(blind.spearmanAbs[0][0]).toBeCloseTo(1, 10);
    expect(blind.ssim).toBeNull(); // an input-shaped explanation: no SSIM
    expect(blind.hog).toBeNull();
    x.dispose();
  });

  it('randomises one layer at a time in independent mode, and cumulatively in cascading mode', async () => {
    // f(x) = v · (A x): the gradient is Aᵀv, changed by randomising either layer.
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [H, W, 1] }),
        tf.layers.dense({ units: 4, useBias: false, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }),
        tf.layers.dense({ units: 1, useBias: false, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
      ],
    });
    const x = tf.tensor4d(seeded(H * W, 25), [1, H, W, 1]);
    const names = [model.layers[2].name, model.layers[1].name];
    const ind = await modelRandomisation(model, x, 'vanillaGradient', { mode: 'independent', seed: 3 });
    const cas = await modelRandomisation(model, x, 'vanillaGradient', { mode: 'cascading', seed: 3 });
    expect(ind.layers).toEqual(names);
    expect(cas.layers).toEqual(names);
    expect(ind.mode).toBe('independent');
    // The first step randomises the same (top) layer with the same seed in both modes.
    expect(ind.spearman[0]).toEqual(cas.spearman[0]);
    // The second differs: independent has the top layer trained again, cascading keeps it random.
    expect(ind.spearman[1]).not.toEqual(cas.spearman[1]);
    // Independent step 2 is the same as randomising only that layer.
    const only = await modelRandomisation(model, x, 'vanillaGradient', { layers: [names[1]], seed: 3 });
    expect(only.spearman[0][0]).toBeCloseTo(ind.spearman[1][0], 10);
    x.dispose();
  });

  it('raises typed errors for a model that is not a LayersModel, unknown layers, modes and methods, and restores the weights after a cancel', async () => {
    const model = additiveModel(seeded(H * W, 23, -1, 1), H, W);
    const x = tf.tensor4d(seeded(H * W, 24), [1, H, W, 1]);
    const w0 = Array.from(await model.layers[1].getWeights()[0].data());
    const before = tf.memory().numTensors;
    await expect(modelRandomisation(model, x, 'vanillaGradient', { layers: ['conv9'] })).rejects.toThrow(UnknownLayerError);
    await expect(modelRandomisation(model, x, 'vanillaGradient', { layers: [model.layers[0].name] })).rejects.toThrow(/has no trainable weights to randomise/);
    await expect(modelRandomisation(model, x, 'vanillaGradient', { mode: 'shuffle' as never })).rejects.toThrow(OptionError);
    await expect(modelRandomisation(model, x, 'gradCAM')).rejects.toThrow(/unknown method "gradCAM"/);
    await expect(modelRandomisation((async () => x) as never, x, 'vanillaGradient')).rejects.toThrow(ModelError);
    const ac = new AbortController();
    ac.abort();
    await expect(modelRandomisation(model, x, 'vanillaGradient', { signal: ac.signal })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(await model.layers[1].getWeights()[0].data())).toEqual(w0);
    x.dispose();
  });

  it('on the shipped shapes classifier, the cascade drives gradient saliency towards chance', async () => {
    const model = (await loadModel('shapes')) as tf.LayersModel;
    const d = data.shapes({ n: 4, seed: 7_000_003 });
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const r = await modelRandomisation(model, d.images, 'saliencyMap', { seed: 5, onProgress: (k) => steps.push(k) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.layers[0]).toBe('predictions');
    expect(r.layers).toHaveLength(steps.length);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const first = mean(r.spearman[0]);
    const last = mean(r.spearman[r.spearman.length - 1]);
    console.log(`shapes cascade (saliencyMap), mean Spearman per step: ${r.layers.map((l, k) => `${l} ${mean(r.spearman[k]).toFixed(2)}`).join(', ')}`);
    expect(last).toBeLessThan(first);
    expect(Math.abs(last)).toBeLessThan(0.3);
    // saliencyMap returns maps [N,H,W]: SSIM per step too, lower after the whole cascade than after the top layer.
    expect(r.ssim).not.toBeNull();
    const ssim = r.ssim as number[][];
    console.log(`shapes cascade (saliencyMap), mean SSIM per step: ${ssim.map((s) => mean(s).toFixed(2)).join(', ')}`);
    expect(mean(ssim[ssim.length - 1])).toBeLessThan(mean(ssim[0]));
    // 64×64 maps: HOG correlation per step too, falling over the cascade.
    const hog = r.hog as number[][];
    expect(hog).toHaveLength(r.layers.length);
    console.log(`shapes cascade (saliencyMap), mean HOG correlation per step: ${hog.map((s) => mean(s).toFixed(2)).join(', ')}`);
    expect(mean(hog[hog.length - 1])).toBeLessThan(mean(hog[0]));
    expect(Math.abs(mean(hog[hog.length - 1]))).toBeLessThan(0.15);
    tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
  }, 120_000);
});
