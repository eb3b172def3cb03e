/** A fake kernel host: records what widgets send on their comms, and delivers front-end messages. */
import type { Comm, CommMessage, CommMessageHandler, CommSendOptions, CommTargetHandler, JSONObject, KernelHost, OpenCommOptions } from '../../src/kernel/api';
import { setKernelHost } from '../../src/kernel/api';
import { newHeader } from '../../src/kernel/wire';

export interface Sent {
  type: 'comm_open' | 'comm_msg' | 'comm_close';
  commId: string;
  target: string;
  data: JSONObject;
  metadata: JSONObject;
  buffers: Uint8Array[];
}

function bytes(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

export class FakeComm implements Comm {
  closed = false;
  readonly handlers: CommMessageHandler[] = [];
  readonly closeHandlers: CommMessageHandler[] = [];
  constructor(readonly commId: string, readonly targetName: string, private readonly host: FakeHost) {}
  send(data: JSONObject, options: CommSendOptions = {}): void {
    if (this.closed) throw new Error('closed');
    this.host.sent.push({ type: 'comm_msg', commId: this.commId, target: this.targetName, data, metadata: options.metadata ?? {}, buffers: (options.buffers ?? []).map(bytes) });
  }
  close(data: JSONObject = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.host.sent.push({ type: 'comm_close', commId: this.commId, target: this.targetName, data, metadata: {}, buffers: [] });
    for (const h of this.closeHandlers) void h({ data, metadata: {}, buffers: [], header: newHeader('comm_close', 's') });
  }
  onMsg(h: CommMessageHandler): () => void {
    this.handlers.push(h);
    return () => undefined;
  }
  onClose(h: CommMessageHandler): () => void {
    this.closeHandlers.push(h);
    return () => undefined;
  }
  /** A message from the front end. */
  async receive(data: JSONObject, buffers: Uint8Array[] = []): Promise<void> {
    const msg: CommMessage = { data, metadata: {}, buffers, header: newHeader('comm_msg', 'frontend') };
    for (const h of this.handlers) await h(msg);
  }
}

export class FakeHost implements KernelHost {
  readonly sent: Sent[] = [];
  readonly open = new Map<string, FakeComm>();
  readonly targets = new Map<string, CommTargetHandler>();
  private next = 0;
  registerCommTarget(name: string, handler: CommTargetHandler): () => void {
    this.targets.set(name, handler);
    return () => this.targets.delete(name);
  }
  openComm(target: string, data: JSONObject, options: OpenCommOptions): Comm {
    const id = options.commId ?? `comm-${++this.next}`;
    const comm = new FakeComm(id, target, this);
    this.open.set(id, comm);
    this.sent.push({ type: 'comm_open', commId: id, target, data, metadata: options.metadata ?? {}, buffers: (options.buffers ?? []).map(bytes) });
    return comm;
  }
  comms(): ReadonlyMap<string, Comm> {
    return this.open;
  }
  currentSignal(): AbortSignal {
    return new AbortController().signal;
  }
  input(): Promise<string> {
    return Promise.reject(new Error('no stdin'));
  }
  /** The front end opens a comm on a registered target (e.g. the control comm). */
  async frontendOpen(target: string, id: string): Promise<FakeComm> {
    const comm = new FakeComm(id, target, this);
    const h = this.targets.get(target);
    if (!h) throw new Error(`no target ${target}`);
    await h(comm, { data: {}, metadata: {}, buffers: [], header: newHeader('comm_open', 'frontend') });
    return comm;
  }
  messages(commId: string): Sent[] {
    return this.sent.filter((s) => s.commId === commId);
  }
}

/** Installs a fresh fake host for each test; removes it after. */
export function useFakeHost(): () => FakeHost {
  let host: FakeHost | undefined;
  beforeEach(() => {
    host = new FakeHost();
    setKernelHost(host);
  });
  afterEach(() => setKernelHost(null));
  return () => host as FakeHost;
}
