/**
 * What every method shares: input checks, target selection, and the options every method takes (target,
 * preSoftmax) and every looping method takes (batchSize, onProgress, onPartial, signal). Option checks
 * live in ./options, the batch loop in ./loop.
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { CancelledError, InputError, TargetError } from '../errors';
import { resolveModel } from '../models/adapter';
import { forwardScores, ForwardOptions } from '../models/forward';
import { isLayersModel, modelKind } from '../models/layers';
import type { Model } from '../models/types';
import type { Workers } from '../pool';
import { checkFinite, optionSpecs } from './options';

/**
 * What score to explain, per batch item:
 * - a number: that output index (a class, or a regression output) for every item;
 * - an array of numbers: one index per batch item;
 * - a function from the model's output `[N,K]` (pre-softmax unless `preSoftmax: false`) to one score per
 *   item `[N]`, built from tfjs ops (it is differentiated).
 * Default: the argmax class of each item; a model with one output needs none.
 */
export type Target = number | number[] | ((output: tf.Tensor2D) => tf.Tensor);

export interface CommonOptions extends ForwardOptions {
  /** What score to explain; see Target. Default (also `null`): the argmax class, or the only output. */
  target?: Target | null;
}

/** The defaults of the options every attribution method takes. */
export const COMMON_DEFAULTS = { target: null as Target | null, preSoftmax: true };

export const COMMON_OPTIONS = optionSpecs(COMMON_DEFAULTS, {
  target: { type: 'target', description: 'which score to explain', defaultText: 'the argmax class (a regression: its one output)' },
  preSoftmax: { type: 'boolean', description: 'explain the scores before a final softmax' },
});

/**
 * Options of methods that loop over batches of model evaluations (see ./loop). `R` is what a partial
 * result is for the method (each method's doc comment says what it holds).
 */
export interface LoopOptions<R = unknown> {
  /** Model inputs per forward/backward pass. Bounds memory at any sample count. */
  batchSize?: number;
  /** Called after each batch with (done, total) units of work. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called after each batch with the result of the work done so far. The tensors in `partial` belong to
   * the loop and are disposed when the callback returns (or its promise settles): clone what you keep.
   * The loop waits for a returned promise before the next batch.
   */
  onPartial?: (partial: R, done: number, total: number) => void | Promise<void>;
  /** Stops the work between batches with a CancelledError (name "AbortError"). Default: the kernel's. */
  signal?: AbortSignal;
  /** Worker threads for the batches: a number or 'auto' (see ../pool). Default (also `null`): SALIENCY_WORKERS, else 'auto'. */
  workers?: Workers | null;
}

/**
 * The `workers` option of every looping method, declared once: spread `POOL_DEFAULTS` into a method's
 * defaults and `POOL_TYPES` into its types. See ../pool for when workers are used.
 */
export const POOL_DEFAULTS = { workers: null as Workers | null };
export const POOL_TYPES = {
  workers: { type: 'workers', description: 'worker threads that evaluate the batches (1: in process); see “Worker threads”', defaultText: "`SALIENCY_WORKERS`, else `'auto'` (the cores)" },
} as const;

/** The spec of `batchSize`; each looping method gives its own default. */
export const BATCH_SIZE = { type: 'integer', min: 1, description: 'model inputs per forward/backward pass' } as const;

/** Checks the input batch: a float32 tf.Tensor of rank 4, finite, fitting the model's input shape (LayersModel or GraphModel). */
export async function checkInput(where: string, model: Model | null, x: unknown): Promise<tf.Tensor4D> {
  await ready();
  if (!(x instanceof tf.Tensor)) {
    throw new InputError(where, `input must be a tf.Tensor of shape [N,H,W,C], got ${x === null ? 'null' : typeof x}`);
  }
  if (x.isDisposed) throw new InputError(where, 'input tensor is disposed');
  if (x.rank !== 4) throw new InputError(where, `input must be rank 4 [N,H,W,C], but got rank ${x.rank} (shape [${x.shape}])`);
  if (x.dtype !== 'float32') throw new InputError(where, `input must be float32, but got ${x.dtype} (cast it with tf.cast(x, 'float32'))`);
  if (x.shape.some((d: number) => d === 0)) throw new InputError(where, `input has an empty dimension: shape [${x.shape}]`);
  const expected = model !== null && typeof model !== 'function' ? resolveModel(where, model).inputShape() : null;
  if (expected) {
    const bad = expected.length !== 4 || expected.slice(1).some((d, i) => d !== null && d !== x.shape[i + 1]);
    if (bad) throw new InputError(where, `input shape [${x.shape}] does not fit the model's input [${expected.map((d) => d ?? 'null')}]`);
  }
  await checkFinite(where, 'input', x);
  return x as tf.Tensor4D;
}

/** Checks a model argument (kind only). */
export function checkModel(where: string, model: unknown): Model {
  modelKind(where, model);
  return model as Model;
}

/** A function from scores `[N,K]` to the explained score per item `[N]`; sync, differentiable. */
export type ScoreSelector = (scores: tf.Tensor2D) => tf.Tensor1D;

function checkIndex(where: string, i: unknown, k: number, what: string): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TargetError(where, `${what} must be an integer, got ${JSON.stringify(i)}`);
  if (i < 0 || i >= k) throw new TargetError(where, `${what} ${i} is out of range; the model has ${k} output${k === 1 ? '' : 's'} (valid: 0 to ${k - 1})`);
  return i;
}

/** Picks one score per row with a one-hot mask (no gather: its gradient needs kernels wasm lacks). */
export function pickColumns(scores: tf.Tensor2D, indices: tf.Tensor1D | number[]): tf.Tensor1D {
  // One output (a regression): the only column (tf.oneHot rejects a depth of 1).
  if (scores.shape[1] === 1) return scores.reshape([scores.shape[0]]) as tf.Tensor1D;
  const idx = Array.isArray(indices) ? tf.tensor1d(indices, 'int32') : indices;
  return tf.sum(tf.mul(scores, tf.oneHot(idx, scores.shape[1])), 1) as tf.Tensor1D;
}

/**
 * The selector for a target, checked now, outside any tf.grad (an error thrown inside tf.grad would leak
 * the tensors tfjs saved for the backward pass): index targets against `k`, the number of outputs, which
 * they need; a function target is probed on zeros `[n,k]` when `k` is given. The default picks the argmax of the scores it sees, so use
 * `resolveTarget` when the same items are evaluated at perturbed inputs.
 */
export function selector(where: string, target: Target | null | undefined, n: number, k?: number): ScoreSelector {
  if (typeof target === 'function') {
    const checked = (s: tf.Tensor): tf.Tensor1D => {
      if (!(s instanceof tf.Tensor) || s.size !== n || (s.rank !== 1 && !(s.rank === 2 && s.shape[1] === 1))) {
        throw new TargetError(where, `the target function must return one score per batch item (shape [${n}]), got ${s instanceof tf.Tensor ? `shape [${s.shape}]` : typeof s}`);
      }
      return s.reshape([n]) as tf.Tensor1D;
    };
    if (k !== undefined) {
      tf.tidy(() => {
        checked(target(tf.zeros([n, k]) as tf.Tensor2D));
      });
    }
    return (scores) => checked(target(scores));
  }
  if (target === undefined || target === null) {
    return (scores) => (scores.shape[1] === 1 ? (scores.reshape([n]) as tf.Tensor1D) : pickColumns(scores, tf.argMax(scores, 1) as tf.Tensor1D));
  }
  if (k === undefined) throw new Error(`${where}: internal: an index target is checked against the output count, which was not given`);
  const idx = targetIndices(where, target, n, k);
  return (scores) => pickColumns(scores, idx);
}

/** One checked output index per item for a number or array target. */
function targetIndices(where: string, target: number | number[], n: number, k: number): number[] {
  if (Array.isArray(target)) {
    if (target.length !== n) throw new TargetError(where, `target has ${target.length} entries for a batch of ${n}; give one per item or a single number`);
    return target.map((t, i) => checkIndex(where, t, k, `target[${i}]`));
  }
  return new Array(n).fill(checkIndex(where, target, k, 'target'));
}

/** Number of scores per item: from a LayersModel's static output shape, else from one forward pass. */
export function outputCount(where: string, model: Model, x: tf.Tensor4D, options: ForwardOptions): number {
  if (isLayersModel(model)) {
    const shape = model.outputs[0].shape.slice(1);
    if (shape.every((d) => d !== null)) return shape.reduce((a: number, b) => a * (b as number), 1);
  }
  return tf.tidy(() => forwardScores(where, model, x.slice([0, 0, 0, 0], [1, -1, -1, -1]), options).shape[1]);
}

/** A selector whose target is fully checked before any gradient is taken. */
export function checkedSelector(where: string, model: Model, x: tf.Tensor4D, options: CommonOptions): ScoreSelector {
  const needsK = options.target !== undefined && options.target !== null;
  return selector(where, options.target, x.shape[0], needsK ? outputCount(where, model, x, options) : undefined);
}

/**
 * Fixes the target of each item from one forward pass on the clean input: index targets are checked, the
 * default becomes the argmax class. Returns one index per item, or the function target unchanged.
 */
export async function resolveTarget(
  where: string, model: Model, x: tf.Tensor4D, target: Target | null | undefined, options: ForwardOptions,
): Promise<number[] | ((output: tf.Tensor2D) => tf.Tensor)> {
  const n = x.shape[0];
  const scores = tf.tidy(() => forwardScores(where, model, x, options));
  if (typeof target === 'function') {
    try {
      tf.tidy(() => {
        selector(where, target, n)(scores);
      });
    } finally {
      scores.dispose();
    }
    return target;
  }
  try {
    const k = scores.shape[1];
    if (target === undefined || target === null) {
      if (k === 1) return new Array(n).fill(0);
      const am = tf.argMax(scores, 1);
      const idx = Array.from(await am.data());
      am.dispose();
      return idx;
    }
    return targetIndices(where, target, n, k);
  } finally {
    scores.dispose();
  }
}

/** The selector for rows that repeat items: `rows[r]` is the item index of row r. */
export function rowSelector(where: string, resolved: number[] | ((output: tf.Tensor2D) => tf.Tensor), rows: number[]): ScoreSelector {
  if (typeof resolved === 'function') return selector(where, resolved, rows.length);
  return (scores) => pickColumns(scores, rows.map((r) => resolved[r]));
}

/** Throws if the signal fired, then yields to the event loop so that interrupts and timers get through. */
export async function checkpoint(where: string, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw new CancelledError(where, signal.reason);
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new CancelledError(where, signal.reason);
}
