import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError } from '../../src/errors';
import { scoreCam } from '../../src/methods/score-cam';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { runBatches } from '../../src/methods/loop';
import { evaluateDrops, occlusion, occlusionContext, OcclusionEvaluator, planOcclusion, runOcclusion } from '../../src/methods/occlusion';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { setAmbientSignal } from '../../src/signal';
import { randomCnn, randomInput } from '../reference/models';
import { relErr } from '../reference/net';

/** A loop that sums batches of ones: after k units the state is k. */
function sumLoop(extra: Partial<Parameters<typeof runBatches<tf.Tensor, tf.Tensor, tf.Tensor>>[0]> = {}) {
  return runBatches<tf.Tensor, tf.Tensor, tf.Tensor>({
    where: 'test', total: 10, batchSize: 4, initial: tf.scalar(0),
    evaluate: (start, end) => tf.scalar(end - start),
    fold: (s, b) => tf.add(s, b),
    finish: (s) => tf.clone(s),
    ...extra,
  });
}

describe('the batched-evaluation loop', () => {
  beforeAll(() => setBackend('cpu'));

  test('chunks, progress, partial results (disposed after the callback), the final result owned by the caller', async () => {
    const before = tf.memory().numTensors;
    const progress: number[][] = [];
    const partials: number[][] = [];
    const held: tf.Tensor[] = [];
    const out = await sumLoop({
      onProgress: (d, t) => progress.push([d, t]),
      onPartial: async (p, d, t) => {
        held.push(p);
        partials.push([(await p.data())[0], d, t]);
      },
    });
    expect(progress).toEqual([[4, 10], [8, 10], [10, 10]]);
    expect(partials).toEqual([[4, 4, 10], [8, 8, 10], [10, 10, 10]]);
    expect(held.every((p) => p.isDisposed)).toBe(true);
    expect((await out.data())[0]).toBe(10);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('stops on the signal, or on the ambient (kernel) signal when none is given, and on errors, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    const err = await sumLoop({ signal: stop.signal, onProgress: (d) => d === 4 && stop.abort('enough') }).catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.message).toBe('test: cancelled (enough)');
    const ambient = new AbortController();
    setAmbientSignal(ambient.signal);
    try {
      ambient.abort();
      expect(await sumLoop().catch((e) => e.name)).toBe('AbortError');
    } finally {
      setAmbientSignal(undefined);
    }
    const boom = await sumLoop({ evaluate: (s) => { if (s === 8) throw new Error('boom'); return tf.scalar(1); } }).catch((e) => e.message);
    expect(boom).toBe('boom');
    const late = await sumLoop({ onPartial: (_, d) => { if (d === 8) throw new Error('late'); } }).catch((e) => e.message);
    expect(late).toBe('late');
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The rows of item `i` of a batch result. */
async function item(t: tf.Tensor, i: number): Promise<Float32Array> {
  const size = t.size / t.shape[0];
  return (await t.data() as Float32Array).slice(i * size, (i + 1) * size);
}

describe.each(['cpu', 'wasm'] as const)('partial results on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  /**
   * Every looping method works item by item: with a batch ending where item 0 ends, that partial result
   * has item 0 complete and item 1 still 0; the last partial result is the result.
   */
  async function checkItemByItem(run: (onPartial: (p: tf.Tensor, d: number, t: number) => Promise<void>) => Promise<tf.Tensor>, firstItemDone: number) {
    const before = tf.memory().numTensors;
    const kept: { done: number; total: number; p: tf.Tensor }[] = [];
    const out = await run(async (p, done, total) => {
      kept.push({ done, total, p: tf.clone(p) });
    });
    const at = kept.find((k) => k.done === firstItemDone);
    expect(at).toBeDefined();
    expect(relErr(await item(at!.p, 0), await item(out, 0))).toBeLessThan(1e-5);
    expect(Array.from(await item(at!.p, 1)).every((v) => v === 0)).toBe(true);
    const last = kept[kept.length - 1];
    expect(last.done).toBe(last.total);
    expect(relErr(await last.p.data(), await out.data())).toBeLessThan(1e-6);
    tf.dispose([out, ...kept.map((k) => k.p)]);
    expect(tf.memory().numTensors).toBe(before);
  }

  test('Integrated Gradients: the integral over the points done so far', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 2, 1);
    await checkItemByItem((onPartial) => integratedGradients(model, x, { steps: 6, batchSize: 3, onPartial }), 6);
    tf.dispose(x);
    model.dispose();
  });

  test('occlusion: the mean drop over the windows done so far', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 5);
    // 11×11, window 3, stride 2: 25 windows per item.
    await checkItemByItem((onPartial) => occlusion(model, x, { window: 3, stride: 2, batchSize: 5, onPartial }), 25);
    tf.dispose(x);
    model.dispose();
  });

  test('Score-CAM: the map from the channels scored so far', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 5);
    // Layer c3 has 6 channels.
    await checkItemByItem((onPartial) => scoreCam(model, x, { batchSize: 3, onPartial }), 6);
    tf.dispose(x);
    model.dispose();
  });

  test('SmoothGrad: the aggregate over the samples done so far equals SmoothGrad with that many samples', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 2, 1);
    for (const [method, type] of [['vanillaGradient', 'varGrad'], ['integratedGradients', 'smoothGrad']] as const) {
      const kept: tf.Tensor[] = [];
      const out = await smoothGrad(model, x, { method, type, samples: 4, seed: 5, batchSize: 4, methodOptions: { steps: 3 }, onPartial: (p) => void kept.push(tf.clone(p)) });
      expect(kept.length).toBe(method === 'vanillaGradient' ? 2 : 4);
      const two = await smoothGrad(model, x, { method, type, samples: method === 'vanillaGradient' ? 2 : 1, seed: 5, methodOptions: { steps: 3 } });
      expect(relErr(await kept[0].data(), await two.data())).toBeLessThan(1e-5);
      expect(relErr(await kept[kept.length - 1].data(), await out.data())).toBeLessThan(1e-6);
      tf.dispose([out, two, ...kept]);
    }
    tf.dispose(x);
    model.dispose();
  });
});

describe('occlusion as context / plan / run', () => {
  beforeAll(() => setBackend('wasm'));

  test('a context keeps the target and the clean score across plans; the evaluator can be swapped', async () => {
    const model = randomCnn('stridedAvgSame', 3);
    const x = randomInput(model, 2, 2);
    let calls = 0;
    const counted = (v: tf.Tensor4D) => {
      calls++;
      return model.predict(v) as tf.Tensor;
    };
    const before = tf.memory().numTensors;
    const context = await occlusionContext(counted, x, { target: [1, 3] });
    const afterContext = calls;
    const clean = tf.tidy(() => tf.sum(tf.mul(model.predict(x) as tf.Tensor, tf.oneHot([1, 3], 5)), 1));
    expect(await context.clean.data()).toEqual(await clean.data());
    clean.dispose();
    for (const window of [3, [4, 2]] as const) {
      calls = 0;
      const plan = await planOcclusion(context, { window: window as number | [number, number] });
      const map = await runOcclusion(context, plan, { batchSize: 64 });
      expect(calls).toBe(Math.ceil(plan.total / 64)); // no forward pass for the target or the clean score
      const direct = await occlusion((v: tf.Tensor4D) => model.predict(v) as tf.Tensor, x, { window: window as number | [number, number], target: [1, 3] });
      expect(relErr(await map.data(), await direct.data())).toBeLessThan(1e-5);
      // An evaluator of our own: twice the drops gives twice the map.
      const doubled: OcclusionEvaluator = (c, p, s, e) => tf.tidy(() => tf.mul(evaluateDrops(c, p, s, e) as tf.Tensor1D, 2) as tf.Tensor1D);
      const twice = await runOcclusion(context, plan, { evaluator: doubled });
      const expected = tf.mul(direct, 2);
      expect(relErr(await twice.data(), await expected.data())).toBeLessThan(1e-5);
      tf.dispose([map, direct, twice, expected]);
      plan.dispose();
    }
    expect(afterContext).toBe(2);
    context.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    model.dispose();
  });
});
