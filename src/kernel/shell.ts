/**
 * What the kernel's requests mean (messaging protocol 5.3), apart from how they travel: execute (with
 * `execute_input`, `execute_result`, `error`, user expressions, `stop_on_error`), complete, inspect,
 * history, is_complete, kernel_info, comms, stdin, interrupt and shutdown. It sends through injected
 * `reply` and `publish` functions (the zeromq transport in the kernel, a recorder in tests) and runs
 * cells through an injected runner (tslab's, in ./executor).
 */
import fs from 'fs';
import path from 'path';
import { CancelledError } from '../errors';
import { isDisplayable, plainText, toMimeBundle, type MimeBundle } from '../display';
import { KernelError, type Comm, type CommTargetHandler, type KernelHost, type OpenCommOptions } from './api';
import { CommManager, type CommTransport } from './comm';
import type { KernelHooks } from './hooks';
import { History, type HistoryQuery } from './history';
import { KERNELS, type KernelFlavor } from './languages';
import { OutputRouter, bundleToJSON, type RequestContext, type StreamName } from './output';
import { PACKAGE_ROOT } from './paths';
import { errorFromThrown, helpTarget, type CellError, type CellOutcome } from './report';
import type { Channel, PublishFn, ReplyFn } from './transport';
import { PROTOCOL_VERSION, type Header, type JSONObject, type Message } from './wire';

/** What runs the cells: tslab's compiler and executor (./executor), or a fake in tests. */
export interface Runner {
  /** Prepares the compiler ahead of the first cell. */
  warm(): void;
  /** Runs a cell; `name` (e.g. "cell 3") is what stack frames in its code call it. */
  run(code: string, name?: string): Promise<CellOutcome>;
  complete(code: string, cursor: number): { start: number; end: number; matches: string[] };
  /** Quick info at `cursor`, as text, or undefined. */
  inspect(code: string, cursor: number): string | undefined;
  isComplete(code: string): { status: 'complete' | 'incomplete' | 'invalid'; indent?: string };
  /** Makes a pending top-level await give up. */
  interrupt(): void;
  close(): void;
}

export interface ShellOptions {
  reply: ReplyFn;
  publish: PublishFn;
  /** Writes a line to the kernel's log. */
  log(text: string): void;
  /** Creates the runner, on first use. */
  createRunner(): Runner;
  /** TypeScript (the default) or JavaScript: what kernel_info says. */
  flavor?: KernelFlavor;
  /** Where stream text that no request owns goes; default: the kernel's log. */
  unowned?(name: StreamName, text: string): void;
  hooks?: KernelHooks[];
  /** Called after a shutdown_request was answered: close the transport and the process. */
  onShutdown?(): void | Promise<void>;
}

/** The cell being executed now. */
interface RunningCell {
  msg: Message;
  interrupted: boolean;
}

function readPackageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function tslabTypeScriptVersion(): string {
  const fromTslab = require('module').createRequire(require.resolve('tslab')) as NodeJS.Require;
  return (fromTslab('@tslab/typescript-for-tslab/package.json') as { version: string }).version;
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

export class ShellHandler implements KernelHost, CommTransport {
  /** Output routing for this kernel's requests; the kernel process installs it on process.stdout etc. */
  readonly output: OutputRouter;
  private readonly comms_: CommManager;
  private readonly history = new History();
  private readonly hooks: KernelHooks[];
  private runnerInstance: Runner | null = null;
  private warmTimer: NodeJS.Timeout | null = null;
  /** The hooks' preparation, started when the kernel warms up; failures to show in the first cell. */
  private preparing: Promise<string[]> | null = null;
  private prepared = false;

  private executionCount = 0;
  /** The one interrupt signal: renewed per cell, fired by `interrupt()`. */
  private controller = new AbortController();
  private running: RunningCell | null = null;
  private readonly queue: Message[] = [];
  private readonly aborting = new Set<Message>();
  private pumping = false;
  private pendingInput: { resolve(value: string): void; reject(e: Error): void } | null = null;
  private closing = false;

  constructor(private readonly options: ShellOptions) {
    this.output = new OutputRouter(options.publish, options.unowned ?? ((name, text) => options.log(`${name}: ${text.trimEnd()}`)));
    this.comms_ = new CommManager(this);
    this.hooks = [...(options.hooks ?? [])];
  }

  /** Adds hooks (they are consulted after those given to the constructor). */
  addHooks(hooks: KernelHooks): void {
    this.hooks.push(hooks);
  }

  /** The runner, created on first use: creating tslab's TypeScript program takes seconds. */
  get runner(): Runner {
    return (this.runnerInstance ??= this.options.createRunner());
  }

  /** Creates the runner once the event loop is free (after the first reply), or after `ms` anyway. */
  warmSoon(ms: number): void {
    if (this.warmTimer) clearTimeout(this.warmTimer);
    this.warmTimer = setTimeout(() => {
      this.warmTimer = null;
      if (this.closing) return;
      void this.prepare();
      this.runner.warm();
    }, ms);
  }

  /** Starts the hooks' `prepare` (once); resolves with the messages of those that failed. */
  private prepare(): Promise<string[]> {
    this.preparing ??= Promise.all(
      this.hooks.map(async (h) => {
        try {
          await h.prepare?.((t) => this.log(t));
          return null;
        } catch (e) {
          this.log(`preparing ${h.name} failed: ${(e as Error).stack ?? String(e)}`);
          return `saliency-lab kernel: preparing ${h.name} failed: ${(e as Error).message ?? String(e)}\n`;
        }
      }),
    ).then((failures) => failures.filter((f): f is string => f !== null));
    return this.preparing;
  }

  log(text: string): void {
    this.options.log(text);
  }

  // ---- incoming -------------------------------------------------------------------------------------

  /**
   * Takes a message from a channel: shell requests are handled one at a time, in order; control requests
   * at once (so that an interrupt reaches a running cell); stdin carries answers to `input()`.
   * Resolves when a control request was handled or a shell request was queued.
   */
  async receive(channel: Channel, msg: Message): Promise<void> {
    if (channel === 'stdin') return this.onStdin(msg);
    if (channel === 'control') return this.handle(msg, 'control');
    this.queue.push(msg);
    void this.pump();
  }

  /** Resolves when the shell queue is empty (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pumping || this.queue.length > 0) await new Promise((r) => setImmediate(r));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closing) await this.handle(this.queue.shift() as Message, 'shell');
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
    this.output.publish('status', { execution_state: 'busy' }, msg);
    try {
      await this.dispatch(msg, channel);
    } catch (e) {
      this.log(`error handling ${msg.header.msg_type}: ${(e as Error).stack ?? String(e)}`);
    } finally {
      this.output.publish('status', { execution_state: 'idle' }, msg);
    }
  }

  private reply(channel: Channel, req: Message, msgType: string, content: unknown): void {
    this.output.flush();
    this.options.reply(channel, req, msgType, content);
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
        return this.reply(channel, msg, 'is_complete_reply', this.runner.isComplete(String(c.code ?? '')));
      case 'complete_request':
        return this.complete(msg, channel);
      case 'inspect_request':
        return this.inspect(msg, channel);
      case 'history_request':
        return this.reply(channel, msg, 'history_reply', { status: 'ok', history: this.history.query(c as HistoryQuery) });
      case 'comm_info_request':
        return this.reply(channel, msg, 'comm_info_reply', { status: 'ok', comms: this.comms_.info(typeof c.target_name === 'string' ? c.target_name : undefined) });
      case 'comm_open':
        return this.comms_.handleOpen(msg);
      case 'comm_msg':
        return this.comms_.handleMsg(msg);
      case 'comm_close':
        return this.comms_.handleClose(msg);
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

  // ---- requests -------------------------------------------------------------------------------------

  private get flavor(): KernelFlavor {
    return this.options.flavor ?? KERNELS.typescript;
  }

  kernelInfo(): JSONObject {
    const tsVersion = tslabTypeScriptVersion();
    const version = readPackageVersion();
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'saliency-lab',
      implementation_version: version,
      language_info: this.flavor.languageInfo(tsVersion),
      banner: `saliency-lab ${version}: ${this.flavor.banner(tsVersion)} on Node.js ${process.version}`,
      help_links: [
        { text: 'tslab', url: 'https://github.com/yunabe/tslab' },
        { text: 'TensorFlow.js API', url: 'https://js.tensorflow.org/api/latest/' },
        { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
      ],
      debugger: false,
    };
  }

  /**
   * The bundle of a cell's result: its own display method, else the first hook's, else plain text as
   * Node's REPL shows it (a string quoted: `'abcd'`).
   */
  private async resultBundle(value: unknown): Promise<MimeBundle> {
    if (typeof value === 'string') return { 'text/plain': plainText(value) };
    if (!isDisplayable(value)) {
      for (const h of this.hooks) {
        try {
          await h.beforeResult?.(value);
        } catch (e) {
          this.log(`the ${h.name} hook could not prepare a result: ${String(e)}`);
        }
      }
      for (const h of this.hooks) {
        let bundle: MimeBundle | undefined;
        try {
          bundle = h.resultBundle?.(value);
        } catch (e) {
          this.log(`the ${h.name} hook could not show a result: ${String(e)}`);
        }
        if (bundle) return bundle;
      }
    }
    return toMimeBundle(value);
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
    this.output.setLastExecute(msg);
    if (!silent) this.output.publish('execute_input', { code, execution_count: count }, msg);

    this.controller = new AbortController();
    const ctx: RequestContext = { msg, signal: this.controller.signal, allowStdin: c.allow_stdin === true };
    const payload: JSONObject[] = [];
    let error: CellError | null = null;
    let output: string | null = null;

    const help = helpTarget(code);
    if (help !== undefined) {
      const text = this.runner.inspect(help, help.length) ?? `${help}: no type information found`;
      payload.push({ source: 'page', data: { 'text/plain': text }, start: 0 });
    } else {
      // The first cell waits for the hooks' preparation (e.g. the tfjs backend) and shows its failures.
      const first = !this.prepared;
      const failures = await this.prepare();
      this.prepared = true;
      if (first) for (const f of failures) this.output.run(ctx, () => this.output.write('stderr', f));
      const cell: RunningCell = { msg, interrupted: false };
      this.running = cell;
      let outcome;
      try {
        outcome = await this.output.run(ctx, () => this.runner.run(code, `cell ${count}`));
      } finally {
        this.running = null;
      }
      if (outcome.ok) {
        if (outcome.hasValue) {
          try {
            const data = bundleToJSON(await this.resultBundle(outcome.value));
            output = typeof data['text/plain'] === 'string' ? data['text/plain'] : null;
            if (!silent) this.output.publish('execute_result', { execution_count: count, data, metadata: {} }, msg);
          } catch (e) {
            error = errorFromThrown(e);
          }
        }
      } else {
        error = outcome.error;
        if (outcome.interrupted || cell.interrupted) for (const h of this.hooks) h.afterInterrupt?.((t) => this.log(t));
      }
    }
    if (storeHistory) this.history.add(count, code, output);

    if (error) {
      // Marked before the reply goes out, so that only requests sent before the client saw the error abort.
      if (stopOnError) await this.abortQueuedExecutes();
      this.output.publish('error', { ...error }, msg);
      this.reply(channel, msg, 'execute_reply', { status: 'error', execution_count: count, ...error });
      return;
    }
    const userExpressions = await this.output.run(ctx, () => this.userExpressions(c.user_expressions));
    this.reply(channel, msg, 'execute_reply', { status: 'ok', execution_count: count, payload, user_expressions: userExpressions });
  }

  /** After an error with stop_on_error, requests already sent are aborted (those sent later run). */
  private async abortQueuedExecutes(): Promise<void> {
    // Let the transport hand over what already arrived while the cell ran.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    for (const m of this.queue) if (m.header.msg_type === 'execute_request') this.aborting.add(m);
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
          out[name] = { status: 'ok', data: bundleToJSON(await this.resultBundle(outcome.hasValue ? outcome.value : undefined)), metadata: {} };
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
    this.output.publish('shutdown_reply', { status: 'ok', restart }, msg);
    this.output.publish('status', { execution_state: 'idle' }, msg);
    await this.options.onShutdown?.();
  }

  /** Stops handling requests: sends buffered output, forgets comms, closes the compiler. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.warmTimer) clearTimeout(this.warmTimer);
    this.output.close();
    this.comms_.clear();
    try {
      this.runnerInstance?.close();
    } catch (e) {
      this.log(`closing the compiler: ${String(e)}`);
    }
  }

  // ---- CommTransport ----------------------------------------------------------------------------------

  /** @internal CommTransport */
  publishComm(msgType: 'comm_open' | 'comm_msg' | 'comm_close', content: JSONObject, metadata: JSONObject, buffers: Buffer[]): Header {
    return this.output.publish(msgType, content, this.output.parent(), metadata, buffers);
  }

  /** @internal CommTransport: runs a comm handler with `msg` as the parent of its output. */
  async runHandler(msg: Message, what: string, fn: () => void | Promise<void>): Promise<void> {
    // A handler that runs while no cell does gets a fresh signal once an interrupt has fired the last one.
    if (!this.running && this.controller.signal.aborted) this.controller = new AbortController();
    const ctx: RequestContext = { msg, signal: this.controller.signal, allowStdin: false };
    try {
      await this.output.run(ctx, fn);
    } catch (e) {
      const err = errorFromThrown(e);
      this.output.run(ctx, () => this.output.write('stderr', `error in ${what}: ${err.traceback.join('\n')}\n`));
      this.log(`error in ${what}: ${err.ename}: ${err.evalue}`);
    }
  }

  // ---- KernelHost -------------------------------------------------------------------------------------

  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void {
    return this.comms_.registerTarget(targetName, handler);
  }

  openComm(targetName: string, data: JSONObject, options: OpenCommOptions): Comm {
    return this.comms_.openComm(targetName, data, options);
  }

  comms(): ReadonlyMap<string, Comm> {
    return this.comms_.comms();
  }

  currentSignal(): AbortSignal {
    return this.output.context()?.signal ?? this.controller.signal;
  }

  input(prompt: string, password: boolean): Promise<string> {
    const ctx = this.output.context();
    if (!ctx || !ctx.allowStdin) return Promise.reject(new KernelError('input', 'the front end does not accept input for this request (allow_stdin is false)'));
    if (this.pendingInput) return Promise.reject(new KernelError('input', 'another input() is already waiting for an answer'));
    if (ctx.signal.aborted) return Promise.reject(new CancelledError('input', ctx.signal.reason));
    return new Promise<string>((resolve, reject) => {
      this.pendingInput = { resolve, reject };
      this.reply('stdin', ctx.msg, 'input_request', { prompt, password });
    });
  }
}
