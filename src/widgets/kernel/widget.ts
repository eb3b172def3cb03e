/**
 * The kernel side of a Jupyter widget, speaking widget protocol 2.1.0 over the kernel's comm API:
 *
 * - `comm_open` on target `jupyter.widget` with `{state, buffer_paths}`, `metadata.version` "2.1.0" and
 *   the binary attributes as buffers;
 * - `update` both ways (kernel → front end for new numbers; front end → kernel for control values, each
 *   checked by the widget, then confirmed with `echo_update`, or refused with an `update` that restores
 *   the kept value and a `message` shown in the widget);
 * - `request_state` answered with a full `update` replying to it, and the control comm
 *   (`jupyter.widget.control`, `request_states`) answered with `update_states`: a reloaded page restores
 *   every live widget from the kernel;
 * - `custom` messages both ways;
 * - display as `application/vnd.jupyter.widget-view+json` with an `image/png` of the current view and a
 *   `text/plain` line, so renderers without the front end still show a picture;
 * - `close()` closes the comm and disposes every tensor the widget holds.
 *
 * Outside a kernel (plain Node) a widget has no comm: it keeps its state and shows as PNG and text.
 *
 * Long work started from a comm message runs detached from the handler (`startTask`): the kernel's
 * shell queue is serial, so a handler that awaited a whole computation would hold back the idle status,
 * the front end's update throttle, a cancel and every new slider value until it ended.
 */
import type { Comm, CommMessage, JSONObject, JSONValue } from '../../kernel/api';
import { currentSignal, getKernelHost } from '../../kernel/api';
import { DISPLAY, type MimeBundle } from '../../display';
import { SaliencyError } from '../../errors';
import type { RGBAImage } from '../../viz/image';
import { fromBytes, isWireArray, type WireArray } from '../arrays';
import { BASE_MODULE, BASE_MODULE_VERSION, CONTROL_TARGET, MODULE_NAME, MODULE_SEMVER, PROTOCOL_VERSION, WIDGET_TARGET } from '../module';

/** A bad widget option or control value (from a cell or from the browser). */
export class WidgetError extends SaliencyError {}

/** A state value: JSON, or a binary array. */
export type StateValue = JSONValue | WireArray | undefined;
export type WidgetState = Record<string, StateValue>;

/** Something a widget keeps alive and frees on close (a tf.Tensor). */
export interface Disposable {
  dispose(): void;
}

/**
 * Checks one control value sent by the front end and returns the value to keep. Throwing refuses it:
 * the widget keeps its old value and shows the error's message.
 */
export type ControlCheck = (value: unknown) => StateValue;

export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/** Live widgets by model id, shared by every copy of this module in the process (one kernel). */
const REGISTRY_KEY = Symbol.for('saliency-lab.widgets');
function registry(): Map<string, Widget> {
  const g = globalThis as Record<symbol, unknown>;
  let m = g[REGISTRY_KEY] as Map<string, Widget> | undefined;
  if (!m) g[REGISTRY_KEY] = m = new Map();
  return m;
}

const CONTROL_KEY = Symbol.for('saliency-lab.widgets.control');

/** Splits binary arrays out of a state: JSON state, buffer paths and buffers (in path order). */
export function splitBuffers(state: WidgetState): { state: JSONObject; paths: string[][]; buffers: ArrayBufferView[] } {
  const json: JSONObject = {};
  const paths: string[][] = [];
  const buffers: ArrayBufferView[] = [];
  for (const [k, v] of Object.entries(state)) {
    if (v === undefined) continue;
    if (isWireArray(v)) {
      json[k] = { dtype: v.dtype, shape: v.shape };
      paths.push([k, 'data']);
      buffers.push(v.data);
    } else json[k] = v;
  }
  return { state: json, paths, buffers };
}

/** The inverse of splitBuffers for received messages: arrays rebuilt where buffers were put. */
function joinBuffers(state: JSONObject, paths: unknown, buffers: Uint8Array[]): WidgetState {
  const out: WidgetState = { ...state };
  if (!Array.isArray(paths)) return out;
  paths.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || p[1] !== 'data' || typeof p[0] !== 'string' || !buffers[i]) return;
    const meta = state[p[0]] as { dtype?: unknown; shape?: unknown } | undefined;
    out[p[0]] = fromBytes(p[0], meta?.dtype, meta?.shape, buffers[i]);
  });
  return out;
}

function hexId(): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Registers the control comm target once per kernel: `request_states` gets every live widget's state. */
function ensureControlTarget(): void {
  const host = getKernelHost();
  const g = globalThis as Record<symbol, unknown>;
  if (!host || g[CONTROL_KEY] === host) return;
  g[CONTROL_KEY] = host;
  host.registerCommTarget(CONTROL_TARGET, (comm) => {
    comm.onMsg((msg) => {
      if (msg.data.method !== 'request_states') return;
      const states: JSONObject = {};
      const paths: string[][] = [];
      const buffers: ArrayBufferView[] = [];
      for (const [id, w] of registry()) {
        const s = splitBuffers(w.fullState());
        states[id] = { model_name: s.state._model_name as string, model_module: MODULE_NAME, model_module_version: MODULE_SEMVER, state: s.state };
        s.paths.forEach((p, i) => { paths.push([id, 'state', ...p]); buffers.push(s.buffers[i]); });
      }
      comm.send({ method: 'update_states', states, buffer_paths: paths }, { buffers });
    });
  });
}

export interface WidgetOptions {
  /** `_model_name` and `_view_name`: the front end's exports. */
  modelName: string;
  viewName: string;
}

export abstract class Widget {
  readonly modelId: string;
  private readonly names: WidgetOptions;
  private readonly state: WidgetState;
  private readonly checks = new Map<string, ControlCheck>();
  private readonly changeHandlers: ((keys: string[]) => void)[] = [];
  private readonly customHandlers: ((content: JSONObject, buffers: Uint8Array[]) => void)[] = [];
  private readonly held: Disposable[] = [];
  private readonly tasks = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private comm: Comm | undefined;
  private isClosed = false;

  protected constructor(names: WidgetOptions, state: WidgetState) {
    this.names = names;
    this.state = { message: '', ...state };
    const host = getKernelHost();
    if (!host) {
      this.modelId = hexId();
      return;
    }
    ensureControlTarget();
    const s = splitBuffers(this.fullState());
    this.comm = host.openComm(WIDGET_TARGET, { state: s.state, buffer_paths: s.paths }, { buffers: s.buffers, metadata: { version: PROTOCOL_VERSION } });
    this.modelId = this.comm.commId;
    registry().set(this.modelId, this);
    this.comm.onMsg((msg) => this.handleMessage(msg));
    this.comm.onClose(() => this.release());
  }

  /** Whether the widget talks to a front end (it was made inside a kernel). */
  get live(): boolean {
    return this.comm !== undefined && !this.isClosed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The state with the base attributes the front end's model expects. */
  fullState(): WidgetState {
    return {
      _model_module: MODULE_NAME, _model_module_version: MODULE_SEMVER, _model_name: this.names.modelName,
      _view_module: MODULE_NAME, _view_module_version: MODULE_SEMVER, _view_name: this.names.viewName,
      _view_count: null, _dom_classes: [], tabbable: null, tooltip: null,
      ...this.state,
    };
  }

  get(key: string): StateValue {
    return this.state[key];
  }

  /** Sets attributes here and in every front end (one `update` message). */
  set(changes: WidgetState): void {
    Object.assign(this.state, changes);
    this.sendState('update', changes);
  }

  /** A message shown in the widget ('' hides it). */
  showMessage(text: string): void {
    this.set({ message: text });
  }

  /** Sends a custom message (`method: "custom"`) with optional binary buffers. */
  sendCustom(content: JSONObject, buffers: ArrayBufferView[] = []): void {
    if (this.live) (this.comm as Comm).send({ method: 'custom', content }, { buffers });
  }

  /** Declares a control the front end may change, with the check its values go through. */
  protected control(key: string, check: ControlCheck): void {
    this.checks.set(key, check);
  }

  /** Runs after the front end changed controls (after their checks), with the keys that changed. */
  protected onChange(handler: (keys: string[]) => void): void {
    this.changeHandlers.push(handler);
  }

  protected onCustom(handler: (content: JSONObject, buffers: Uint8Array[]) => void): void {
    this.customHandlers.push(handler);
  }

  /** Keeps `x` alive until the widget closes; returns it. */
  protected hold<T extends Disposable>(x: T): T {
    this.held.push(x);
    return x;
  }

  /**
   * Runs `work` detached from the comm handler that asked for it, under a signal that fires when a task
   * of the same name starts, on `cancelTask`, on close, and when the kernel is interrupted. Returns the
   * task's promise (which never rejects: an error other than a cancel is shown in the widget).
   */
  protected startTask(name: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.cancelTask(name);
    const controller = new AbortController();
    const kernelSignal = currentSignal();
    // An interrupt of the kernel stops the task too.
    const signal = controller.signal;
    if (kernelSignal) {
      if (kernelSignal.aborted) controller.abort(kernelSignal.reason);
      else kernelSignal.addEventListener('abort', () => controller.abort(kernelSignal.reason), { once: true });
    }
    const entry = { controller, done: Promise.resolve() };
    entry.done = (async () => {
      // Leave the handler first, so the kernel answers the message that started this before it runs.
      await new Promise<void>((r) => setImmediate(r));
      try {
        if (!signal.aborted) await work(signal);
      } catch (e) {
        if (!(signal.aborted || (e as Error)?.name === 'AbortError') && !this.isClosed) this.showMessage(`${(e as Error)?.message ?? String(e)}`);
      } finally {
        if (this.tasks.get(name) === entry) this.tasks.delete(name);
      }
    })();
    this.tasks.set(name, entry);
    return entry.done;
  }

  /** Stops a running task (it ends at its next check of the signal). */
  protected cancelTask(name: string): boolean {
    const t = this.tasks.get(name);
    if (!t) return false;
    t.controller.abort(new WidgetError(this.names.modelName, `${name} cancelled`));
    return true;
  }

  /** Resolves when no task runs (for tests, benchmarks and cells that want the result). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks.values()].map((t) => t.done));
  }

  /** The picture of the current view, for the display bundle's image/png. */
  abstract picture(): RGBAImage;

  /** The display bundle's text/plain line. */
  abstract describe(): string;

  [DISPLAY](): MimeBundle {
    const bundle: MimeBundle = {
      'image/png': Buffer.from(this.picture().toPNG()).toString('base64'),
      'text/plain': this.describe(),
    };
    if (this.live) bundle[WIDGET_VIEW_MIME] = { model_id: this.modelId, version_major: 2, version_minor: 1 };
    return bundle;
  }

  /** Closes the comm (the front end removes its views) and frees every tensor. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    if (this.comm && !this.comm.closed) this.comm.close();
    this.release();
  }

  private release(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const name of [...this.tasks.keys()]) this.cancelTask(name);
    registry().delete(this.modelId);
    for (const h of this.held.splice(0)) h.dispose();
  }

  private sendState(method: 'update' | 'echo_update', changes: WidgetState): void {
    if (!this.live) return;
    const s = splitBuffers(changes);
    if (Object.keys(s.state).length === 0) return;
    (this.comm as Comm).send({ method, state: s.state, buffer_paths: s.paths }, { buffers: s.buffers });
  }

  private handleMessage(msg: CommMessage): void {
    const data = msg.data;
    switch (data.method) {
      case 'request_state':
        this.sendState('update', this.fullState());
        return;
      case 'update': {
        const state = typeof data.state === 'object' && data.state !== null && !Array.isArray(data.state) ? (data.state as JSONObject) : {};
        this.applyFrontendState(joinBuffers(state, data.buffer_paths, msg.buffers));
        return;
      }
      case 'custom': {
        const content = typeof data.content === 'object' && data.content !== null && !Array.isArray(data.content) ? (data.content as JSONObject) : {};
        for (const h of this.customHandlers) h(content, msg.buffers);
        return;
      }
      default:
        this.showMessage(`unknown widget message method ${JSON.stringify(data.method)}`);
    }
  }

  private applyFrontendState(incoming: WidgetState): void {
    const accepted: WidgetState = {};
    const refused: WidgetState = {};
    const errors: string[] = [];
    for (const [key, value] of Object.entries(incoming)) {
      const check = this.checks.get(key);
      if (!check) {
        // Attributes the front end syncs by itself (e.g. _view_count) are kept; others are refused.
        if (key.startsWith('_') || key === 'layout' || key === 'tabbable' || key === 'tooltip' || key === 'message') accepted[key] = value as StateValue;
        else { refused[key] = this.state[key]; errors.push(`${key} is not a control of this widget`); }
        continue;
      }
      try {
        accepted[key] = check(value);
      } catch (e) {
        refused[key] = this.state[key];
        errors.push((e as Error).message);
      }
    }
    const changed = Object.keys(accepted).filter((k) => !k.startsWith('_'));
    Object.assign(this.state, accepted);
    this.sendState('echo_update', accepted);
    if (errors.length > 0) this.set({ ...refused, message: errors.join('; ') });
    else if (changed.length > 0 && this.state.message) this.set({ message: '' });
    if (changed.length > 0) for (const h of this.changeHandlers) h(changed);
  }
}

/** Checks for control values: each returns the value to keep or throws a WidgetError naming it. */
export const checks = {
  choice(where: string, name: string, choices: readonly string[]): ControlCheck {
    return (v) => {
      if (typeof v !== 'string' || !choices.includes(v)) throw new WidgetError(where, `invalid ${name} ${JSON.stringify(v)}; choices: ${choices.join(', ')}`);
      return v;
    };
  },
  number(where: string, name: string, min: number, max: number): ControlCheck {
    return (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new WidgetError(where, `${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return v;
    };
  },
  integer(where: string, name: string, min: number, max: number, detail = ''): ControlCheck {
    return (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new WidgetError(where, `${name} must be an integer from ${min} to ${max}${detail}, got ${JSON.stringify(v)}`);
      }
      return v;
    };
  },
  boolean(where: string, name: string): ControlCheck {
    return (v) => {
      if (typeof v !== 'boolean') throw new WidgetError(where, `${name} must be true or false, got ${JSON.stringify(v)}`);
      return v;
    };
  },
};
