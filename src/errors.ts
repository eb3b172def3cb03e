/**
 * Typed errors raised at the public boundary. Every message starts with the name of the function that
 * raised it, then says what was wrong (the bad value) and what would be valid.
 *
 *   gradCam: unknown layer "conv9"; layers: conv1, conv2, pool1, dense
 */

// The base class and the two commonest kinds are defined in the browser-safe viz core (which may import
// nothing outside itself) and re-exported here, so that both sides throw and test the same classes.
import { SaliencyError } from './viz/core/errors';
export { SaliencyError, InputError, OptionError } from './viz/core/errors';

/** A layer name that the model does not have. `choices` lists the names it does have. */
export class UnknownLayerError extends SaliencyError {
  readonly layer: string;
  readonly choices: string[];
  constructor(where: string, layer: string, choices: string[]) {
    super(where, `unknown layer ${JSON.stringify(layer)}; layers: ${listChoices(choices)}`);
    this.layer = layer;
    this.choices = choices;
  }
}

/** A layer that exists but cannot serve the method (for instance a CAM layer whose output is not 4-D). */
export class LayerError extends SaliencyError {}

/** What a GradientError reports: the op, where the model uses it, the backend, and the whole message. */
export interface GradientFailure {
  /** The op (GraphModel op or tfjs kernel) whose gradient cannot be taken. */
  op: string;
  /** The model's nodes (GraphModel) or layers (LayersModel) that use it; empty when not known. */
  nodes: string[];
  /** The tfjs backend in use. */
  backend: string;
  /** The message after "where: ". */
  detail: string;
}

/**
 * A gradient that cannot be taken through this model on this backend: an op without a gradient rule or a
 * kernel the backend lacks. Methods without gradients (occlusion, Score-CAM) still work.
 */
export class GradientError extends LayerError {
  readonly op: string;
  readonly nodes: string[];
  readonly backend: string;
  constructor(where: string, failure: GradientFailure) {
    super(where, failure.detail);
    this.op = failure.op;
    this.nodes = failure.nodes;
    this.backend = failure.backend;
  }
}

/** A target (class index, output index or target function) that does not fit the model's output. */
export class TargetError extends SaliencyError {}

/** A model the library cannot work with (unsupported kind, missing weights, wrong format). */
export class ModelError extends SaliencyError {}

/** The requested TensorFlow.js backend is unknown or cannot be loaded. */
export class BackendError extends SaliencyError {}

/**
 * One batch needs a tensor larger than the backend can hold (webgpu: the device's largest storage
 * binding). The batched-evaluation loop retries such a batch in halves; elsewhere it says to use a
 * smaller batchSize or input.
 */
export class BatchTooLargeError extends BackendError {}

/** A pool worker (see ../pool) failed or died; the message says what it was doing. The next call starts new workers. */
export class WorkerError extends SaliencyError {}

/** Work stopped because its AbortSignal fired. `name` is "AbortError", as for fetch. */
export class CancelledError extends SaliencyError {
  constructor(where: string, reason?: unknown) {
    super(where, `cancelled${reason instanceof Error ? ` (${reason.message})` : typeof reason === 'string' ? ` (${reason})` : ''}`);
    this.name = 'AbortError';
  }
}

/** "a, b, c" for short lists, "a, b, ... (N in all)" for long ones, so messages stay readable. */
export function listChoices(choices: readonly string[], max = 40): string {
  if (choices.length <= max) return choices.join(', ');
  return `${choices.slice(0, max).join(', ')}, ... (${choices.length} in all)`;
}

/** Throws CancelledError when the signal has fired. Call between units of work. */
export function throwIfAborted(where: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError(where, signal.reason);
}

/**
 * A short layer name that matches more than one node of a GraphModel (for instance the same Keras layer
 * name inside two nested models). `candidates` lists the full node names it matches; any of them works.
 */
export class AmbiguousLayerError extends LayerError {
  readonly layer: string;
  readonly candidates: string[];
  constructor(where: string, layer: string, candidates: string[]) {
    super(where, `layer name ${JSON.stringify(layer)} is ambiguous: it matches ${candidates.length} nodes; name one of: ${listChoices(candidates)}`);
    this.layer = layer;
    this.candidates = candidates;
  }
}
