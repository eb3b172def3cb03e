/**
 * Worker threads for the batched methods (SmoothGrad, Integrated Gradients, Score-CAM, occlusion) when no
 * native backend threads by itself. Each worker runs its own tfjs on the same backend (wasm or cpu) and
 * keeps a copy of each model it was sent (the model's artifacts, `model.save` to memory, sent once per
 * model and worker). The batched-evaluation loop (../methods/loop) hands each worker whole batches, the
 * same batches an in-process run evaluates, through the same evaluator (../methods/evaluators, by name),
 * and folds the results in order: a pooled result equals the in-process one bit for bit.
 *
 * Why worker threads rather than the wasm backend's own threaded build: in Node that build's workers are
 * `blob:` URLs, which Node's worker_threads cannot start, and it hangs after a kernel interrupt. A pool of
 * whole batches needs no change to tfjs and parallelizes every op of a batch, not only the kernels that
 * XNNPACK threads.
 *
 * `workers`: a number, or `'auto'` (the default, also from `SALIENCY_WORKERS`): as many threads as
 * `os.availableParallelism()`, since the calling thread only waits and folds while they work. 1 runs in
 * process. The pool is not used on a native or GPU backend (node, node-gpu, webgpu: they thread by
 * themselves), for a plain-function model, a target function or a function SmoothGrad wraps (a function
 * cannot be sent to a worker), or for a run of a single batch; `backendInfo().pool` says why.
 *
 * Workers stay alive between calls (unref'd: they keep no process alive); a cancel, a worker error or a
 * worker that dies terminates them all, and the next call starts new ones. `disposePool()` ends them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { CancelledError, OptionError, WorkerError } from '../errors';
import { isGraphModel, isLayersModel } from '../models/kind';
import type { Model } from '../models/types';
import { decode, decodeError, EncodedError, encode } from './codec';

/** The `workers` option: a thread count, or 'auto'. */
export type Workers = 'auto' | number;

/** What the last batched run decided: threads used, and why none when it ran in process. */
export interface PoolDecision {
  where: string;
  workers: number;
  /** Why the run was not spread over workers (absent when it was). */
  inProcess?: string;
}

let lastDecision: PoolDecision | null = null;

/** The last batched run's decision (also `backendInfo().pool`). */
export function poolStatus(): PoolDecision | null {
  return lastDecision;
}

/** The thread count a `workers` value asks for: the option, else SALIENCY_WORKERS, else 'auto'. */
export function resolveWorkers(where: string, option: Workers | null | undefined, env: NodeJS.ProcessEnv = process.env): number {
  let v: unknown = option ?? env.SALIENCY_WORKERS?.trim() ?? 'auto';
  const from = option != null ? 'workers' : 'SALIENCY_WORKERS';
  if (v === '' || v === 'auto') return Math.max(1, os.availableParallelism());
  if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 256) {
    throw new OptionError(where, `${from} must be 'auto' or an integer from 1 to 256, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** One pooled run's description: the evaluator's name and what it is built from (see ../methods/evaluators). */
export interface PoolJob {
  /** The evaluator's name in EVALUATORS. */
  kind: string;
  model: Model;
  /** Tensors the evaluator reads (the caller's: not disposed here). */
  tensors: Record<string, tf.Tensor>;
  /** Everything else it needs, as structured-clone-able values. */
  params: Record<string, unknown>;
  /** Why this run cannot be sent to workers (a function target, ...), if it cannot. */
  inProcess?: string;
}

const POOLED_BACKENDS = ['wasm', 'cpu'];

/** Models a worker keeps between runs (the most recently used); older ones are dropped. */
export const MODELS_PER_WORKER = 3;

/** The worker script: beside this module when built, in dist/ when the sources run (ts-jest). */
function workerScript(): string {
  return __filename.endsWith('.ts') ? path.resolve(__dirname, '..', '..', 'dist', 'pool', 'worker.js') : path.join(__dirname, 'worker.js');
}

/** Decides whether a run of `batches` batches goes to workers; records the decision. Returns the thread count, or 0. */
export function decide(where: string, job: PoolJob, option: Workers | null | undefined, batches: number): number {
  const n = resolveWorkers(where, option);
  const backend = tf.getBackend();
  const reason =
    n <= 1 ? 'workers is 1'
    : !POOLED_BACKENDS.includes(backend) ? `the ${backend} backend threads by itself`
    : !(isLayersModel(job.model) || isGraphModel(job.model)) ? 'a plain-function model cannot be sent to a worker'
    : job.inProcess ?? (batches < 2 ? 'a single batch' : !fs.existsSync(workerScript()) ? `the worker script ${workerScript()} is missing (npm run build)` : undefined);
  lastDecision = reason ? { where, workers: 1, inProcess: reason } : { where, workers: Math.min(n, batches) };
  return reason ? 0 : Math.min(n, batches);
}

// ---- models as artifacts -----------------------------------------------------------------------------

type Artifacts = { kind: 'layers' | 'graph'; artifacts: tf.io.ModelArtifacts } | { error: string };
const modelKeys = new WeakMap<object, { key: number; artifacts: Promise<Artifacts>; weights: object[] }>();
let nextKey = 1;

/**
 * What identifies a LayersModel's current weight values: each weight variable's data id, which
 * `setWeights`/`assign` replace (a model whose weights changed since it was sent is sent again, under a
 * new key). A GraphModel's weights are constants: none.
 */
function weightIds(model: Model): object[] {
  if (!isLayersModel(model)) return [];
  return (model as tf.LayersModel).weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);
}

/**
 * The model's key and artifacts (`model.save` to memory, once per model and set of weight values), or
 * why it cannot be saved.
 */
function modelEntry(model: Model) {
  let e = modelKeys.get(model as object);
  const weights = weightIds(model);
  if (e && (e.weights.length !== weights.length || e.weights.some((id, i) => id !== weights[i]))) e = undefined;
  if (!e) {
    const kind = isLayersModel(model) ? 'layers' : 'graph';
    const artifacts = (async (): Promise<Artifacts> => {
      let captured: tf.io.ModelArtifacts | undefined;
      try {
        await (model as tf.LayersModel).save(tf.io.withSaveHandler(async (a) => {
          captured = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }));
      } catch (err) {
        return { error: `the model cannot be serialized for a worker (${(err as Error).message})` };
      }
      return { kind, artifacts: captured as tf.io.ModelArtifacts };
    })();
    e = { key: nextKey++, artifacts, weights };
    modelKeys.set(model as object, e);
  }
  return e;
}

// ---- the pool ------------------------------------------------------------------------------------------

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  /** The method, and what the worker was asked to do (for a WorkerError). */
  where: string;
  what: string;
}

class PoolWorker {
  readonly worker: Worker;
  readonly models = new Set<number>();
  readonly pending = new Map<number, Pending>();
  dead: Error | null = null;
  constructor(backend: string, onDeath: () => void) {
    this.worker = new Worker(workerScript(), { workerData: { backend }, env: { ...process.env, SALIENCY_WORKERS: '1' } });
    this.worker.on('message', (m: { type: string; id: number; value?: unknown; error?: EncodedError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(decodeError(m.error as EncodedError));
    });
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = new Error(why);
      for (const p of this.pending.values()) p.reject(new WorkerError(p.where, `a worker ${why} while ${p.what}`));
      this.pending.clear();
      onDeath();
    };
    this.worker.on('error', (e) => die(`failed (${e.message})`));
    this.worker.on('exit', (code) => die(`exited with code ${code}`));
    // Referenced only while it owes a reply: an idle pool keeps no process alive. Last, because adding a
    // 'message' listener refs the worker's port again.
    this.worker.unref();
  }
  request(where: string, msg: Record<string, unknown>, what: string, id: number): Promise<unknown> {
    if (this.dead) return Promise.reject(new WorkerError(where, `a worker ${this.dead.message} before ${what}`));
    if (this.pending.size === 0) this.worker.ref();
    const p = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, where, what }));
    this.worker.postMessage({ ...msg, id });
    return p;
  }
}

class Pool {
  readonly workers: PoolWorker[];
  broken = false;
  constructor(readonly backend: string, size: number) {
    this.workers = Array.from({ length: size }, () => new PoolWorker(backend, () => { this.broken = true; }));
  }
  terminate(): void {
    this.broken = true;
    for (const w of this.workers) void w.worker.terminate();
  }
}

let pool: Pool | null = null;
let nextId = 1;

function poolOf(size: number): Pool {
  const backend = tf.getBackend();
  if (pool && (pool.broken || pool.backend !== backend || pool.workers.length < size)) disposePool();
  if (!pool) pool = new Pool(backend, size);
  return pool;
}

/** Terminates the pool's workers (a later pooled run starts new ones). */
export function disposePool(): void {
  pool?.terminate();
  pool = null;
}

/** The pool's worker threads (for tests that kill one, as a crash would). Not part of the public API. */
export function liveWorkers(): Worker[] {
  return pool && !pool.broken ? pool.workers.map((w) => w.worker) : [];
}

/** What each live worker holds: models, jobs and tensors (for tests). Not part of the public API. */
export function workerStats(): Promise<{ models: number; jobs: number; tensors: number }[]> {
  if (!pool || pool.broken) return Promise.resolve([]);
  return Promise.all(pool.workers.map((w) => w.request('workerStats', { type: 'stats' }, 'reporting', nextId++) as Promise<{ models: number; jobs: number; tensors: number }>));
}

/** The number of live pool workers (0 when there is no pool). */
export function poolSize(): number {
  return pool && !pool.broken ? pool.workers.length : 0;
}

/**
 * Batch results in order from `size` workers: `next(start, end)` returns batch [start, end) of the fixed
 * ranges (batches of `batchSize`), decoded into tensors the caller owns, and keeps up to two batches per
 * worker in flight. Rejects at once when `signal` fires. Null when the model cannot be saved for the
 * workers (the run then stays in process). `close(ok)` ends the job; after a cancel or an
 * error it terminates the workers.
 */
export async function pooledSource(where: string, job: PoolJob, size: number, total: number, batchSize: number, signal: AbortSignal | undefined) {
  const entry = modelEntry(job.model);
  const saved = await entry.artifacts;
  if ('error' in saved) {
    // Runs in process instead (say why).
    lastDecision = { where, workers: 1, inProcess: saved.error };
    return null;
  }
  const { kind: modelKind, artifacts } = saved;
  const p = poolOf(size);
  const workers = p.workers.slice(0, size);
  const jobId = nextId++;
  const tensors = encode(job.tensors);
  // Each worker gets the job (and the model, the first time) before its first batch.
  const started = workers.map((w) => {
    const model = w.models.has(entry.key) ? undefined : { kind: modelKind, artifacts };
    // Most recently used last; beyond MODELS_PER_WORKER the least recently used is dropped (a worker
    // disposes it once no job of its uses it). New weights are a new model (see modelEntry): a
    // randomisation cascade sends one per layer, and without this each worker would keep them all.
    w.models.delete(entry.key);
    w.models.add(entry.key);
    for (const old of [...w.models].slice(0, Math.max(0, w.models.size - MODELS_PER_WORKER))) {
      w.models.delete(old);
      w.worker.postMessage({ type: 'drop', modelKey: old });
    }
    const ready = w.request(where, { type: 'job', job: jobId, kind: job.kind, where, modelKey: entry.key, model, tensors, params: job.params }, `preparing ${where}`, nextId++);
    ready.catch(() => w.models.delete(entry.key));
    return ready;
  });
  const results: Promise<unknown>[] = [];
  const starts: number[] = [];
  for (let s = 0; s < total; s += batchSize) starts.push(s);
  // Each batch goes to the worker with the fewest batches in flight (the first such): a worker slowed
  // by another job, or by its collector, gets fewer batches instead of holding up the end of the run.
  const inFlight = workers.map(() => 0);
  const dispatch = (i: number) => {
    const k = inFlight.indexOf(Math.min(...inFlight));
    const w = workers[k];
    const s = starts[i], e = Math.min(total, s + batchSize);
    inFlight[k]++;
    const r = started[k].then(() => w.request(where, { type: 'eval', job: jobId, start: s, end: e }, `evaluating ${where} units [${s}, ${e}) of ${total}`, nextId++));
    r.then(() => inFlight[k]--, () => undefined);
    results[i] = r;
  };
  let dispatched = 0;
  const ahead = 2 * workers.length;
  return {
    async next(start: number, end: number): Promise<unknown> {
      const i = starts.indexOf(start);
      if (i < 0 || Math.min(total, start + batchSize) !== end) throw new Error(`${where}: internal: pooled batch [${start}, ${end}) is not one of the planned batches`);
      while (dispatched < Math.min(starts.length, i + ahead)) dispatch(dispatched++);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new CancelledError(where, signal?.reason));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined);
      try {
        return decode(await Promise.race([results[i], aborted]));
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
    close(ok: boolean): void {
      if (ok && !p.broken) for (const w of workers) w.worker.postMessage({ type: 'end', job: jobId });
      else if (pool === p) disposePool();
      else p.terminate();
    },
  };
}
