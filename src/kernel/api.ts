/**
 * The kernel's public API for notebook cells and libraries (widgets, long-running methods).
 *
 * The running kernel registers itself on `globalThis` under `Symbol.for('saliency-lab.kernel')`, so that
 * every copy of this module (the kernel's own, a notebook's `require('saliency-lab')`, a second install in
 * the notebook's folder) reaches the same kernel. This module is light: it loads neither zeromq nor tslab.
 */
import { SaliencyError } from '../errors';
import { currentSignal as lookUpSignal, setSignalSource } from '../signal';
import type { Header, JSONObject } from './wire';

export type { Header, JSONObject, JSONValue } from './wire';

/** Binary data accepted by comms: a Buffer, any typed array, a DataView or an ArrayBuffer. */
export type BinaryData = ArrayBuffer | ArrayBufferView;

/** A comm message as a handler sees it. */
export interface CommMessage {
  /** The message's `content.data`. */
  data: JSONObject;
  metadata: JSONObject;
  /** Binary buffers sent with the message (Buffers, which are Uint8Arrays). */
  buffers: Uint8Array[];
  /** The header of the message that carried it. */
  header: Header;
}

export interface CommSendOptions {
  metadata?: JSONObject;
  buffers?: BinaryData[];
}

export type CommMessageHandler = (msg: CommMessage) => void | Promise<void>;

/**
 * One end of a Jupyter comm. Messages sent from inside a cell are parented to that cell's request, and
 * from inside a comm handler to the message being handled, so their outputs land where they belong.
 */
export interface Comm {
  readonly commId: string;
  readonly targetName: string;
  /** True once either side closed it. */
  readonly closed: boolean;
  /** Sends `comm_msg` to the front end. Throws KernelError when the comm is closed. */
  send(data: JSONObject, options?: CommSendOptions): void;
  /** Sends `comm_close` (once; later calls do nothing) and runs the close handlers. */
  close(data?: JSONObject, options?: CommSendOptions): void;
  /** Handles messages from the front end; returns a function that removes the handler. */
  onMsg(handler: CommMessageHandler): () => void;
  /** Runs when the front end closes the comm (or `close()` is called here); returns a remover. */
  onClose(handler: CommMessageHandler): () => void;
}

/** Called when the front end opens a comm with a registered target name. */
export type CommTargetHandler = (comm: Comm, open: CommMessage) => void | Promise<void>;

export interface OpenCommOptions extends CommSendOptions {
  /** The comm id; a random UUID by default. */
  commId?: string;
  /** `target_module` of the comm_open message (used by some front ends); none by default. */
  targetModule?: string;
}

/** What a running kernel provides to this API. Installed by the kernel; a test may install a fake. */
export interface KernelHost {
  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void;
  openComm(targetName: string, data: JSONObject, options: OpenCommOptions): Comm;
  comms(): ReadonlyMap<string, Comm>;
  currentSignal(): AbortSignal;
  input(prompt: string, password: boolean): Promise<string>;
}

/** A kernel API used where no kernel runs, or a request the kernel cannot serve (e.g. stdin not allowed). */
export class KernelError extends SaliencyError {}

const HOST_KEY = Symbol.for('saliency-lab.kernel');

/** Installs (or with null removes) the kernel host, which is also the source of `currentSignal()`. Called by the kernel. */
export function setKernelHost(host: KernelHost | null): void {
  (globalThis as Record<symbol, unknown>)[HOST_KEY] = host ?? undefined;
  setSignalSource(host ? () => host.currentSignal() : null);
}

/** The running kernel, if this process is one. */
export function getKernelHost(): KernelHost | undefined {
  return (globalThis as Record<symbol, unknown>)[HOST_KEY] as KernelHost | undefined;
}

function requireHost(where: string): KernelHost {
  const host = getKernelHost();
  if (!host) throw new KernelError(where, 'no saliency-lab kernel is running in this process (start one with `saliency-lab kernel` through Jupyter)');
  return host;
}

/**
 * The AbortSignal of the work running now: the current cell's, or for a comm handler the kernel's
 * current one. It fires when the user interrupts the kernel. Long-running library work should take
 * `options.signal ?? currentSignal()` and stop (throw) soon after it fires; the library's own methods
 * do. Outside a kernel: the signal set with `setAmbientSignal` (src/signal.ts), else undefined.
 */
export function currentSignal(): AbortSignal | undefined {
  return lookUpSignal();
}

/**
 * Registers a handler for comms that the front end opens with `targetName` (e.g. "jupyter.widget").
 * Returns a function that unregisters it. Registering a name again replaces the handler.
 */
export function registerCommTarget(targetName: string, handler: CommTargetHandler): () => void {
  return requireHost('registerCommTarget').registerCommTarget(targetName, handler);
}

/** Opens a comm from the kernel side: sends `comm_open` with `data` and optional binary buffers. */
export function openComm(targetName: string, data: JSONObject = {}, options: OpenCommOptions = {}): Comm {
  return requireHost('openComm').openComm(targetName, data, options);
}

/** The open comms by id. */
export function listComms(): ReadonlyMap<string, Comm> {
  return requireHost('listComms').comms();
}

/**
 * Asks the front end for a line of input (`input_request` on the stdin channel), like Python's
 * `input()`. Await it: `const name = await input('Name? ')`. Throws KernelError when the request that
 * runs this code does not allow stdin (e.g. nbconvert), and when the kernel is interrupted meanwhile.
 */
export async function input(prompt = '', options: { password?: boolean } = {}): Promise<string> {
  return requireHost('input').input(prompt, options.password ?? false);
}

/** True when this process is a running saliency-lab kernel. */
export function inKernel(): boolean {
  return getKernelHost() !== undefined;
}
