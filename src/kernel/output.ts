/**
 * Output routing: every cell and comm handler runs inside a request context (./context, invisible on
 * user objects) that holds the request that caused it; stdout/stderr writes, displays and comm messages are parented to that request, including
 * those from timers and promises the code started. Output with no context goes to the latest execute
 * request, as ipykernel does. Stream text is buffered briefly and sent as one `stream` message.
 */
import { setDisplaySink, type DisplayOptions, type MimeBundle } from '../display';
import { KernelError } from './api';
import { HiddenContext } from './context';
import type { PublishFn } from './transport';
import type { Header, JSONObject, JSONValue, Message } from './wire';

/** What code running for a request knows about it. */
export interface RequestContext {
  msg: Message;
  signal: AbortSignal;
  allowStdin: boolean;
}

export type StreamName = 'stdout' | 'stderr';

/** Base64 for binary values of a mime bundle (image/png given as bytes), JSON-safe data otherwise. */
export function bundleToJSON(bundle: MimeBundle): JSONObject {
  const out: JSONObject = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (value instanceof Uint8Array) out[mime] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    else if (value !== undefined) out[mime] = value as JSONValue;
  }
  return out;
}

export class OutputRouter {
  private readonly contexts = new HiddenContext<RequestContext>();
  private lastExecute: Message | null = null;
  private pending: { parent: Message; name: StreamName; text: string } | null = null;
  private flushScheduled = false;
  private restore: (() => void) | null = null;

  /**
   * @param publishRaw sends on iopub (the transport's publish)
   * @param fallback where stream text goes when no request could own it (the process's real streams)
   */
  constructor(
    private readonly publishRaw: PublishFn,
    private readonly fallback: (name: StreamName, text: string) => void,
  ) {}

  /** Runs `fn` (and everything it starts) with `ctx` as the request its output belongs to. */
  run<R>(ctx: RequestContext, fn: () => R): R {
    return this.contexts.run(ctx, fn);
  }

  /** The request context of the code running now, if any. */
  context(): RequestContext | undefined {
    return this.contexts.get();
  }

  /** Marks `msg` as the latest execute request, the parent of output that no context claims. */
  setLastExecute(msg: Message): void {
    this.lastExecute = msg;
  }

  /** The request that output produced now belongs to. */
  parent(): Message | null {
    return this.context()?.msg ?? this.lastExecute;
  }

  /** Publishes on iopub, after the stream text buffered so far (to keep the order). */
  publish(msgType: string, content: unknown, parent: Message | null = this.parent(), metadata: JSONObject = {}, buffers: Buffer[] = []): Header {
    this.flush();
    return this.publishRaw(msgType, content, parent, metadata, buffers);
  }

  /** Stream text, sent as `stream` messages (consecutive writes to one stream of one request as one). */
  write(name: StreamName, text: string): void {
    const parent = this.parent();
    if (!parent) {
      this.fallback(name, text);
      return;
    }
    if (this.pending && (this.pending.parent !== parent || this.pending.name !== name)) this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { parent, name, text };
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends buffered stream text now. */
  flush(): void {
    this.flushScheduled = false;
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.publishRaw('stream', { name: p.name, text: p.text }, p.parent);
  }

  /** `display_data`, or with `{displayId, update: true}` `update_display_data`, for the current request. */
  display(bundle: MimeBundle, options: DisplayOptions): void {
    if (options.update && !options.displayId) throw new KernelError('display', 'update: true needs a displayId');
    const transient: JSONObject = options.displayId ? { display_id: options.displayId } : {};
    this.publish(options.update ? 'update_display_data' : 'display_data', { data: bundleToJSON(bundle), metadata: (options.metadata ?? {}) as JSONObject, transient });
  }

  clearOutput(wait: boolean): void {
    this.publish('clear_output', { wait });
  }

  /**
   * Routes the process's output here: process.stdout/stderr writes, the library's display sink, and
   * tslab.display.* (in notebooks written for tslab), which writes through a module-level hook of tslab.
   */
  install(): void {
    if (this.restore) return;
    const { stdout, stderr } = process;
    const [writeOut, writeErr] = [stdout.write, stderr.write];
    stdout.write = this.streamWriter('stdout') as typeof stdout.write;
    stderr.write = this.streamWriter('stderr') as typeof stderr.write;
    setDisplaySink({ display: (bundle, options) => this.display(bundle, options), clearOutput: (wait) => this.clearOutput(wait) });
    const tslabJupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
    tslabJupyter.lastWriteDisplayData = (data: JSONObject, update: boolean) =>
      this.publish(update ? 'update_display_data' : 'display_data', {
        data: (data.data ?? {}) as JSONValue,
        metadata: (data.metadata ?? {}) as JSONValue,
        transient: (data.transient ?? {}) as JSONValue,
      });
    this.restore = () => {
      stdout.write = writeOut;
      stderr.write = writeErr;
      setDisplaySink(null);
      tslabJupyter.lastWriteDisplayData = null;
    };
  }

  /** Sends what is buffered and undoes `install`. */
  uninstall(): void {
    this.flush();
    this.restore?.();
    this.restore = null;
  }

  /** Stops following contexts into new async work (the kernel is closing). */
  close(): void {
    this.uninstall();
    this.contexts.disable();
  }

  private streamWriter(name: StreamName) {
    return (chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8');
      this.write(name, text);
      const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      if (done) process.nextTick(done);
      return true;
    };
  }
}
