/**
 * The browser test page: connects to jupyter-server with @jupyterlab/services, starts (or after a
 * reload, reconnects to) a saliency-lab kernel, and renders widgets through @jupyter-widgets/html-manager
 * with comm support. The saliency-lab widget module comes from the *built* JupyterLab extension, loaded
 * as JupyterLab loads it: its remoteEntry container is initialised with a share scope that holds the
 * page's @jupyter-widgets/base, then `./extension` is fetched and the plugin activated against a widget
 * registry. Bundled by esbuild (test/e2e/browser/harness.ts); driven by playwright through `window.sl`.
 */
import * as base from '@jupyter-widgets/base';
import { HTMLManager } from '@jupyter-widgets/html-manager';
import { KernelManager, ServerConnection, type Kernel, type KernelMessage } from '@jupyterlab/services';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

type ModuleExports = Record<string, unknown>;

class Manager extends HTMLManager {
  constructor(private readonly kernel: Kernel.IKernelConnection, loader: (name: string, version: string) => Promise<ModuleExports>) {
    super({ loader });
    kernel.registerCommTarget(this.comm_target_name, async (comm, msg) => {
      await this.handle_comm_open(new base.shims.services.Comm(comm), msg as never);
    });
  }

  override async _create_comm(target: string, id?: string, data?: unknown, metadata?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): Promise<base.IClassicComm> {
    const comm = this.kernel.createComm(target, id);
    if (data || metadata) comm.open(data as never, metadata as never, buffers);
    return new base.shims.services.Comm(comm);
  }

  override async _get_comm_info(): Promise<Record<string, unknown>> {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return (reply.content as { comms: Record<string, unknown> }).comms;
  }

  /** Restores every widget of the kernel (as JupyterLab does on a page reload). */
  restore(): Promise<void> {
    return this._loadFromKernel();
  }
}

interface ShareScope {
  [pkg: string]: Record<string, { get: () => Promise<() => unknown>; from: string; eager: boolean; loaded?: number }>;
}

interface Container {
  init(scope: ShareScope): Promise<void> | void;
  get(module: string): Promise<() => { default: unknown }>;
}

/** Loads the built extension like JupyterLab: remoteEntry, container.init(shareScope), get('./extension'), activate. */
async function loadExtension(): Promise<{ name: string; version: string; exports: ModuleExports }> {
  const pkg = await (await fetch('labext/package.json')).json();
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = `labext/${pkg.jupyterlab._build.load}`;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${s.src}`));
    document.head.appendChild(s);
  });
  const container = (window as unknown as { _JUPYTERLAB: Record<string, Container> })._JUPYTERLAB[pkg.name];
  const scope: ShareScope = {
    '@jupyter-widgets/base': { '6.0.12': { get: () => Promise.resolve(() => base), from: 'page', eager: true, loaded: 1 } },
  };
  await container.init(scope);
  const factory = await container.get(pkg.jupyterlab._build.extension);
  const mod = factory();
  const plugins = (Array.isArray(mod.default) ? mod.default : [mod.default]) as { requires: unknown[]; activate: (app: unknown, ...deps: unknown[]) => void }[];
  let registered: { name: string; version: string; exports: ModuleExports } | undefined;
  const registry = {
    registerWidget(w: { name: string; version: string; exports: ModuleExports | (() => Promise<ModuleExports>) }) {
      registered = { name: w.name, version: w.version, exports: w.exports as ModuleExports };
    },
  };
  for (const p of plugins) {
    if (p.requires[0] !== base.IJupyterWidgetRegistry) throw new Error('the plugin does not require the page\'s IJupyterWidgetRegistry token (base not shared)');
    p.activate({}, registry);
  }
  if (!registered) throw new Error('the extension registered no widget module');
  return registered;
}

/** What a cell gave: reply status, error, streams, text/plain lines and the widgets it displayed. */
export interface CellResult {
  status: string;
  error?: string;
  stdout: string;
  stderr: string;
  texts: string[];
  widgets: string[];
}

const params = new URLSearchParams(location.search);
const settings = ServerConnection.makeSettings({
  baseUrl: `${location.origin}/`,
  wsUrl: `ws://${location.host}/`,
  token: params.get('token') ?? '',
  appendToken: true,
});

const log: string[] = [];
const outputs = document.getElementById('out') as HTMLElement;

async function start() {
  const ext = await loadExtension();
  const kernels = new KernelManager({ serverSettings: settings });
  await kernels.ready;
  const existing = sessionStorage.getItem('kernelId');
  const kernel = existing ? kernels.connectTo({ model: { id: existing, name: 'saliency-lab' } }) : await kernels.startNew({ name: 'saliency-lab' });
  sessionStorage.setItem('kernelId', kernel.id);
  const manager = new Manager(kernel, async (name, version) => {
    if (name !== ext.name) throw new Error(`no module ${name}@${version}`);
    return typeof ext.exports === 'function' ? await (ext.exports as () => Promise<ModuleExports>)() : ext.exports;
  });
  const shown: string[] = JSON.parse(sessionStorage.getItem('shown') ?? '[]');

  async function show(modelId: string): Promise<void> {
    const box = document.createElement('div');
    box.className = 'widget-output';
    box.dataset.modelId = modelId;
    outputs.appendChild(box);
    const model = await manager.get_model(modelId);
    const view = await manager.create_view(model);
    await manager.display_view(view, box);
    if (!shown.includes(modelId)) {
      shown.push(modelId);
      sessionStorage.setItem('shown', JSON.stringify(shown));
    }
  }

  // Every display of the kernel, wherever it is parented (comm handlers parent theirs to the comm message).
  const pending: Promise<void>[] = [];
  kernel.iopubMessage.connect((_k, msg) => {
    const t = msg.header.msg_type;
    if (t === 'display_data' || t === 'execute_result') {
      const data = (msg as KernelMessage.IDisplayDataMsg).content.data;
      const w = data[WIDGET_MIME] as { model_id?: string } | undefined;
      if (w?.model_id) pending.push(show(w.model_id).catch((e) => void log.push(`show failed: ${e}`)));
    } else if (t === 'stream') {
      log.push((msg as KernelMessage.IStreamMsg).content.text);
    } else if (t === 'error') {
      const c = (msg as KernelMessage.IErrorMsg).content;
      log.push(`${c.ename}: ${c.evalue}`);
    }
  });

  if (existing) {
    await manager.restore();
    for (const id of shown) await show(id);
  }

  async function run(code: string): Promise<CellResult> {
    const result: CellResult = { status: '', stdout: '', stderr: '', texts: [], widgets: [] };
    const future = kernel.requestExecute({ code, stop_on_error: false });
    future.onIOPub = (msg) => {
      const t = msg.header.msg_type;
      if (t === 'stream') {
        const c = (msg as KernelMessage.IStreamMsg).content;
        if (c.name === 'stdout') result.stdout += c.text; else result.stderr += c.text;
      } else if (t === 'display_data' || t === 'execute_result') {
        const data = (msg as KernelMessage.IDisplayDataMsg).content.data;
        const w = data[WIDGET_MIME] as { model_id?: string } | undefined;
        if (w?.model_id) result.widgets.push(w.model_id);
        if (typeof data['text/plain'] === 'string') result.texts.push(data['text/plain']);
      } else if (t === 'error') {
        const c = (msg as KernelMessage.IErrorMsg).content;
        result.error = `${c.ename}: ${c.evalue}`;
      }
    };
    const reply = await future.done;
    result.status = reply.content.status;
    await Promise.all(pending.splice(0));
    return result;
  }

  /** Sets attributes of a model from the browser side and sends them, as a control would. */
  async function setState(modelId: string, state: Record<string, unknown>): Promise<void> {
    const model = await manager.get_model(modelId);
    model.set(state);
    model.save_changes();
  }

  /** Counts the changes of one attribute of a model from now on, and records its values. */
  const watched: Record<string, unknown[]> = {};
  async function watch(modelId: string, attr: string): Promise<void> {
    const model = await manager.get_model(modelId);
    const key = `${modelId}/${attr}`;
    watched[key] = [];
    model.on(`change:${attr}`, () => {
      const v = model.get(attr);
      watched[key].push(typeof v === 'object' && v !== null ? 'object' : v);
    });
  }

  /** The widget state as JupyterLab saves it in a notebook (the front end's serializers). */
  async function savedState(): Promise<unknown> {
    return manager.get_state({ drop_defaults: false });
  }

  /** Renders saved state with a manager that has no kernel; returns the number of views shown. */
  async function renderOffline(state: unknown): Promise<number> {
    const offline = new HTMLManager({ loader: async () => ext.exports });
    const models = await offline.set_state(state as never);
    const box = document.createElement('div');
    box.id = 'offline';
    document.body.appendChild(box);
    let shown = 0;
    for (const m of models) {
      if (m.get('_view_module') !== ext.name) continue;
      const el = document.createElement('div');
      el.className = 'offline-output';
      box.appendChild(el);
      await offline.display_view(await offline.create_view(m), el);
      shown++;
    }
    return shown;
  }

  return { run, setState, watch, watched, savedState, renderOffline, module: { name: ext.name, version: ext.version, exports: Object.keys(ext.exports) }, kernelId: kernel.id, log, restored: shown.length };
}

(window as unknown as { sl: Promise<unknown> }).sl = start();
