/**
 * The saliency-lab kernel process: the zeromq transport (./transport) carries messages to the shell
 * handler (./shell), which gives them their meaning; this module wires the two together and owns what
 * is process-wide: process.stdout/stderr and the display sink routed to the kernel's output (./output),
 * the kernel host for the public API (./api), SIGINT, errors that escape cells, the parent-process
 * watch, and the hooks of libraries (tfjs, ./tfjs-hooks).
 */
import fs from 'fs';
import { KernelError, setKernelHost } from './api';
import { installCellSourceMaps } from './cell-sources';
import type { KernelHooks } from './hooks';
import { KERNELS, type KernelFlavor } from './languages';
import { errorFromThrown } from './report';
import { ShellHandler } from './shell';
import { tfjsHooks } from './tfjs-hooks';
import { ZmqTransport, type ConnectionInfo } from './transport';

export type { ConnectionInfo } from './transport';

export interface KernelOptions {
  /** The folder cells resolve imports from; default: the current directory. */
  rootDir?: string;
  /** Libraries' hooks (tensor display, repair after an interrupt). */
  hooks?: KernelHooks[];
  /** TypeScript (the default) or JavaScript. */
  flavor?: KernelFlavor;
}

export class Kernel {
  private readonly transport: ZmqTransport;
  readonly shell: ShellHandler;
  private readonly writeOut = process.stdout.write.bind(process.stdout);
  private readonly writeErr = process.stderr.write.bind(process.stderr);
  private readonly reported = new WeakSet<object>();
  private closing = false;
  private resolveStopped!: (code: number) => void;
  /** Resolves with the exit code when the kernel has shut down. */
  readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(conn: ConnectionInfo, options: KernelOptions = {}) {
    const log = (text: string) => this.log(text);
    const rootDir = options.rootDir ?? process.cwd();
    const flavor = options.flavor ?? KERNELS.typescript;
    this.transport = new ZmqTransport(conn, log);
    this.shell = new ShellHandler({
      reply: this.transport.reply,
      publish: this.transport.publish,
      log,
      // tslab's compiler is loaded only when the kernel needs it, after the first reply (see warmSoon).
      createRunner: () => new (require('./executor') as typeof import('./executor')).CellRunner(rootDir, flavor.language),
      flavor,
      unowned: (name, text) => void (name === 'stdout' ? this.writeOut : this.writeErr)(text),
      hooks: options.hooks,
      onShutdown: () => this.close(),
    });
  }

  /** Writes a line to the kernel's log (the process's real stderr, which Jupyter keeps in its log). */
  log(text: string): void {
    this.writeErr(`[saliency-lab kernel] ${text}\n`);
  }

  async start(): Promise<void> {
    await this.transport.start((channel, msg) => void this.shell.receive(channel, msg));
    this.installGlobals();
    this.shell.output.publish('status', { execution_state: 'starting' }, null);
    // If no kernel_info_request comes (clients send one first), create the compiler anyway.
    this.shell.warmSoon(500);
  }

  private installGlobals(): void {
    if (!installCellSourceMaps()) this.log("tslab's compiler was loaded before the kernel started: tracebacks show compiled positions");
    this.shell.output.install();
    setKernelHost(this.shell);
    process.on('SIGINT', () => this.shell.interrupt());
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

  private reportBackground(what: string, thrown: unknown): void {
    // The same error can arrive twice: as a rejection, then rethrown by another library's listener.
    if (typeof thrown === 'object' && thrown !== null) {
      if (this.reported.has(thrown)) return;
      this.reported.add(thrown);
    }
    const e = errorFromThrown(thrown);
    const text = `${what}: ${e.traceback.join('\n')}\n`;
    if (this.shell.output.parent()) this.shell.output.write('stderr', text);
    else this.log(text.trimEnd());
  }

  /** Stops: sends what is queued, closes the sockets, and resolves `stopped`. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.shell.close();
    await this.transport.close();
    setKernelHost(null);
    this.resolveStopped(0);
  }
}

/** Reads a connection file and runs a kernel until it is shut down; resolves with the exit code. */
export async function runKernel(connectionFile: string, flavor: KernelFlavor = KERNELS.typescript): Promise<number> {
  let conn: ConnectionInfo;
  try {
    conn = JSON.parse(fs.readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
  } catch (e) {
    throw new KernelError('kernel', `cannot read connection file ${JSON.stringify(connectionFile)}: ${(e as Error).message}`);
  }
  const kernel = new Kernel(conn, { hooks: [tfjsHooks], flavor });
  await kernel.start();
  return kernel.stopped;
}
