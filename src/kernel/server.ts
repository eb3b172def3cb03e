/**
 * The saliency-lab Jupyter kernel: messaging protocol 5.3 over zeromq (shell, control, iopub, stdin,
 * heartbeat), TypeScript through tslab's converter and executor, comms, display and interrupts.
 *
 * Output routing: every cell and comm handler runs inside an AsyncLocalStorage context that holds the
 * request that caused it; stdout/stderr writes, displays and comm messages are parented to that request,
 * including those from timers and promises the code started. Output with no context goes to the latest
 * execute request, as ipykernel does.
 */
import { AsyncLocalStorage } from 'async_hooks';
import { randomUUID } from 'crypto';
import fs from 'fs';
import path from 'path';
import { Worker } from 'worker_threads';
import type * as zmqTypes from 'zeromq';
import { CancelledError } from '../errors';
import { setAmbientSignal } from '../signal';
import { isDisplayable, setDisplaySink, toMimeBundle, type DisplayOptions, type MimeBundle } from '../display';
import { KernelError, setKernelHost, type Comm, type CommTargetHandler, type KernelHost, type OpenCommOptions } from './api';
import { CommManager, type CommTransport } from './comm';
import type { CellRunner } from './executor';
import { History, type HistoryQuery } from './history';
import { PACKAGE_ROOT } from './paths';
import { errorFromThrown, helpTarget, type CellError } from './report';
import { PROTOCOL_VERSION, Signer, WireError, decode, encode, newHeader, type Header, type JSONObject, type JSONValue, type Message } from './wire';

/** The heartbeat thread: a REP socket that sends back what it receives. */
const HEARTBEAT_WORKER = `
const { workerData, parentPort } = require('worker_threads');
const zmq = require(workerData.zeromq);
const sock = new zmq.Reply();
sock.linger = 0;
// Closing the socket here, not terminating the thread under it, lets zeromq shut down cleanly.
parentPort.on('message', () => { sock.close(); parentPort.close(); });
(async () => {
  await sock.bind(workerData.address);
  parentPort.postMessage('bound');
  for await (const frames of sock) await sock.send(frames);
})().catch((e) => { if (!sock.closed) parentPort.postMessage(String(e && e.message || e)); });
`;

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

interface RequestContext {
  msg: Message;
  signal: AbortSignal;
  allowStdin: boolean;
}

/** The cell being executed now. */
interface RunningCell {
  msg: Message;
  interrupted: boolean;
}

type Channel = 'shell' | 'control';

/** Serializes sends on one zeromq socket (a socket allows one send in flight). */
class Outbox {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly socket: { send(frames: Buffer[]): Promise<void> },
    private readonly log: (text: string) => void,
  ) {}
  send(frames: Buffer[]): void {
    this.chain = this.chain.then(() => this.socket.send(frames)).catch((e: unknown) => this.log(`send failed: ${String(e)}`));
  }
  drain(): Promise<void> {
    return this.chain;
  }
}

function readPackageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Base64 for binary values of a mime bundle (image/png given as bytes), JSON-safe data otherwise. */
function bundleToJSON(bundle: MimeBundle): JSONObject {
  const out: JSONObject = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (value instanceof Uint8Array) out[mime] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    else if (value !== undefined) out[mime] = value as JSONValue;
  }
  return out;
}

interface TensorLike {
  shape: number[];
  dtype: string;
  isDisposed: boolean;
  toString(verbose?: boolean): string;
}

function isTensorLike(x: unknown): x is TensorLike {
  const t = x as Partial<TensorLike> | null;
  return typeof x === 'object' && t !== null && Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.isDisposed === 'boolean' && typeof (x as { dataSync?: unknown }).dataSync === 'function';
}

/**
 * The bundle of a cell's result: the display contract's (src/display.ts), except that a tfjs tensor shows
 * its values (tf's own `toString`, as `t.print()` does) rather than its internal fields.
 */
function resultBundle(value: unknown): MimeBundle {
  if (isTensorLike(value) && !isDisplayable(value)) {
    return { 'text/plain': value.isDisposed ? `Tensor (disposed) shape=[${value.shape.join(',')}] dtype=${value.dtype}` : value.toString() };
  }
  return toMimeBundle(value);
}

/**
 * After a synchronous cell was stopped by SIGINT, tfjs's engine may be left inside a scope or kernel
 * (its `finally` blocks never ran): gradients would stop recording. Closing those scopes restores it.
 * Uses tfjs-core's engine state (`globalThis._tfengine`), guarded so that another version only skips.
 */
function repairTfEngine(log: (text: string) => void): void {
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

export class Kernel implements KernelHost, CommTransport {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly als = new AsyncLocalStorage<RequestContext>();
  private runnerInstance: CellRunner | null = null;
  private warmTimer: NodeJS.Timeout | null = null;
  private readonly history = new History();
  private readonly commManager: CommManager;
  private readonly writeOut = process.stdout.write.bind(process.stdout);
  private readonly writeErr = process.stderr.write.bind(process.stderr);

  private zmq!: typeof zmqTypes;
  private sockets!: { shell: zmqTypes.Router; control: zmqTypes.Router; stdin: zmqTypes.Router; iopub: zmqTypes.Publisher };
  private heartbeat: Worker | null = null;
  private out!: { shell: Outbox; control: Outbox; stdin: Outbox; iopub: Outbox };

  private executionCount = 0;
  private controller = new AbortController();
  private running: RunningCell | null = null;
  private lastExecute: Message | null = null;
  private readonly shellQueue: Message[] = [];
  private readonly aborting = new Set<Message>();
  private pumping = false;
  private pendingStream: { parent: Message; name: 'stdout' | 'stderr'; text: string } | null = null;
  private flushScheduled = false;
  private pendingInput: { resolve(value: string): void; reject(e: Error): void } | null = null;
  private closing = false;
  private resolveStopped!: (code: number) => void;
  /** Resolves with the exit code when the kernel has shut down. */
  readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly rootDir = process.cwd(),
  ) {
    this.signer = new Signer(conn.key ?? '', conn.signature_scheme ?? 'hmac-sha256');
    this.commManager = new CommManager(this);
  }

  /**
   * tslab's compiler, created on first use: creating its TypeScript program takes seconds, so the kernel
   * answers kernel_info first and creates it right after (see warmSoon), not before binding its sockets.
   */
  private get runner(): CellRunner {
    if (!this.runnerInstance) {
      const { CellRunner: Runner } = require('./executor') as typeof import('./executor');
      this.runnerInstance = new Runner(this.rootDir);
    }
    return this.runnerInstance;
  }

  /** Creates the compiler once the event loop is free (after the first reply), or after `ms` anyway. */
  private warmSoon(ms: number): void {
    if (this.warmTimer) clearTimeout(this.warmTimer);
    this.warmTimer = setTimeout(() => {
      if (!this.closing) this.runner.warm();
    }, ms);
  }

  /** Writes a line to the kernel's log (the process's real stderr, which Jupyter keeps in its log). */
  log(text: string): void {
    this.writeErr(`[saliency-lab kernel] ${text}\n`);
  }

  async start(): Promise<void> {
    this.zmq = await import('zeromq');
    const zmq = this.zmq;
    this.sockets = { shell: new zmq.Router(), control: new zmq.Router(), stdin: new zmq.Router(), iopub: new zmq.Publisher() };
    const s = this.sockets;
    for (const sock of Object.values(s)) sock.linger = 1000;
    const log = (t: string) => this.log(t);
    this.out = { shell: new Outbox(s.shell, log), control: new Outbox(s.control, log), stdin: new Outbox(s.stdin, log), iopub: new Outbox(s.iopub, log) };
    // tcp://IP:PORT, or for the ipc transport ipc://PATH-PORT (Jupyter's convention).
    const addr = (port: number) => (this.conn.transport === 'ipc' ? `ipc://${this.conn.ip}-${port}` : `${this.conn.transport}://${this.conn.ip}:${port}`);
    await Promise.all([
      s.shell.bind(addr(this.conn.shell_port)),
      s.control.bind(addr(this.conn.control_port)),
      s.stdin.bind(addr(this.conn.stdin_port)),
      s.iopub.bind(addr(this.conn.iopub_port)),
      this.startHeartbeat(addr(this.conn.hb_port)),
    ]);
    this.installGlobals();
    void this.receiveLoop(s.shell, (m) => this.onShell(m));
    void this.receiveLoop(s.control, (m) => void this.handle(m, 'control'));
    void this.receiveLoop(s.stdin, (m) => this.onStdin(m));
    this.publish('status', { execution_state: 'starting' }, null);
    // If no kernel_info_request comes (clients send one first), create the compiler anyway.
    this.warmSoon(500);
  }

  // ---- process-wide hooks -------------------------------------------------------------------------

  private installGlobals(): void {
    process.stdout.write = this.streamWriter('stdout') as typeof process.stdout.write;
    process.stderr.write = this.streamWriter('stderr') as typeof process.stderr.write;
    setDisplaySink({
      display: (bundle, options) => this.display(bundle, options),
      clearOutput: (wait) => this.publish('clear_output', { wait }, this.outputParent()),
    });
    setKernelHost(this);
    setAmbientSignal(this.controller.signal);
    // tslab.display.* (in notebooks written for tslab) writes through this module-level hook.
    const tslabJupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
    tslabJupyter.lastWriteDisplayData = (data: JSONObject, update: boolean) =>
      this.publish(update ? 'update_display_data' : 'display_data', { data: (data.data ?? {}) as JSONValue, metadata: (data.metadata ?? {}) as JSONValue, transient: (data.transient ?? {}) as JSONValue }, this.outputParent());
    process.on('SIGINT', () => this.interrupt());
    // Started by jupyter_client (it sets JPY_PARENT_PID): exit when that parent dies, as ipykernel does,
    // so that a crashed client leaves no kernel behind.
    if (process.env.JPY_PARENT_PID) {
      const parent = process.ppid;
      setInterval(() => {
        if (process.ppid !== parent) {
          this.log('the process that started the kernel is gone; exiting');
          void this.close();
        }
      }, 1000).unref();
    }
    // Errors that escape cells and handlers are reported, never fatal. A capture callback rather than an
    // 'uncaughtException' listener: libraries add listeners that rethrow (Emscripten's, in tfjs-backend-wasm,
    // rethrows every unhandled rejection), and with the callback set, those throws land here too.
    const onUncaught = (err: unknown) => this.reportBackground('uncaught exception', err);
    try {
      process.setUncaughtExceptionCaptureCallback(onUncaught);
    } catch {
      process.on('uncaughtException', onUncaught);
    }
    process.on('unhandledRejection', (reason) => this.reportBackground('unhandled promise rejection', reason));
  }

  private readonly reported = new WeakSet<object>();

  private reportBackground(what: string, thrown: unknown): void {
    // The same error can arrive twice: as a rejection, then rethrown by another library's listener.
    if (typeof thrown === 'object' && thrown !== null) {
      if (this.reported.has(thrown)) return;
      this.reported.add(thrown);
    }
    const e = errorFromThrown(thrown);
    const text = `${what}: ${e.traceback.join('\n')}\n`;
    if (this.outputParent()) this.writeStream('stderr', text);
    else this.log(text.trimEnd());
  }

  private streamWriter(name: 'stdout' | 'stderr') {
    return (chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8');
      this.writeStream(name, text);
      const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      if (done) process.nextTick(done);
      return true;
    };
  }

  private outputParent(): Message | null {
    return this.als.getStore()?.msg ?? this.lastExecute;
  }

  private writeStream(name: 'stdout' | 'stderr', text: string): void {
    const parent = this.outputParent();
    if (!parent) {
      (name === 'stdout' ? this.writeOut : this.writeErr)(text);
      return;
    }
    if (this.pendingStream && (this.pendingStream.parent !== parent || this.pendingStream.name !== name)) this.flushStreams();
    if (this.pendingStream) this.pendingStream.text += text;
    else this.pendingStream = { parent, name, text };
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushStreams());
    }
  }

  private flushStreams(): void {
    this.flushScheduled = false;
    const p = this.pendingStream;
    if (!p) return;
    this.pendingStream = null;
    this.send(this.out.iopub, 'stream', { name: p.name, text: p.text }, p.parent, {}, [], []);
  }

  // ---- sending ------------------------------------------------------------------------------------

  private send(outbox: Outbox, msgType: string, content: unknown, parent: Message | null, metadata: JSONObject, buffers: Buffer[], identities: Buffer[]): Header {
    const header = newHeader(msgType, this.session);
    const msg: Message<unknown> = { identities, header, parent_header: parent ? parent.header : {}, metadata, content, buffers };
    outbox.send(encode(msg, this.signer));
    return header;
  }

  /** Publishes on iopub (flushing buffered stream text first, to keep the order). */
  private publishIopub(msgType: string, content: unknown, parent: Message | null, metadata: JSONObject = {}, buffers: Buffer[] = []): Header {
    this.flushStreams();
    // IOPub topic: what ipykernel uses ("kernel.<id>.<type>"); clients subscribe to everything.
    return this.send(this.out.iopub, msgType, content, parent, metadata, buffers, [Buffer.from(`kernel.${this.session}.${msgType}`)]);
  }

  private publish(msgType: string, content: unknown, parent: Message | null): void {
    this.publishIopub(msgType, content, parent);
  }

  private reply(channel: Channel | 'stdin', req: Message, msgType: string, content: unknown, metadata: JSONObject = {}): void {
    this.flushStreams();
    this.send(this.out[channel], msgType, content, req, metadata, [], req.identities);
  }

  private display(bundle: MimeBundle, options: DisplayOptions): void {
    const transient: JSONObject = options.displayId ? { display_id: options.displayId } : {};
    const type = options.update ? 'update_display_data' : 'display_data';
    if (options.update && !options.displayId) throw new KernelError('display', 'update: true needs a displayId');
    this.publish(type, { data: bundleToJSON(bundle), metadata: (options.metadata ?? {}) as JSONObject, transient }, this.outputParent());
  }

  // ---- CommTransport --------------------------------------------------------------------------------

  /** @internal CommTransport */
  publishComm(msgType: 'comm_open' | 'comm_msg' | 'comm_close', content: JSONObject, metadata: JSONObject, buffers: Buffer[]): Header {
    return this.publishIopub(msgType, content, this.outputParent(), metadata, buffers);
  }

  async runHandler(msg: Message, what: string, fn: () => void | Promise<void>): Promise<void> {
    // A handler that runs while no cell does gets a fresh signal once an interrupt has fired the last one.
    if (!this.running && this.controller.signal.aborted) this.renewSignal();
    const ctx: RequestContext = { msg, signal: this.controller.signal, allowStdin: false };
    try {
      await this.als.run(ctx, fn);
    } catch (e) {
      const err = errorFromThrown(e);
      this.als.run(ctx, () => this.writeStream('stderr', `error in ${what}: ${err.traceback.join('\n')}\n`));
      this.log(`error in ${what}: ${err.ename}: ${err.evalue}`);
    }
  }

  // ---- KernelHost -------------------------------------------------------------------------------------

  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void {
    return this.commManager.registerTarget(targetName, handler);
  }

  openComm(targetName: string, data: JSONObject, options: OpenCommOptions): Comm {
    return this.commManager.openComm(targetName, data, options);
  }

  comms(): ReadonlyMap<string, Comm> {
    return this.commManager.comms();
  }

  currentSignal(): AbortSignal {
    return this.als.getStore()?.signal ?? this.controller.signal;
  }

  input(prompt: string, password: boolean): Promise<string> {
    const ctx = this.als.getStore();
    if (!ctx || !ctx.allowStdin) return Promise.reject(new KernelError('input', 'the front end does not accept input for this request (allow_stdin is false)'));
    if (this.pendingInput) return Promise.reject(new KernelError('input', 'another input() is already waiting for an answer'));
    if (ctx.signal.aborted) return Promise.reject(new CancelledError('input', ctx.signal.reason));
    return new Promise<string>((resolve, reject) => {
      this.pendingInput = { resolve, reject };
      this.reply('stdin', ctx.msg, 'input_request', { prompt, password });
    });
  }

  // ---- receiving ----------------------------------------------------------------------------------

  private async receiveLoop(socket: zmqTypes.Router, onMessage: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = decode(frames as Buffer[], this.signer);
        } catch (e) {
          this.log(`dropped a message: ${e instanceof WireError ? e.message : String(e)}`);
          continue;
        }
        onMessage(msg);
      }
    } catch (e) {
      if (!this.closing) this.log(`receive loop stopped: ${String(e)}`);
    }
  }

  /**
   * The heartbeat echoes in a worker thread, so that it keeps beating while a cell computes
   * synchronously (clients that watch it, like `jupyter console`, would otherwise call the kernel dead).
   */
  private startHeartbeat(address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(HEARTBEAT_WORKER, { eval: true, workerData: { zeromq: require.resolve('zeromq'), address } });
      worker.unref();
      worker.once('message', (m: unknown) => (m === 'bound' ? resolve() : reject(new KernelError('kernel', `heartbeat: ${String(m)}`))));
      worker.once('error', reject);
      this.heartbeat = worker;
    });
  }

  private onShell(msg: Message): void {
    this.shellQueue.push(msg);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.shellQueue.length > 0 && !this.closing) {
        const msg = this.shellQueue.shift() as Message;
        await this.handle(msg, 'shell');
      }
    } finally {
      this.pumping = false;
    }
  }

  private onStdin(msg: Message): void {
    if (msg.header.msg_type !== 'input_reply' || !this.pendingInput) {
      this.log(`unexpected ${msg.header.msg_type} on stdin; ignored`);
      return;
    }
    const pending = this.pendingInput;
    this.pendingInput = null;
    const value = msg.content.value;
    pending.resolve(typeof value === 'string' ? value : '');
  }

  private async handle(msg: Message, channel: Channel): Promise<void> {
    this.publish('status', { execution_state: 'busy' }, msg);
    try {
      await this.dispatch(msg, channel);
    } catch (e) {
      this.log(`error handling ${msg.header.msg_type}: ${(e as Error).stack ?? String(e)}`);
    } finally {
      this.publish('status', { execution_state: 'idle' }, msg);
    }
  }

  private async dispatch(msg: Message, channel: Channel): Promise<void> {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case 'kernel_info_request':
        this.reply(channel, msg, 'kernel_info_reply', this.kernelInfo());
        if (!this.runnerInstance) this.warmSoon(20); // let the reply go out first
        return;
      case 'execute_request':
        return this.execute(msg, channel);
      case 'is_complete_request':
        return this.reply(channel, msg, 'is_complete_reply', (require('./executor') as typeof import('./executor')).checkComplete(String(c.code ?? '')));
      case 'complete_request':
        return this.complete(msg, channel);
      case 'inspect_request':
        return this.inspect(msg, channel);
      case 'history_request':
        return this.reply(channel, msg, 'history_reply', { status: 'ok', history: this.history.query(c as HistoryQuery) });
      case 'comm_info_request':
        return this.reply(channel, msg, 'comm_info_reply', { status: 'ok', comms: this.commManager.info(typeof c.target_name === 'string' ? c.target_name : undefined) });
      case 'comm_open':
        return this.commManager.handleOpen(msg);
      case 'comm_msg':
        return this.commManager.handleMsg(msg);
      case 'comm_close':
        return this.commManager.handleClose(msg);
      case 'interrupt_request':
        this.interrupt();
        return this.reply(channel, msg, 'interrupt_reply', { status: 'ok' });
      case 'shutdown_request':
        return this.shutdown(msg, channel);
      default: {
        this.log(`unknown message type ${JSON.stringify(msg.header.msg_type)}; ignored`);
        const m = /^(.*)_request$/.exec(msg.header.msg_type);
        if (m) {
          this.reply(channel, msg, `${m[1]}_reply`, {
            status: 'error',
            ename: 'UnknownMessageType',
            evalue: `saliency-lab kernel does not handle ${msg.header.msg_type}`,
            traceback: [],
          });
        }
      }
    }
  }

  // ---- requests -----------------------------------------------------------------------------------

  kernelInfo(): JSONObject {
    const tsVersion = (createRequireFromTslab()('@tslab/typescript-for-tslab/package.json') as { version: string }).version;
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'saliency-lab',
      implementation_version: readPackageVersion(),
      language_info: {
        name: 'typescript',
        version: tsVersion,
        mimetype: 'text/typescript',
        file_extension: '.ts',
        pygments_lexer: 'typescript',
        codemirror_mode: { name: 'javascript', typescript: true, mode: 'typescript' },
      },
      banner: `saliency-lab ${readPackageVersion()}: TypeScript ${tsVersion} (tslab) on Node.js ${process.version}`,
      help_links: [
        { text: 'tslab', url: 'https://github.com/yunabe/tslab' },
        { text: 'TensorFlow.js API', url: 'https://js.tensorflow.org/api/latest/' },
        { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
      ],
      debugger: false,
    };
  }

  private async execute(msg: Message, channel: Channel): Promise<void> {
    const c = msg.content;
    const code = typeof c.code === 'string' ? c.code : '';
    const silent = c.silent === true;
    // Like IPython, an empty cell neither counts nor enters the history.
    const storeHistory = silent || code.trim() === '' ? false : c.store_history !== false;
    const stopOnError = c.stop_on_error !== false;
    if (this.aborting.has(msg)) {
      this.aborting.delete(msg);
      this.reply(channel, msg, 'execute_reply', { status: 'aborted', execution_count: this.executionCount });
      return;
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    this.lastExecute = msg;
    if (!silent) this.publish('execute_input', { code, execution_count: count }, msg);

    this.renewSignal();
    const ctx: RequestContext = { msg, signal: this.controller.signal, allowStdin: c.allow_stdin === true };
    const payload: JSONObject[] = [];
    let error: CellError | null = null;
    let output: string | null = null;

    const help = helpTarget(code);
    if (help !== undefined) {
      const text = this.runner.inspect(help, help.length) ?? `${help}: no type information found`;
      payload.push({ source: 'page', data: { 'text/plain': text }, start: 0 });
    } else {
      const cell: RunningCell = { msg, interrupted: false };
      this.running = cell;
      let outcome;
      try {
        outcome = await this.als.run(ctx, () => this.runner.run(code));
      } finally {
        this.running = null;
      }
      if (outcome.ok) {
        if (outcome.hasValue) {
          try {
            const data = bundleToJSON(resultBundle(outcome.value));
            output = typeof data['text/plain'] === 'string' ? data['text/plain'] : null;
            if (!silent) this.publish('execute_result', { execution_count: count, data, metadata: {} }, msg);
          } catch (e) {
            error = errorFromThrown(e);
          }
        }
      } else {
        error = outcome.error;
        if (outcome.interrupted || cell.interrupted) repairTfEngine((t) => this.log(t));
      }
    }
    if (storeHistory) this.history.add(count, code, output);

    if (error) {
      // Marked before the reply goes out, so that only requests sent before the client saw the error abort.
      if (stopOnError) await this.abortQueuedExecutes();
      this.publish('error', { ...error }, msg);
      this.reply(channel, msg, 'execute_reply', { status: 'error', execution_count: count, ...error });
      return;
    }
    const userExpressions = await this.als.run(ctx, () => this.userExpressions(c.user_expressions));
    this.reply(channel, msg, 'execute_reply', { status: 'ok', execution_count: count, payload, user_expressions: userExpressions });
  }

  /** After an error with stop_on_error, requests already sent are aborted (those sent later run). */
  private async abortQueuedExecutes(): Promise<void> {
    // Let zeromq hand over what already arrived while the cell ran.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    for (const m of this.shellQueue) if (m.header.msg_type === 'execute_request') this.aborting.add(m);
  }

  /** `user_expressions`: each expression evaluated after the cell, as a mime bundle or an error. */
  private async userExpressions(expressions: unknown): Promise<JSONObject> {
    const out: JSONObject = {};
    if (typeof expressions !== 'object' || expressions === null) return out;
    for (const [name, expr] of Object.entries(expressions as Record<string, unknown>)) {
      const outcome = await this.runner.run(`(${String(expr)})`);
      if (!outcome.ok) out[name] = { status: 'error', ...outcome.error };
      else {
        try {
          out[name] = { status: 'ok', data: bundleToJSON(resultBundle(outcome.hasValue ? outcome.value : undefined)), metadata: {} };
        } catch (e) {
          out[name] = { status: 'error', ...errorFromThrown(e) };
        }
      }
    }
    return out;
  }

  private complete(msg: Message, channel: Channel): void {
    const code = String(msg.content.code ?? '');
    const cursor = cursorToUtf16(code, msg.content.cursor_pos);
    let r = { start: cursor, end: cursor, matches: [] as string[] };
    try {
      r = this.runner.complete(code, cursor);
    } catch (e) {
      this.log(`complete failed: ${String(e)}`);
    }
    const [start, end] = [utf16ToCodePoints(code, r.start), utf16ToCodePoints(code, r.end)];
    this.reply(channel, msg, 'complete_reply', { status: 'ok', matches: r.matches, cursor_start: start, cursor_end: end, metadata: {} });
  }

  private inspect(msg: Message, channel: Channel): void {
    const code = String(msg.content.code ?? '');
    const cursor = cursorToUtf16(code, msg.content.cursor_pos);
    let text: string | undefined;
    try {
      text = this.runner.inspect(code, cursor);
    } catch (e) {
      this.log(`inspect failed: ${String(e)}`);
    }
    this.reply(channel, msg, 'inspect_reply', { status: 'ok', found: text !== undefined, data: text !== undefined ? { 'text/plain': text } : {}, metadata: {} });
  }

  /** A new AbortSignal for the work that starts now; also the ambient signal methods fall back to. */
  private renewSignal(): void {
    this.controller = new AbortController();
    setAmbientSignal(this.controller.signal);
  }

  /**
   * Interrupt (SIGINT or interrupt_request): fire the AbortSignal (it stays fired until the next cell, so
   * work of the interrupted cell that checks it later still stops), give up a pending await, cancel input.
   */
  interrupt(): void {
    this.controller.abort(new CancelledError('kernel', 'interrupted'));
    if (this.running) {
      this.running.interrupted = true;
      this.runnerInstance?.interrupt();
    }
    if (this.pendingInput) {
      const p = this.pendingInput;
      this.pendingInput = null;
      p.reject(new CancelledError('input', 'interrupted'));
    }
  }

  private async shutdown(msg: Message, channel: Channel): Promise<void> {
    const restart = msg.content.restart === true;
    this.reply(channel, msg, 'shutdown_reply', { status: 'ok', restart });
    this.publish('shutdown_reply', { status: 'ok', restart }, msg);
    this.publish('status', { execution_state: 'idle' }, msg);
    await this.close();
  }

  /** Stops: sends what is queued, closes the sockets, and resolves `stopped`. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.flushStreams();
    this.commManager.clear();
    await Promise.race([Promise.all(Object.values(this.out).map((o) => o.drain())), new Promise((r) => setTimeout(r, 1000))]);
    for (const sock of Object.values(this.sockets)) sock.close();
    if (this.heartbeat) {
      const hb = this.heartbeat;
      const exited = new Promise((r) => hb.once('exit', r));
      hb.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    if (this.warmTimer) clearTimeout(this.warmTimer);
    try {
      this.runnerInstance?.close();
    } catch (e) {
      this.log(`closing the compiler: ${String(e)}`);
    }
    setKernelHost(null);
    setDisplaySink(null);
    setAmbientSignal(undefined);
    this.resolveStopped(0);
  }
}

/** Protocol cursors count Unicode code points (5.2+); JavaScript strings index UTF-16 units. */
export function cursorToUtf16(code: string, cursor: unknown): number {
  if (typeof cursor !== 'number' || !Number.isFinite(cursor)) return code.length;
  let i = 0;
  for (let n = 0; n < cursor && i < code.length; n++) i += (code.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return i;
}

export function utf16ToCodePoints(code: string, index: number): number {
  return [...code.slice(0, index)].length;
}

function createRequireFromTslab(): NodeJS.Require {
  return require('module').createRequire(require.resolve('tslab')) as NodeJS.Require;
}

/** Reads a connection file and runs a kernel until it is shut down; resolves with the exit code. */
export async function runKernel(connectionFile: string): Promise<number> {
  let conn: ConnectionInfo;
  try {
    conn = JSON.parse(fs.readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
  } catch (e) {
    throw new KernelError('kernel', `cannot read connection file ${JSON.stringify(connectionFile)}: ${(e as Error).message}`);
  }
  const kernel = new Kernel(conn);
  await kernel.start();
  return kernel.stopped;
}
