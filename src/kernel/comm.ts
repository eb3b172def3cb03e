/**
 * Comms (messaging spec "Custom messages"): targets registered by libraries, comms opened from either
 * side, `comm_msg` with binary buffers both ways, `comm_close` from either side, `comm_info`.
 */
import { randomUUID } from 'crypto';
import type { Comm, CommMessage, CommMessageHandler, CommSendOptions, CommTargetHandler, OpenCommOptions } from './api';
import { KernelError } from './api';
import { toBuffer, type Header, type JSONObject, type Message } from './wire';

/** What the comm layer needs from the kernel. */
export interface CommTransport {
  /** Publishes a comm message on iopub, parented to the request being handled now; returns its header. */
  publishComm(msgType: 'comm_open' | 'comm_msg' | 'comm_close', content: JSONObject, metadata: JSONObject, buffers: Buffer[]): Header;
  /** Runs a handler with `msg` as the parent of its output; reports (never rethrows) its errors. */
  runHandler(msg: Message, what: string, fn: () => void | Promise<void>): Promise<void>;
  /** Writes to the kernel's log (stderr of the kernel process). */
  log(text: string): void;
}

function asObject(x: unknown): JSONObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as JSONObject) : {};
}

function toCommMessage(msg: Message): CommMessage {
  return { data: asObject(msg.content.data), metadata: msg.metadata, buffers: msg.buffers, header: msg.header };
}

class CommImpl implements Comm {
  private readonly msgHandlers = new Set<CommMessageHandler>();
  private readonly closeHandlers = new Set<CommMessageHandler>();
  private isClosed = false;

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: JSONObject, options: CommSendOptions = {}): void {
    if (this.isClosed) throw new KernelError('Comm.send', `comm ${this.commId} (target ${JSON.stringify(this.targetName)}) is closed`);
    this.manager.transport.publishComm('comm_msg', { comm_id: this.commId, data }, options.metadata ?? {}, (options.buffers ?? []).map(toBuffer));
  }

  close(data: JSONObject = {}, options: CommSendOptions = {}): void {
    if (this.isClosed) return;
    const header = this.manager.transport.publishComm('comm_close', { comm_id: this.commId, data }, options.metadata ?? {}, (options.buffers ?? []).map(toBuffer));
    this.markClosed();
    const msg: CommMessage = { data, metadata: options.metadata ?? {}, buffers: (options.buffers ?? []).map(toBuffer), header };
    for (const h of [...this.closeHandlers]) {
      try {
        const r = h(msg);
        if (r instanceof Promise) r.catch((e: unknown) => this.manager.transport.log(`comm ${this.commId} close handler failed: ${String(e)}`));
      } catch (e) {
        this.manager.transport.log(`comm ${this.commId} close handler failed: ${String(e)}`);
      }
    }
  }

  onMsg(handler: CommMessageHandler): () => void {
    this.msgHandlers.add(handler);
    return () => this.msgHandlers.delete(handler);
  }

  onClose(handler: CommMessageHandler): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** @internal */
  markClosed(): void {
    this.isClosed = true;
    this.manager.forget(this.commId);
  }

  /** @internal Runs the message handlers in order, awaiting each. */
  async dispatch(msg: Message): Promise<void> {
    const cm = toCommMessage(msg);
    for (const h of [...this.msgHandlers]) await h(cm);
  }

  /** @internal */
  async dispatchClose(msg: Message): Promise<void> {
    const cm = toCommMessage(msg);
    for (const h of [...this.closeHandlers]) await h(cm);
  }
}

export class CommManager {
  private readonly targets = new Map<string, CommTargetHandler>();
  private readonly open = new Map<string, CommImpl>();

  constructor(readonly transport: CommTransport) {}

  registerTarget(targetName: string, handler: CommTargetHandler): () => void {
    this.targets.set(targetName, handler);
    return () => {
      if (this.targets.get(targetName) === handler) this.targets.delete(targetName);
    };
  }

  /** Opens a comm from the kernel side. */
  openComm(targetName: string, data: JSONObject, options: OpenCommOptions): Comm {
    const commId = options.commId ?? randomUUID();
    if (this.open.has(commId)) throw new KernelError('openComm', `comm id ${JSON.stringify(commId)} is already open`);
    const comm = new CommImpl(commId, targetName, this);
    this.open.set(commId, comm);
    const content: JSONObject = { comm_id: commId, target_name: targetName, data };
    if (options.targetModule) content.target_module = options.targetModule;
    this.transport.publishComm('comm_open', content, options.metadata ?? {}, (options.buffers ?? []).map(toBuffer));
    return comm;
  }

  comms(): ReadonlyMap<string, Comm> {
    return this.open;
  }

  /** `comm_info_request`: open comms, optionally only those of one target. */
  info(targetName?: string): JSONObject {
    const comms: JSONObject = {};
    for (const [id, c] of this.open) if (targetName === undefined || c.targetName === targetName) comms[id] = { target_name: c.targetName };
    return comms;
  }

  /** `comm_open` from the front end. An unknown target gets a `comm_close` back, as ipykernel does. */
  async handleOpen(msg: Message): Promise<void> {
    const commId = msg.content.comm_id;
    const targetName = msg.content.target_name;
    if (typeof commId !== 'string' || typeof targetName !== 'string') {
      this.transport.log(`comm_open without comm_id or target_name: ${JSON.stringify(msg.content)}`);
      return;
    }
    const handler = this.targets.get(targetName);
    if (!handler) {
      this.transport.log(`comm_open for unknown target ${JSON.stringify(targetName)}; closing comm ${commId}`);
      await this.transport.runHandler(msg, 'comm_open', () => {
        this.transport.publishComm('comm_close', { comm_id: commId, data: {} }, {}, []);
      });
      return;
    }
    const comm = new CommImpl(commId, targetName, this);
    this.open.set(commId, comm);
    await this.transport.runHandler(msg, `comm target ${JSON.stringify(targetName)}`, () => handler(comm, toCommMessage(msg)));
  }

  async handleMsg(msg: Message): Promise<void> {
    const comm = this.lookup(msg, 'comm_msg');
    if (comm) await this.transport.runHandler(msg, `comm ${comm.commId} message handler`, () => comm.dispatch(msg));
  }

  async handleClose(msg: Message): Promise<void> {
    const comm = this.lookup(msg, 'comm_close');
    if (!comm) return;
    comm.markClosed();
    await this.transport.runHandler(msg, `comm ${comm.commId} close handler`, () => comm.dispatchClose(msg));
  }

  /** Closes every comm without messages (kernel shutdown). */
  clear(): void {
    for (const c of [...this.open.values()]) c.markClosed();
  }

  /** @internal */
  forget(commId: string): void {
    this.open.delete(commId);
  }

  private lookup(msg: Message, what: string): CommImpl | undefined {
    const commId = msg.content.comm_id;
    const comm = typeof commId === 'string' ? this.open.get(commId) : undefined;
    if (!comm) this.transport.log(`${what} for unknown comm ${JSON.stringify(commId)}; ignored`);
    return comm;
  }
}
