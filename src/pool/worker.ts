/**
 * A pool worker (see ./index): loads the package (its kernels and gradient rules), switches to the main
 * thread's backend, keeps the models it is sent (until the main thread drops one), and evaluates batches of a job with the job's evaluator
 * (../methods/evaluators). Messages are handled one at a time, in order.
 */
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setBackend, type BackendName } from '../backend';
import { WorkerError } from '../errors';
import { EVALUATORS } from '../methods/evaluators';
import type { Model } from '../models/types';
import { decode, encode, encodeError, transferables } from './codec';

interface Job {
  evaluate(start: number, end: number): unknown;
  tensors: tf.Tensor[];
  modelKey: number;
}

const models = new Map<number, Model>();
const jobs = new Map<number, Job>();
/** Models the main thread dropped while a job still used them: disposed when the last such job ends. */
const dropped = new Set<number>();

function disposeModelIfUnused(key: number): void {
  if ([...jobs.values()].some((j) => j.modelKey === key)) return;
  dropped.delete(key);
  (models.get(key) as { dispose?: () => void } | undefined)?.dispose?.();
  models.delete(key);
}
const backendReady = setBackend((workerData as { backend: string }).backend as BackendName);

async function handle(m: Record<string, any>): Promise<unknown> {
  await backendReady;
  switch (m.type) {
    case 'job': {
      if (m.model) {
        const io = tf.io.fromMemory(m.model.artifacts);
        try {
          models.set(m.modelKey, m.model.kind === 'layers' ? await tf.loadLayersModel(io) : await tf.loadGraphModel(io));
        } catch (e) {
          // A custom layer registered only in the caller's thread, for instance.
          throw new WorkerError(m.where, `a worker could not load the model (${(e as Error).message.split('\n')[0]}); pass workers: 1 to run in process`);
        }
      }
      const model = models.get(m.modelKey);
      if (!model) throw new Error(`pool worker: internal: model ${m.modelKey} was never sent`);
      const tensors = decode(m.tensors) as Record<string, tf.Tensor>;
      jobs.set(m.job, { evaluate: EVALUATORS[m.kind](model, tensors, m.params), tensors: Object.values(tensors), modelKey: m.modelKey });
      return null;
    }
    case 'eval': {
      const job = jobs.get(m.job);
      if (!job) throw new Error(`pool worker: internal: job ${m.job} is unknown`);
      const batch = await job.evaluate(m.start, m.end);
      try {
        return encode(batch);
      } finally {
        tf.dispose(batch as tf.TensorContainer);
      }
    }
    case 'end': {
      const job = jobs.get(m.job);
      jobs.delete(m.job);
      if (job) tf.dispose(job.tensors);
      if (job && dropped.has(job.modelKey)) disposeModelIfUnused(job.modelKey);
      return undefined;
    }
    case 'stats':
      // For tests: what a worker holds.
      return { models: models.size, jobs: jobs.size, tensors: tf.memory().numTensors };
    case 'drop': {
      // The main thread keeps a few models per worker (see MODELS_PER_WORKER in ./index).
      dropped.add(m.modelKey);
      disposeModelIfUnused(m.modelKey);
      return undefined;
    }
  }
  return undefined;
}

let chain: Promise<unknown> = Promise.resolve();
parentPort?.on('message', (m: Record<string, any>) => {
  chain = chain.then(async () => {
    try {
      const value = await handle(m);
      if (m.type !== 'end' && m.type !== 'drop') parentPort?.postMessage({ type: 'result', id: m.id, value }, transferables(value));
    } catch (e) {
      parentPort?.postMessage({ type: 'error', id: m.id, error: encodeError(e) });
    }
  });
});
