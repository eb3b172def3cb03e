/**
 * The batched-evaluation loop of every method that loops (SmoothGrad, Integrated Gradients, Score-CAM,
 * occlusion): it splits `total` units of work into batches, stops between batches when the signal fires
 * (the caller's `signal`, else the kernel's, see ../signal), yields to the event loop so that interrupts,
 * timers and comm messages get through, reports progress, hands partial results to `onPartial`, and
 * disposes what the batches made when the work ends, however it ends. A batch too large for the backend
 * (BatchTooLargeError) is evaluated again in halves, and later batches keep the smaller size.
 *
 * A method says three things: how to evaluate units [start, end) (`evaluate`, returning tensors the loop
 * then owns), how batch results combine (`fold`: the running state, which the loop owns too), and how
 * the state becomes the result (`finish`, called with the number of units done: for a partial result
 * after each batch when the caller asked for one, and once at the end).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchTooLargeError, CancelledError } from '../errors';
import { decide, PoolJob, pooledSource, Workers } from '../pool';
import { effectiveSignal } from '../signal';

/** Throws if the signal fired, then yields to the event loop so that interrupts and timers get through. */
export async function checkpoint(where: string, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw new CancelledError(where, signal.reason);
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new CancelledError(where, signal.reason);
}

/**
 * One loop's parts. Batch results `B`, the state `S` and results `R` are tensors or arrays and objects
 * holding tensors (and nulls).
 */
export interface BatchLoop<B, S, R> {
  /** The public function's name, for errors. */
  where: string;
  /** Units of work (occluded images, path points, noisy samples, masked inputs). */
  total: number;
  /** Units per batch. */
  batchSize: number;
  /** The caller's signal; without one, the kernel's ambient signal. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The result so far after each batch (the loop disposes it when the callback settles). */
  onPartial?: (partial: R, done: number, total: number) => void | Promise<void>;
  /** The state before any batch (owned by the loop from then on). */
  initial: S;
  /** Evaluates units [start, end); the result belongs to the loop (it passes it to `fold`). */
  evaluate(start: number, end: number): B | Promise<B>;
  /**
   * Combines the state with a batch result into the next state. The loop disposes the tensors of the
   * old state and of the batch that the new state does not hold, so `fold` may return either of them or
   * a new tensor; it must not dispose them itself.
   */
  fold(state: S, batch: B, start: number, end: number): S;
  /**
   * How workers can evaluate the batches instead (../pool): the evaluator's name and inputs, and the
   * caller's `workers` option. When the pool is used, batches go to workers (same ranges, so the same
   * results) and `evaluate` is not called; without it, or when the pool cannot serve, `evaluate` runs here.
   */
  pool?: { job: PoolJob; workers?: Workers | null };
  /** The result from the state after `done` units; the caller (or for a partial, the loop) owns it. Must not dispose the state. */
  finish(state: S, done: number): R;
}

/** Runs the loop; resolves to `finish(state, total)`, owned by the caller. */
export async function runBatches<B, S, R>(loop: BatchLoop<B, S, R>): Promise<R> {
  const { where, total } = loop;
  const signal = effectiveSignal(loop.signal);
  let state = loop.initial;
  let size = loop.batchSize;
  const threads = loop.pool ? decide(where, loop.pool.job, loop.pool.workers, Math.ceil(total / size)) : 0;
  let source: Awaited<ReturnType<typeof pooledSource>> | null = null;
  let ok = false;
  try {
    if (threads > 0 && loop.pool) source = await pooledSource(where, loop.pool.job, threads, total, size, signal);
    for (let start = 0, end = 0; start < total; start = end) {
      await checkpoint(where, signal);
      end = Math.min(total, start + size);
      let batch: B;
      try {
        batch = source ? ((await source.next(start, end)) as B) : await loop.evaluate(start, end);
      } catch (e) {
        // Too large for the backend (webgpu's largest buffer binding): the same units in halves.
        if (source || !(e instanceof BatchTooLargeError) || end - start === 1) throw e;
        size = Math.ceil((end - start) / 2);
        end = start;
        continue;
      }
      let next: S;
      try {
        next = loop.fold(state, batch, start, end);
      } catch (e) {
        tf.dispose(tensorsOf(batch));
        throw e;
      }
      const kept = new Set(tensorsOf(next).map((t) => t.id));
      for (const t of [...tensorsOf(state), ...tensorsOf(batch)]) if (!kept.has(t.id)) t.dispose();
      state = next;
      loop.onProgress?.(end, total);
      if (loop.onPartial) {
        const partial = loop.finish(state, end);
        try {
          await loop.onPartial(partial, end, total);
        } finally {
          tf.dispose(tensorsOf(partial));
        }
      }
    }
    const result = loop.finish(state, total);
    ok = true;
    return result;
  } finally {
    source?.close(ok);
    tf.dispose(tensorsOf(state));
  }
}

/** The tensors in a value, arrays and plain objects walked. */
function tensorsOf(c: unknown): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(c);
  return out;
}
