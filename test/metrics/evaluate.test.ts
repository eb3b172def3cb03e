import * as tf from '@tensorflow/tfjs';
import { CancelledError, OptionError } from '../../src/errors';
import { evaluate, evaluateSeeds, formatSeedEvaluation } from '../../src/metrics/evaluate';
import { evaluationFigures } from '../../src/metrics/figures';
import { additiveModel, seeded } from './helpers';

const [H, W] = [6, 6];
const P = H * W;
const weights = seeded(P, 61, 0.1, 1);
const model = additiveModel(weights, H, W);
/** A map unrelated to the model: seeded uniform noise per call. */
const random = { name: 'random', run: async (_m: unknown, xi: tf.Tensor) => tf.randomUniform(xi.shape.slice(0, 3), 0, 1, 'float32', 9) };
const methods = ['gradientTimesInput', 'vanillaGradient', random];
const measures = ['deletion', 'insertion', 'road', 'infidelity', 'randomisation'] as const;

describe('evaluate', () => {
  it('ranks the true importance of an additive model first on the curves, and its exact attribution first on infidelity (zero)', async () => {
    const x = tf.tensor4d(seeded(2 * P, 62, 0.2, 1), [2, H, W, 1]);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const e = await evaluate(model, x, { methods, measures: [...measures], measureOptions: { deletion: { steps: P }, insertion: { steps: P, baseline: 0 }, road: { noise: 0 } }, onProgress: (d) => progress.push(d) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(e.methods).toEqual(['gradientTimesInput', 'vanillaGradient', 'random']);
    const col = (k: string) => e.measures.indexOf(k as never);
    // gradient × input is w⊙x, the true importance: best deletion and insertion AUC.
    expect(e.ranks[0][col('deletion')]).toBe(1);
    expect(e.ranks[0][col('insertion')]).toBe(1);
    // The gradient w is the exact attribution for Gaussian perturbations: infidelity 0, rank 1.
    expect(e.table[1][col('infidelity')]).toBeLessThan(1e-8);
    expect(e.ranks[1][col('infidelity')]).toBe(1);
    // The table holds the means of the raw results.
    const auc = e.details.gradientTimesInput.deletion?.auc as number[];
    expect(e.table[0][col('deletion')]).toBeCloseTo((auc[0] + auc[1]) / 2, 10);
    // A map that ignores the model survives randomisation untouched: correlation 1, the worst rank.
    expect(e.table[2][col('randomisation')]).toBeCloseTo(1, 10);
    expect(e.ranks[2][col('randomisation')]).toBe(3);
    // 6×6 maps: smaller than SSIM's 7×7 window and a HOG block, so neither is computed.
    expect(e.details.random.randomisation?.ssim).toBeNull();
    expect(e.details.random.randomisation?.hog).toBeNull();
    const figs = await evaluationFigures(e, { title: 'additive' });
    expect(figs.deletion?.data.map((t) => t.name)).toEqual(e.methods);
    expect((figs.deletion?.data[0].x as number[]).length).toBe(P + 1);
    expect(figs.roadMorf?.data).toHaveLength(3);
    expect(figs.roadLerf?.data.map((t) => t.name)).toEqual(e.methods);
    expect(figs.cascade?.data).toHaveLength(3);
    expect(figs.cascade?.fallback.toPNG().length).toBeGreaterThan(100);
    x.dispose();
  });

  it('reports ranks per seed and which of them hold at every seed', async () => {
    const images = (seed: number) => ({ images: tf.tensor4d(seeded(2 * P, 100 + seed, 0.2, 1), [2, H, W, 1]) });
    const before = tf.memory().numTensors;
    const s = await evaluateSeeds(model, images, { methods, measures: ['deletion', 'infidelity'], seeds: [1, 2, 3] });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.runs.map((r) => r.seed)).toEqual([1, 2, 3]);
    for (let m = 0; m < 3; m++) {
      for (let k = 0; k < 2; k++) {
        const rs = s.runs.map((r) => r.ranks[m][k]);
        expect(s.ranks[m][k]).toEqual(rs);
        expect(s.stable[m][k]).toBe(rs.every((r) => r === rs[0]));
      }
    }
    expect(s.stable[0][0]).toBe(true); // gradient × input first on deletion at every seed
    expect(s.ranks[1][1]).toEqual([1, 1, 1]); // the gradient first on infidelity at every seed
    const md = formatSeedEvaluation(s);
    expect(md.split('\n')).toHaveLength(5);
    expect(md).toContain('| gradientTimesInput | ');
    expect(md).toContain('rank **1/1/1**');
  });

  it('stops on cancel without leaking, and raises typed errors for bad methods and measures', async () => {
    const x = tf.tensor4d(seeded(P, 63), [1, H, W, 1]);
    const ac = new AbortController();
    const before = tf.memory().numTensors;
    await expect(evaluate(model, x, { methods, measures: ['deletion', 'insertion'], signal: ac.signal, onProgress: () => ac.abort() })).rejects.toThrow(CancelledError);
    await expect(evaluate(model, x, { methods: [] })).rejects.toThrow(/evaluate: methods must be a non-empty array/);
    await expect(evaluate(model, x, { methods: ['gradCAM'] })).rejects.toThrow(/evaluate: unknown method "gradCAM"/);
    await expect(evaluate(model, x, { methods: ['saliencyMap', 'saliencyMap'] })).rejects.toThrow(/listed twice/);
    await expect(evaluate(model, x, { methods, measures: ['aopc' as never] })).rejects.toThrow(new OptionError('evaluate', 'unknown measure "aopc"; choices: deletion, insertion, road, infidelity, sensitivityMax, localisation, randomisation'));
    await expect(evaluate(model, x, { methods, measures: ['localisation'] })).rejects.toThrow(/localisation measure needs masks/);
    await expect(evaluateSeeds(model, x, { methods, seeds: [] })).rejects.toThrow(/evaluateSeeds: seeds must be/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
