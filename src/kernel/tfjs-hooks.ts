/**
 * TensorFlow.js in the kernel: the best backend is active before the first cell runs (so that
 * `import * as tf from "@tensorflow/tfjs"` in a cell does not start on the slow pure-JS one), training
 * works on wasm (the kernel it lacks for conv filter gradients is registered), a tensor as a cell's
 * result shows its values, and tfjs's engine is repaired after an interrupt. Registered by the kernel
 * process at start (see ./server's runKernel); the protocol layer knows nothing of tfjs. Display and
 * repair read tfjs only through duck types and `globalThis._tfengine`; tfjs is loaded by `prepare`.
 */
import { types } from 'util';
import type { KernelHooks } from './hooks';

interface TensorLike {
  shape: number[];
  dtype: string;
  isDisposed: boolean;
  toString(verbose?: boolean): string;
}

function isTensorLike(x: unknown): x is TensorLike {
  const t = x as Partial<TensorLike> | null;
  return (
    typeof x === 'object' && t !== null && !types.isProxy(x) && Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.isDisposed === 'boolean' &&
    typeof (x as { dataSync?: unknown }).dataSync === 'function'
  );
}

/**
 * A tensor's values are read (asynchronously) before it is shown: on the webgpu backend in Node, `toString`
 * cannot read them synchronously from the GPU; afterwards they are cached beside the GPU buffer.
 */
async function readTensor(value: unknown): Promise<void> {
  if (isTensorLike(value) && !value.isDisposed) await (value as unknown as { data(): Promise<unknown> }).data();
}

/** A tensor shows its values (tf's own `toString`, as `t.print()` does) rather than its internal fields. */
function tensorBundle(value: unknown): { 'text/plain': string } | undefined {
  if (!isTensorLike(value)) return undefined;
  return { 'text/plain': value.isDisposed ? `Tensor (disposed) shape=[${value.shape.join(',')}] dtype=${value.dtype}` : value.toString() };
}

/**
 * After a synchronous cell was stopped by SIGINT, tfjs's engine may be left inside a scope or kernel
 * (its `finally` blocks never ran): gradients would stop recording. Closing those scopes restores it.
 * Uses tfjs-core's engine state (`globalThis._tfengine`), guarded so that another version only skips.
 */
export function repairTfEngine(log: (text: string) => void): void {
  const engine = (globalThis as { _tfengine?: unknown })._tfengine as
    | { state?: { scopeStack?: unknown[]; kernelDepth?: number; gradientDepth?: number; activeTape?: unknown }; endScope?: () => void }
    | undefined;
  const state = engine?.state;
  if (!engine || !state || !Array.isArray(state.scopeStack) || typeof engine.endScope !== 'function') return;
  try {
    while (state.scopeStack.length > 0) engine.endScope();
    state.kernelDepth = 0;
    state.gradientDepth = 0;
    state.activeTape = null;
  } catch (e) {
    log(`could not reset the tfjs engine after an interrupt: ${String(e)}`);
  }
}

/**
 * Chooses the backend as the library does on first use (src/backend, or
 * SALIENCY_BACKEND), and registers the wasm training kernels (for any backend: a later switch to wasm
 * finds them too).
 */
async function prepareTfjs(log: (text: string) => void): Promise<void> {
  const { ready } = require('../backend') as typeof import('../backend');
  const { registerWasmTrainingKernels } = require('../models/train-kernels') as typeof import('../models/train-kernels');
  registerWasmTrainingKernels();
  const info = await ready();
  log(`tfjs backend: ${info.name}${info.skipped.length > 0 ? ` (skipped: ${info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`);
}

export const tfjsHooks: KernelHooks = {
  name: 'tfjs',
  prepare: prepareTfjs,
  beforeResult: readTensor,
  resultBundle: tensorBundle,
  afterInterrupt: repairTfEngine,
};
