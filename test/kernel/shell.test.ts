/**
 * The shell handler's protocol semantics, driven with a fake transport (recorded replies and iopub
 * messages) and a fake runner that runs cells as JavaScript async function bodies: no zeromq, no Python.
 */
import { setKernelHost } from '../../src/kernel/api';
import type { KernelHooks } from '../../src/kernel/hooks';
import { errorFromThrown, type CellOutcome } from '../../src/kernel/report';
import { ShellHandler, type Runner } from '../../src/kernel/shell';
import type { Channel } from '../../src/kernel/transport';
import { newHeader, type JSONObject, type Message } from '../../src/kernel/wire';
import { effectiveSignal } from '../../src/signal';

interface Sent {
  channel: Channel | 'iopub';
  type: string;
  content: JSONObject;
  parent?: string;
  buffers: Buffer[];
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;

/** Runs a cell's code as the body of an async function of (kernel, shell); `return x` makes x its result. */
class FakeRunner implements Runner {
  interrupts = 0;
  private abandon: (() => void) | null = null;
  constructor(private readonly shell: () => ShellHandler) {}
  warm(): void {}
  async run(code: string): Promise<CellOutcome> {
    const interrupted = new Promise<never>((_, reject) => (this.abandon = () => reject(Object.assign(new Error('Interrupted'), { interrupted: true }))));
    interrupted.catch(() => undefined);
    try {
      const value = await Promise.race([new AsyncFunction('shell', code)(this.shell()), interrupted]);
      return { ok: true, hasValue: value !== undefined, value };
    } catch (e) {
      return { ok: false, error: errorFromThrown(e), interrupted: (e as { interrupted?: boolean }).interrupted === true };
    } finally {
      this.abandon = null;
    }
  }
  complete(code: string, cursor: number) {
    return { start: cursor - 2, end: cursor, matches: [`${code.slice(cursor - 2, cursor)}x`] };
  }
  inspect(code: string, cursor: number) {
    return cursor === code.length ? `info on ${code}` : undefined;
  }
  isComplete(code: string) {
    return code.endsWith('{') ? { status: 'incomplete' as const, indent: '  ' } : { status: 'complete' as const };
  }
  interrupt(): void {
    this.interrupts++;
    this.abandon?.();
  }
  close(): void {}
}

function setup(hooks: KernelHooks[] = []) {
  const sent: Sent[] = [];
  const logs: string[] = [];
  let shutdowns = 0;
  const record = (channel: Sent['channel'], type: string, content: unknown, parent: Message | null, buffers: Buffer[] = []) => {
    sent.push({ channel, type, content: content as JSONObject, parent: parent?.header.msg_id, buffers });
    return newHeader(type, 'kernel-session');
  };
  let shell!: ShellHandler;
  const runner = new FakeRunner(() => shell);
  shell = new ShellHandler({
    reply: (channel, req, type, content) => void record(channel, type, content, req),
    publish: (type, content, parent, _metadata, buffers) => record('iopub', type, content, parent, buffers),
    log: (t) => logs.push(t),
    createRunner: () => runner,
    hooks,
    onShutdown: () => void shutdowns++,
  });
  /** Sends a request and waits until the shell queue has handled it. */
  const request = async (type: string, content: JSONObject, channel: Channel = 'shell', buffers: Buffer[] = []): Promise<Message> => {
    const msg: Message = { identities: [Buffer.from('client')], header: newHeader(type, 'client-session'), parent_header: {}, metadata: {}, content, buffers };
    await shell.receive(channel, msg);
    await shell.idle();
    return msg;
  };
  const execute = (code: string, extra: JSONObject = {}) => request('execute_request', { code, silent: false, store_history: true, allow_stdin: false, stop_on_error: true, user_expressions: {}, ...extra });
  /** The messages parented to `msg`, as [type, content] (status messages as "status:busy"). */
  const about = (msg: Message) =>
    sent.filter((s) => s.parent === msg.header.msg_id).map((s) => (s.type === 'status' ? `status:${s.content.execution_state}` : [s.channel, s.type, s.content] as const));
  return { shell, runner, sent, logs, request, execute, about, shutdowns: () => shutdowns };
}

afterEach(() => setKernelHost(null));

describe('shell handler (fake transport, fake runner)', () => {
  test('execute: busy, execute_input, execute_result, reply, idle; counts and history; silent cells', async () => {
    const k = setup();
    const m = await k.execute('return 6 * 7');
    expect(k.about(m)).toEqual([
      'status:busy',
      ['iopub', 'execute_input', { code: 'return 6 * 7', execution_count: 1 }],
      ['iopub', 'execute_result', { execution_count: 1, data: { 'text/plain': '42' }, metadata: {} }],
      ['shell', 'execute_reply', { status: 'ok', execution_count: 1, payload: [], user_expressions: {} }],
      'status:idle',
    ]);
    const quiet = await k.execute('return 1', { silent: true });
    expect(k.about(quiet).map((x) => (typeof x === 'string' ? x : x[1]))).toEqual(['status:busy', 'execute_reply', 'status:idle']);
    await k.execute('   ');
    const h = await k.request('history_request', { hist_access_type: 'tail', n: 5, output: true });
    expect(k.about(h)[1]).toEqual(['shell', 'history_reply', { status: 'ok', history: [[1, 1, ['return 6 * 7', '42']]] }]);
  });

  test('errors: an error message and reply; stop_on_error aborts requests already queued, not later ones', async () => {
    const k = setup();
    const fail = { identities: [], header: newHeader('execute_request', 'c'), parent_header: {}, metadata: {}, content: { code: 'throw new RangeError("no")', stop_on_error: true }, buffers: [] } as Message;
    const queued = { ...fail, header: newHeader('execute_request', 'c'), content: { code: 'return 1' } } as Message;
    await k.shell.receive('shell', fail);
    await k.shell.receive('shell', queued);
    await k.shell.idle();
    const err = k.about(fail).find((x) => x[1] === 'error') as readonly [string, string, JSONObject];
    expect(err[2]).toMatchObject({ ename: 'RangeError', evalue: 'no' });
    expect((err[2].traceback as string[])[0]).toBe('RangeError: no');
    expect(k.about(fail).find((x) => x[1] === 'execute_reply')?.[2]).toMatchObject({ status: 'error', execution_count: 1, ename: 'RangeError' });
    expect(k.about(queued).find((x) => x[1] === 'execute_reply')?.[2]).toEqual({ status: 'aborted', execution_count: 1 });
    const later = await k.execute('return "runs"');
    expect(k.about(later).find((x) => x[1] === 'execute_reply')?.[2]).toMatchObject({ status: 'ok', execution_count: 2 });
  });

  test('hooks from outside the protocol layer: a result bundle for their values; a repair after an interrupt', async () => {
    const repaired: string[] = [];
    const hooks: KernelHooks = {
      name: 'test',
      resultBundle: (v) => (v instanceof Map ? { 'text/plain': `Map of ${v.size}` } : undefined),
      afterInterrupt: () => void repaired.push('repaired'),
    };
    const k = setup([hooks]);
    const m = await k.execute('return new Map([[1, 2]])');
    expect(k.about(m).find((x) => x[1] === 'execute_result')?.[2]).toMatchObject({ data: { 'text/plain': 'Map of 1' } });
    // A value with its own display method wins over hooks.
    const d = await k.execute('return { [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>x</b>" }), size: 3 }');
    expect(k.about(d).find((x) => x[1] === 'execute_result')?.[2]).toMatchObject({ data: { 'text/html': '<b>x</b>' } });

    // Interrupt on the control channel while a cell awaits: the cell's signal fires, the runner gives up.
    setKernelHost(k.shell);
    const cell = k.execute('await new Promise(() => undefined)');
    await new Promise((r) => setTimeout(r, 20));
    const signal = k.shell.currentSignal();
    expect(effectiveSignal()).toBe(signal); // one source: what methods use is the kernel's signal
    const interrupt = await k.request('interrupt_request', {}, 'control');
    const m2 = await cell;
    expect(signal.aborted).toBe(true);
    expect(k.runner.interrupts).toBe(1);
    expect(k.about(interrupt)[1]).toEqual(['control', 'interrupt_reply', { status: 'ok' }]);
    expect(k.about(m2).find((x) => x[1] === 'execute_reply')?.[2]).toMatchObject({ status: 'error' });
    expect(repaired).toEqual(['repaired']);
    // The next cell gets a fresh signal.
    const next = await k.execute('return shell.currentSignal().aborted');
    expect(k.about(next).find((x) => x[1] === 'execute_result')?.[2]).toMatchObject({ data: { 'text/plain': 'false' } });
  });

  test('output routing: a timer started by a cell writes to that cell, after the next cell began', async () => {
    const k = setup();
    const first = await k.execute('setTimeout(() => shell.output.write("stdout", "late\\n"), 30);');
    const second = await k.execute('await new Promise((r) => setTimeout(r, 60)); shell.output.write("stdout", "mine\\n");');
    await new Promise((r) => setImmediate(r));
    expect(k.about(first).filter((x) => x[1] === 'stream')).toEqual([['iopub', 'stream', { name: 'stdout', text: 'late\n' }]]);
    expect(k.about(second).filter((x) => x[1] === 'stream')).toEqual([['iopub', 'stream', { name: 'stdout', text: 'mine\n' }]]);
    // display from a cell, with an update by display id.
    const d = await k.execute('shell.output.display({ "text/plain": "a" }, { displayId: "d" }); shell.output.display({ "text/plain": "b" }, { displayId: "d", update: true });');
    expect(k.about(d).filter((x) => typeof x !== 'string' && x[1].includes('display'))).toEqual([
      ['iopub', 'display_data', { data: { 'text/plain': 'a' }, metadata: {}, transient: { display_id: 'd' } }],
      ['iopub', 'update_display_data', { data: { 'text/plain': 'b' }, metadata: {}, transient: { display_id: 'd' } }],
    ]);
  });

  test('comms: open and messages from the front end reach the target; replies and output are parented to the message', async () => {
    const k = setup();
    setKernelHost(k.shell);
    await k.execute(`shell.registerCommTarget("echo", (comm) => comm.onMsg((m) => {
      shell.output.write("stdout", "got " + JSON.stringify(m.data));
      comm.send({ echo: m.data }, { buffers: m.buffers });
    }));`);
    const open = await k.request('comm_open', { comm_id: 'c1', target_name: 'echo', data: {} });
    expect(k.about(open)).toEqual(['status:busy', 'status:idle']);
    const msg = await k.request('comm_msg', { comm_id: 'c1', data: { x: 1 } }, 'shell', [Buffer.from([1, 2])]);
    await new Promise((r) => setImmediate(r));
    const out = k.sent.filter((s) => s.parent === msg.header.msg_id && s.type !== 'status');
    // Stream text written before a message is sent goes out before it.
    expect(out.map((s) => [s.type, s.content])).toEqual([
      ['stream', { name: 'stdout', text: 'got {"x":1}' }],
      ['comm_msg', { comm_id: 'c1', data: { echo: { x: 1 } } }],
    ]);
    expect(out[1].buffers).toEqual([Buffer.from([1, 2])]);
    const info = await k.request('comm_info_request', { target_name: 'echo' });
    expect(k.about(info)[1]).toEqual(['shell', 'comm_info_reply', { status: 'ok', comms: { c1: { target_name: 'echo' } } }]);
  });

  test('stdin: input() asks on the stdin channel and resolves with the answer; refused without allow_stdin', async () => {
    const k = setup();
    const cell = k.execute('return "hi " + (await shell.input("Name? ", false))', { allow_stdin: true });
    await new Promise((r) => setTimeout(r, 10));
    const ask = k.sent.find((s) => s.type === 'input_request');
    expect(ask).toMatchObject({ channel: 'stdin', content: { prompt: 'Name? ', password: false } });
    await k.request('input_reply', { value: 'Ada' }, 'stdin');
    const m = await cell;
    expect(k.about(m).find((x) => x[1] === 'execute_result')?.[2]).toMatchObject({ data: { 'text/plain': "'hi Ada'" } });
    const refused = await k.execute('return await shell.input("?", false)');
    expect(k.about(refused).find((x) => x[1] === 'execute_reply')?.[2]).toMatchObject({ status: 'error', ename: 'KernelError' });
  });

  test('kernel_info, is_complete, complete and inspect (cursors in code points), help, unknown requests, shutdown', async () => {
    const k = setup();
    const info = await k.request('kernel_info_request', {});
    expect(k.about(info)[1]).toEqual(['shell', 'kernel_info_reply', expect.objectContaining({ status: 'ok', protocol_version: '5.3', implementation: 'saliency-lab' })]);
    const ic = await k.request('is_complete_request', { code: 'if (x) {' });
    expect(k.about(ic)[1]).toEqual(['shell', 'is_complete_reply', { status: 'incomplete', indent: '  ' }]);
    const code = '"😀"; ab';
    const c = await k.request('complete_request', { code, cursor_pos: [...code].length });
    expect(k.about(c)[1]).toEqual(['shell', 'complete_reply', { status: 'ok', matches: ['abx'], cursor_start: 5, cursor_end: 7, metadata: {} }]);
    const i = await k.request('inspect_request', { code: 'Math.max', cursor_pos: 8, detail_level: 0 });
    expect(k.about(i)[1]).toEqual(['shell', 'inspect_reply', { status: 'ok', found: true, data: { 'text/plain': 'info on Math.max' }, metadata: {} }]);
    const help = await k.execute('Math.max?');
    expect(k.about(help).find((x) => x[1] === 'execute_reply')?.[2]).toMatchObject({ status: 'ok', payload: [{ source: 'page', data: { 'text/plain': 'info on Math.max' }, start: 0 }] });
    const unknown = await k.request('frobnicate_request', {});
    expect(k.about(unknown)[1]).toEqual(['shell', 'frobnicate_reply', expect.objectContaining({ status: 'error', ename: 'UnknownMessageType' })]);
    const bye = await k.request('shutdown_request', { restart: false }, 'control');
    expect(k.about(bye).slice(1, 3)).toEqual([
      ['control', 'shutdown_reply', { status: 'ok', restart: false }],
      ['iopub', 'shutdown_reply', { status: 'ok', restart: false }],
    ]);
    expect(k.shutdowns()).toBe(1);
  });
});
