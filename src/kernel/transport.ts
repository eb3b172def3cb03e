/**
 * The kernel's transport: the five zeromq sockets of a connection file (shell, control, stdin and iopub,
 * plus the heartbeat in a worker thread), HMAC signing, and one send queue per socket. It knows nothing
 * of what messages mean: incoming messages go to one callback, and `reply`/`publish` send.
 */
import { randomUUID } from 'crypto';
import { Worker } from 'worker_threads';
import type * as zmqTypes from 'zeromq';
import { KernelError } from './api';
import { Signer, WireError, decode, encode, newHeader, type Header, type JSONObject, type Message } from './wire';

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

/** The channels a request can arrive on and a reply goes back on. */
export type Channel = 'shell' | 'control' | 'stdin';

/** Sends a reply to `request` on its channel. */
export type ReplyFn = (channel: Channel, request: Message, msgType: string, content: unknown, metadata?: JSONObject) => void;

/** Publishes on iopub, parented to `parent` (null: no parent); returns the header of the message sent. */
export type PublishFn = (msgType: string, content: unknown, parent: Message | null, metadata?: JSONObject, buffers?: Buffer[]) => Header;

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

type Sockets = { shell: zmqTypes.Router; control: zmqTypes.Router; stdin: zmqTypes.Router; iopub: zmqTypes.Publisher };

export class ZmqTransport {
  /** The kernel's session id, in the header of every message it sends. */
  readonly session = randomUUID();
  private readonly signer: Signer;
  private sockets: Sockets | null = null;
  private out: Record<keyof Sockets, Outbox> | null = null;
  private heartbeat: Worker | null = null;
  private closing = false;

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly log: (text: string) => void,
  ) {
    this.signer = new Signer(conn.key ?? '', conn.signature_scheme ?? 'hmac-sha256');
  }

  /** Binds every socket and starts receiving; `onMessage` gets each verified message. */
  async start(onMessage: (channel: Channel, msg: Message) => void): Promise<void> {
    const zmq = await import('zeromq');
    const s: Sockets = { shell: new zmq.Router(), control: new zmq.Router(), stdin: new zmq.Router(), iopub: new zmq.Publisher() };
    for (const sock of Object.values(s)) sock.linger = 1000;
    this.sockets = s;
    this.out = { shell: new Outbox(s.shell, this.log), control: new Outbox(s.control, this.log), stdin: new Outbox(s.stdin, this.log), iopub: new Outbox(s.iopub, this.log) };
    // tcp://IP:PORT, or for the ipc transport ipc://PATH-PORT (Jupyter's convention).
    const c = this.conn;
    const addr = (port: number) => (c.transport === 'ipc' ? `ipc://${c.ip}-${port}` : `${c.transport}://${c.ip}:${port}`);
    await Promise.all([
      s.shell.bind(addr(c.shell_port)),
      s.control.bind(addr(c.control_port)),
      s.stdin.bind(addr(c.stdin_port)),
      s.iopub.bind(addr(c.iopub_port)),
      this.startHeartbeat(addr(c.hb_port)),
    ]);
    for (const channel of ['shell', 'control', 'stdin'] as const) void this.receiveLoop(s[channel], (m) => onMessage(channel, m));
  }

  readonly reply: ReplyFn = (channel, request, msgType, content, metadata = {}) => {
    this.send(channel, msgType, content, request, metadata, [], request.identities);
  };

  readonly publish: PublishFn = (msgType, content, parent, metadata = {}, buffers = []) =>
    // IOPub topic: what ipykernel uses ("kernel.<id>.<type>"); clients subscribe to everything.
    this.send('iopub', msgType, content, parent, metadata, buffers, [Buffer.from(`kernel.${this.session}.${msgType}`)]);

  private send(socket: keyof Sockets, msgType: string, content: unknown, parent: Message | null, metadata: JSONObject, buffers: Buffer[], identities: Buffer[]): Header {
    const header = newHeader(msgType, this.session);
    if (!this.out) throw new KernelError('kernel', 'the transport is not started');
    const msg: Message<unknown> = { identities, header, parent_header: parent ? parent.header : {}, metadata, content, buffers };
    this.out[socket].send(encode(msg, this.signer));
    return header;
  }

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

  /** Sends what is queued (waiting at most a second), then closes the sockets and the heartbeat. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const timeout = () => new Promise((r) => setTimeout(r, 1000));
    if (this.out) await Promise.race([Promise.all(Object.values(this.out).map((o) => o.drain())), timeout()]);
    for (const sock of Object.values(this.sockets ?? {})) sock.close();
    if (this.heartbeat) {
      const hb = this.heartbeat;
      const exited = new Promise((r) => hb.once('exit', r));
      hb.postMessage('stop');
      await Promise.race([exited, timeout()]);
    }
  }
}
