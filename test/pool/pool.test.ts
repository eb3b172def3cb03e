/**
 * The worker pool (src/pool): batched methods spread over worker threads give the in-process result bit
 * for bit (same backend, same batches); progress and partial results still arrive; cancel and worker
 * errors stop the workers and the next call starts new ones; no tensors are left behind. Needs dist/
 * (`npm run build`): the workers run the built worker script.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { backendInfo, setBackend } from '../../src/backend';
import { CancelledError, OptionError, TargetError, WorkerError } from '../../src/errors';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { occlusion } from '../../src/methods/occlusion';
import { scoreCam } from '../../src/methods/score-cam';
import { smoothGrad } from '../../src/methods/smooth-grad';
import { parseMethodOptions } from '../../src/methods/registry';
import { setAmbientSignal } from '../../src/signal';
import { disposePool, liveWorkers, MODELS_PER_WORKER, poolSize, resolveWorkers, workerStats } from '../../src/pool';
import { toGraphModel } from '../fixtures/graph-model';
import { randomCnn, randomInput } from '../reference/models';

const model = randomCnn('fusedGapSoftmax');
const x = randomInput(model, 2);

async function both(run: (workers: number) => Promise<tf.Tensor>): Promise<[Float32Array, Float32Array]> {
  const a = await run(1);
  const b = await run(2);
  const out: [Float32Array, Float32Array] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  tf.dispose([a, b]);
  return out;
}

describe.each(['wasm', 'cpu'] as const)('the worker pool on %s', (backend) => {
  beforeAll(() => setBackend(backend));
  afterAll(() => disposePool());

  const methods: [string, (workers: number) => Promise<tf.Tensor>][] = [
    ['smoothGrad', (workers) => smoothGrad(model, x, { samples: 6, batchSize: 2, seed: 3, workers })],
    ['smoothGrad of integratedGradients (once per sample)', (workers) => smoothGrad(model, x, { samples: 3, seed: 3, method: 'integratedGradients', methodOptions: { steps: 4 }, workers })],
    ['smoothGrad varGrad', (workers) => smoothGrad(model, x, { samples: 5, batchSize: 4, seed: 1, type: 'varGrad', workers })],
    ['integratedGradients', (workers) => integratedGradients(model, x, { steps: 10, batchSize: 3, workers })],
    ['scoreCam', (workers) => scoreCam(model, x, { batchSize: 3, workers })],
    ['occlusion', (workers) => occlusion(model, x, { window: 4, stride: 2, batchSize: 5, algorithm: 'full', workers })],
  ];

  test.each(methods)('%s: pooled equals in-process bit for bit, and leaves no tensors', async (_, run) => {
    await run(1); // warm the model (first-call caches) before counting tensors
    const before = tf.memory().numTensors;
    const [a, b] = await both(run);
    expect(backendInfo()?.pool).toMatchObject({ workers: 2 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(tf.memory().numTensors).toBe(before);
    expect(poolSize()).toBe(2);
  });

  test('a model whose weights changed (setWeights) after a pooled run is sent again: the pooled result follows the new weights', async () => {
    const m = randomCnn('fusedGapSoftmax');
    const run = (workers: number) => smoothGrad(m, x, { samples: 4, batchSize: 2, seed: 5, workers });
    const [first] = await both(run);
    const scaled = m.getWeights().map((w) => tf.mul(w, 0.5));
    m.setWeights(scaled);
    tf.dispose(scaled);
    try {
      const [a, b] = await both(run);
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(a)).not.toEqual(Array.from(first));
    } finally {
      m.dispose();
    }
  });

  test('a worker keeps at most MODELS_PER_WORKER models: new weights after each run do not pile up copies', async () => {
    const m = randomCnn('fusedGapSoftmax');
    for (let i = 0; i < MODELS_PER_WORKER + 3; i++) {
      // New weights make a new model for the workers (as each step of a randomisation cascade does).
      const next = m.getWeights().map((w) => tf.mul(w, 0.9));
      m.setWeights(next);
      tf.dispose(next);
      (await integratedGradients(m, x, { steps: 4, batchSize: 2, workers: 2 })).dispose();
    }
    const stats = await workerStats();
    expect(stats.length).toBe(2);
    for (const s of stats) {
      expect(s.models).toBeLessThanOrEqual(MODELS_PER_WORKER);
      expect(s.jobs).toBe(0);
    }
    m.dispose();
  });

  test('a GraphModel is sent as its artifacts: pooled occlusion and Integrated Gradients equal in-process', async () => {
    const graph = await toGraphModel(model);
    const [a, b] = await both((workers) => occlusion(graph, x, { window: 4, stride: 3, batchSize: 4, workers }));
    expect(backendInfo()?.pool).toMatchObject({ workers: 2 });
    expect(Array.from(b)).toEqual(Array.from(a));
    const [c, d] = await both((workers) => integratedGradients(graph, x, { steps: 6, batchSize: 3, workers }));
    expect(Array.from(d)).toEqual(Array.from(c));
  });

  test('progress and partial results arrive in order from workers', async () => {
    const progress: number[] = [];
    const partialSums: number[] = [];
    const out = await integratedGradients(model, x, {
      steps: 8, batchSize: 4, workers: 2,
      onProgress: (done) => progress.push(done),
      onPartial: async (p) => {
        partialSums.push((await p.sum().data())[0]);
      },
    });
    expect(progress).toEqual([4, 8, 12, 16]);
    expect(partialSums).toHaveLength(4);
    out.dispose();
  });

  test('cancel stops the run, terminates the workers, and the next call works', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const run = occlusion(model, x, { window: 2, stride: 1, batchSize: 4, algorithm: 'full', workers: 2, signal: ac.signal, onProgress: (done) => done >= 8 && ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(poolSize()).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const again = await occlusion(model, x, { window: 4, stride: 2, batchSize: 5, algorithm: 'full', workers: 2 });
    expect(poolSize()).toBe(2);
    again.dispose();
  });

  test('the ambient signal (what a kernel interrupt fires) stops a pooled run too', async () => {
    const ac = new AbortController();
    setAmbientSignal(ac.signal);
    try {
      const run = occlusion(model, x, { window: 2, stride: 1, batchSize: 4, algorithm: 'full', workers: 2, onProgress: (done) => done >= 8 && ac.abort('interrupted') });
      await expect(run).rejects.toThrow(/occlusion: cancelled \(interrupted\)/);
    } finally {
      setAmbientSignal(undefined);
    }
    expect(poolSize()).toBe(0);
  });

  test('an abort while workers compute rejects at once (not after the batch)', async () => {
    const ac = new AbortController();
    const run = smoothGrad(model, x, { samples: 40, batchSize: 2, seed: 1, method: 'integratedGradients', methodOptions: { steps: 64 }, workers: 2, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(poolSize()).toBe(0);
  });

  test('an error in a worker comes back as its typed error; the workers are terminated, and the next call works', async () => {
    const before = tf.memory().numTensors;
    // A methodOptions value that only the wrapped method checks, inside the worker.
    const run = smoothGrad(model, x, { samples: 4, seed: 1, method: 'integratedGradients', methodOptions: { steps: -1 }, workers: 2 });
    await expect(run).rejects.toBeInstanceOf(OptionError);
    await expect(smoothGrad(model, x, { samples: 4, seed: 1, method: 'integratedGradients', methodOptions: { steps: -1 }, workers: 2 })).rejects.toThrow(/integratedGradients: steps must be an integer from 1/);
    expect(poolSize()).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const ok = await integratedGradients(model, x, { steps: 6, batchSize: 3, workers: 2 });
    ok.dispose();
  });

  test('a worker that dies is a WorkerError naming what it was doing', async () => {
    const bad = randomCnn('fusedGapSoftmax', 2);
    await integratedGradients(bad, x, { steps: 4, batchSize: 2, workers: 2 }).then((t) => t.dispose());
    // Kill the pool's workers from outside while a run is under way, as a crash would.
    const run = integratedGradients(bad, x, { steps: 200, batchSize: 2, workers: 2, onProgress: (d) => d === 4 && killWorkers() });
    await expect(run).rejects.toBeInstanceOf(WorkerError);
    await expect(integratedGradients(bad, x, { steps: 200, batchSize: 2, workers: 2, onProgress: (d) => d === 4 && killWorkers() })).rejects.toThrow(/a worker exited with code 1 while evaluating integratedGradients units \[\d+, \d+\) of 400/);
    await expect(integratedGradients(bad, x, { steps: 200, batchSize: 2, workers: 2, onProgress: (d) => d === 4 && killWorkers() })).rejects.toThrow(/^integratedGradients: a worker exited/);
    expect(poolSize()).toBe(0);
    const ok = await integratedGradients(bad, x, { steps: 4, batchSize: 2, workers: 2 });
    ok.dispose();
  });

  test('a model a worker cannot load (a custom layer registered only here) is a WorkerError saying what to do', async () => {
    const custom = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [11, 11, 3] }), new Scale(), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    await expect(integratedGradients(custom, x, { steps: 4, batchSize: 2, workers: 2 })).rejects.toThrow(
      /integratedGradients: a worker could not load the model \(.*PoolTestScale.*\); pass workers: 1 to run in process/,
    );
    expect(poolSize()).toBe(0);
    const ok = await integratedGradients(custom, x, { steps: 4, batchSize: 2, workers: 1 });
    ok.dispose();
  });

  test('a target function runs in process, with the reason in backendInfo()', async () => {
    const target = (s: tf.Tensor2D) => s.slice([0, 1], [-1, 1]).reshape([-1]);
    const [a, b] = await both((workers) => integratedGradients(model, x, { steps: 6, batchSize: 3, target, workers }));
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(backendInfo()?.pool).toEqual({ where: 'integratedGradients', workers: 1, inProcess: 'a target function cannot be sent to a worker' });
  });

  test('an out-of-range target is checked before any worker starts', async () => {
    await expect(integratedGradients(model, x, { target: 99, workers: 2 })).rejects.toBeInstanceOf(TargetError);
  });
});

describe('the workers option', () => {
  test("'auto', numbers, SALIENCY_WORKERS, and bad values as OptionErrors", async () => {
    expect(resolveWorkers('t', 3)).toBe(3);
    expect(resolveWorkers('t', 'auto')).toBe(require('os').availableParallelism());
    expect(resolveWorkers('t', null, { SALIENCY_WORKERS: '2' })).toBe(2);
    expect(resolveWorkers('t', undefined, {})).toBe(require('os').availableParallelism());
    expect(() => resolveWorkers('t', null, { SALIENCY_WORKERS: 'many' })).toThrow("t: SALIENCY_WORKERS must be 'auto' or an integer from 1 to 256, got \"many\"");
    await expect(integratedGradients(model, x, { workers: 0 })).rejects.toThrow("integratedGradients: workers must be 'auto' or an integer from 1 to 256, got 0");
    expect(parseMethodOptions('occlusion', { workers: 'auto' })).toEqual({ workers: 'auto' });
    expect(parseMethodOptions('scoreCam', { workers: '3' })).toEqual({ workers: 3 });
    expect(() => parseMethodOptions('smoothGrad', { workers: 'x' })).toThrow(OptionError);
  });
});

/** A custom layer registered in this thread only. */
class Scale extends tf.layers.Layer {
  static className = 'PoolTestScale';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2);
  }
}
tf.serialization.registerClass(Scale);

/** Terminates every live pool worker from outside, as a crash would. */
function killWorkers(): void {
  for (const w of liveWorkers()) void w.terminate();
}

test('a script that used the pool exits by itself once its work is done (an idle pool keeps no process alive)', () => {
  const root = path.resolve(__dirname, '..', '..');
  const script = `
    const sl = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
    const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs'))});
    (async () => {
      await sl.setBackend('cpu');
      const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
      const r = await sl.smoothGrad(m, tf.randomUniform([2, 8, 8, 1]), { samples: 4, batchSize: 2, workers: 2 });
      console.log('pooled ' + sl.poolSize() + ' ' + r.shape.join('x'));
    })();`;
  const env = { ...process.env };
  delete env.SALIENCY_WORKERS;
  const out = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 90_000 });
  expect(out.signal).toBeNull(); // not killed by the timeout: it exited by itself
  expect(out.stdout).toContain('pooled 2 2x8x8x1');
  expect(out.status).toBe(0);
}, 120_000);
