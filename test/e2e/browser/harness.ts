/**
 * One browser environment for all widget browser tests: Debian's jupyter-server on 127.0.0.1 with a
 * token and the saliency-lab kernelspec (installed by `saliency-lab install --prefix` into a temporary
 * folder, which also installs the built extension), the test page (page.ts, bundled here by esbuild)
 * served same-origin from `extra_static_paths`, and Debian's Chromium through playwright-core.
 * `close()` stops the browser, the kernel and the server.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PYTHON, ROOT, checkPrerequisites, installKernelSpec, removeDir, type KernelSpec } from '../../kernel/helpers';

export const CHROMIUM = process.env.SALIENCY_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where screenshots go (named in the README). */
export const SCREENSHOTS = process.env.SALIENCY_SCREENSHOTS ?? path.join(ROOT, 'test-output', 'widgets');

import type { CellResult } from './page';

export type { CellResult };

export interface PageInfo {
  module: { name: string; version: string; exports: string[] };
  kernelId: string;
  restored: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForServer(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`jupyter-server exited with ${server.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`jupyter-server did not answer ${url} within ${timeoutMs} ms`);
}

/** Bundles the test page into `dir` (page.html, page.js, page.css and fonts). */
export async function buildPage(dir: string): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'page.ts')],
    bundle: true,
    outdir: dir,
    entryNames: 'page',
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    banner: { js: 'var __webpack_public_path__ = "";' },
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'text' },
    logLevel: 'error',
  });
  fs.writeFileSync(path.join(dir, 'page.html'), [
    '<!doctype html><html><head><meta charset="utf-8"><title>saliency-lab widgets</title>',
    '<link rel="stylesheet" href="page.css"></head>',
    '<body style="background:#fff;margin:8px"><div id="out"></div><script src="page.js"></script></body></html>',
  ].join('\n'));
}

export class BrowserEnv {
  page!: Page;
  info!: PageInfo;
  private server?: ChildProcess;
  private context?: BrowserContext;
  private spec?: KernelSpec;
  private dirs: string[] = [];
  private url = '';
  readonly pageErrors: string[] = [];

  async start(): Promise<void> {
    checkPrerequisites(['jupyter_server', 'jupyter_client']);
    if (!fs.existsSync(path.join(ROOT, 'dist', 'labextension', 'package.json'))) throw new Error('dist/labextension is missing: run `npm run build`');
    this.spec = installKernelSpec();
    const stat = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-page-'));
    this.dirs.push(stat);
    await buildPage(stat);
    fs.cpSync(path.join(this.spec.prefix, 'share', 'jupyter', 'labextensions', 'saliency-lab'), path.join(stat, 'labext'), { recursive: true });
    const port = await freePort();
    const token = `t${Math.random().toString(36).slice(2)}`;
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-jrt-'));
    this.dirs.push(runtime);
    this.server = spawn(PYTHON, [
      '-m', 'jupyter_server', '--allow-root', '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0',
      `--ServerApp.token=${token}`, '--ServerApp.open_browser=False', `--ServerApp.root_dir=${ROOT}`,
      `--ServerApp.extra_static_paths=${JSON.stringify([stat])}`,
    ], { env: { ...this.spec.env, JUPYTER_RUNTIME_DIR: runtime, JUPYTER_CONFIG_DIR: runtime }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let serverLog = '';
    this.server.stderr?.on('data', (d: Buffer) => { serverLog = (serverLog + d.toString()).slice(-20000); });
    try {
      await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, this.server, 30_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${serverLog}`);
    }
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-chromium-'));
    this.dirs.push(profile);
    this.context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1100, height: 900 } });
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page.on('pageerror', (e) => this.pageErrors.push(String(e)));
    this.url = `http://127.0.0.1:${port}/static/page.html?token=${token}`;
    await this.open();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }

  /** Opens (or reloads) the page and waits until it is connected to the kernel. */
  async open(reload = false): Promise<PageInfo> {
    if (reload) await this.page.reload();
    else await this.page.goto(this.url);
    this.info = await this.page.evaluate(async () => {
      const sl = await (window as unknown as { sl: Promise<PageInfo> }).sl;
      return { module: sl.module, kernelId: sl.kernelId, restored: sl.restored };
    });
    return this.info;
  }

  /** Runs a cell in the kernel; widgets it displays render on the page. */
  async run(code: string): Promise<CellResult> {
    return this.page.evaluate(async (c) => {
      const sl = await (window as unknown as { sl: Promise<{ run(code: string): Promise<CellResult> }> }).sl;
      return sl.run(c);
    }, code);
  }

  /** Runs a cell and fails with its error and output when it did not succeed. */
  async ok(code: string): Promise<CellResult> {
    const r = await this.run(code);
    if (r.status !== 'ok') throw new Error(`cell failed: ${r.error}\n${r.stderr}\n${code}`);
    return r;
  }

  /** Sets model attributes from the browser (as a control does) and sends them to the kernel. */
  async setState(modelId: string, state: Record<string, unknown>): Promise<void> {
    await this.page.evaluate(async ([id, st]) => {
      const sl = await (window as unknown as { sl: Promise<{ setState(id: string, s: unknown): Promise<void> }> }).sl;
      await sl.setState(id as string, st);
    }, [modelId, state] as const);
  }

  /** Sets a control of a widget (an input's or select's value) and fires the event a user's change fires. */
  async control(modelId: string, key: string, value: string | number): Promise<void> {
    await this.widget(modelId).locator(`[data-control="${key}"]`).evaluate((e, v) => {
      const input = e as HTMLInputElement | HTMLSelectElement;
      input.value = String(v);
      input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
    }, value);
  }

  /** A PNG of one element (by data-role) of a widget. */
  async part(modelId: string, role: string, name?: string): Promise<Buffer> {
    const loc = this.widget(modelId).locator(`[data-role="${role}"]`).first();
    return loc.screenshot(name ? { path: path.join(SCREENSHOTS, `${name}.png`), animations: 'disabled' } : { animations: 'disabled' });
  }

  /** Waits until a cell's expression (evaluated in the kernel) prints `expected`. */
  async waitKernel(expr: string, expected: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      const r = await this.run(`console.log(String(${expr}))`);
      last = r.stdout.trim();
      if (last === expected) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`kernel: ${expr} is ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
  }

  /** Starts recording the values an attribute of a model takes in the browser. */
  async watch(modelId: string, attr: string): Promise<void> {
    await this.page.evaluate(async ([id, a]) => {
      const sl = await (window as unknown as { sl: Promise<{ watch(id: string, a: string): Promise<void> }> }).sl;
      await sl.watch(id, a);
    }, [modelId, attr] as const);
  }

  /** The values recorded since watch() (objects as "object"). */
  async watched(modelId: string, attr: string): Promise<unknown[]> {
    return this.page.evaluate(async (key) => {
      const sl = await (window as unknown as { sl: Promise<{ watched: Record<string, unknown[]> }> }).sl;
      return sl.watched[key] ?? [];
    }, `${modelId}/${attr}`);
  }

  /** A new page in the same browser. */
  async newPage(): Promise<Page> {
    return (this.context as BrowserContext).newPage();
  }

  /** The kernelspec environment (JUPYTER_PATH) for Jupyter commands. */
  get jupyterEnv(): NodeJS.ProcessEnv {
    return (this.spec as KernelSpec).env;
  }

  /** The output element of a widget. */
  widget(modelId: string) {
    return this.page.locator(`.widget-output[data-model-id="${modelId}"]`);
  }

  /** A PNG of a widget's output, saved under SCREENSHOTS as `name`.png. */
  async shot(modelId: string, name: string): Promise<Buffer> {
    const loc = this.widget(modelId).locator('.sl-widget').first();
    return loc.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
  }

  async close(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    if (this.server && this.server.exitCode === null && this.server.pid) {
      // jupyter-server shuts its kernels down on SIGTERM; the group kill catches anything left.
      try { process.kill(-this.server.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          try { process.kill(-(this.server as ChildProcess).pid!, 'SIGKILL'); } catch { /* gone */ }
          resolve();
        }, 8000);
        this.server?.once('exit', () => { clearTimeout(t); resolve(); });
      });
    }
    for (const d of this.dirs) removeDir(d);
    if (this.spec) removeDir(this.spec.prefix);
  }
}
