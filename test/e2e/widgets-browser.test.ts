/**
 * The widgets in a real browser: Debian's jupyter-server and our kernel, a page rendering through
 * @jupyter-widgets/html-manager with comm support and the *built* JupyterLab extension, Chromium through
 * playwright-core (see test/e2e/browser/harness.ts). One server, one kernel and one browser for all.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { BrowserEnv, SCREENSHOTS } from './browser/harness';
import { PYTHON, ROOT } from '../kernel/helpers';
import { MODULE_NAME, MODULE_SEMVER, MODULE_VERSION } from '../../src/widgets/module';
import { WIDGET_VIEW_MIME } from '../../src/widgets/kernel/widget';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schema = require('@jupyter-widgets/schema');

jest.setTimeout(180_000);

const env = new BrowserEnv();
beforeAll(async () => {
  await env.start();
  await env.ok(`import * as tf from '@tensorflow/tfjs';
import { loadModel, data, SHAPE_CLASSES } from 'saliency-lab';
const model = await loadModel('shapes');
const { images } = data.shapes({ n: 3, seed: 6 });`);
}, 120_000);
afterAll(() => env.close(), 30_000);

test('the built extension registers the module the kernel names, with the package version', () => {
  expect(env.info.module.name).toBe(MODULE_NAME);
  expect(env.info.module.version).toBe(MODULE_VERSION);
});

test('progress bar: renders, advances with updates from the kernel', async () => {
  const r = await env.ok(`import { progress } from 'saliency-lab';
const bar = progress('demo', { total: 4 });`);
  expect(r.widgets).toHaveLength(1);
  const id = r.widgets[0];
  const text = env.widget(id).locator('[data-role=progress-text]');
  await expect(text.textContent()).resolves.toBe('0/4 (0%)');
  const before = await env.shot(id, 'progress-0');
  await env.ok('bar.update(3)');
  await env.page.waitForFunction((mid) => document.querySelector(`[data-model-id="${mid}"] [data-role=progress-text]`)?.textContent === '3/4 (75%)', id);
  const after = await env.shot(id, 'progress-3');
  expect(after.equals(before)).toBe(false);
});

/** Screenshots of a widget part before and after each change differ. */
async function changes(id: string, role: string, steps: [string, string | number][]): Promise<void> {
  let before = await env.part(id, role);
  for (const [key, value] of steps) {
    await env.control(id, key, value);
    await env.page.waitForTimeout(50);
    const after = await env.part(id, role);
    if (after.equals(before)) throw new Error(`control ${key} = ${value} did not change the pixels`);
    before = after;
  }
}

describe('heatmapExplorer', () => {
  let id = '';
  beforeAll(async () => {
    const r = await env.ok(`import { heatmapExplorer } from 'saliency-lab';
const hx = await heatmapExplorer(model, images, { classes: SHAPE_CLASSES });
hx`);
    expect(r.widgets).toHaveLength(1);
    expect(r.texts[0]).toContain('heatmapExplorer: 3 images 64×64');
    id = r.widgets[0];
    await env.widget(id).locator('canvas[data-role=view]').waitFor();
  });

  test('renders; every look-only control changes the pixels without the kernel', async () => {
    await env.shot(id, 'heatmap-explorer');
    await changes(id, 'view', [
      ['opacity', 0.9], ['colormap', 'viridis'], ['normalization', 'percentile'], ['percentile', 90],
      ['mask', 'threshold'], ['threshold', 0.5], ['mask', 'topk'], ['topk', 5], ['mask', 'none'], ['normalization', 'signed'],
      ['sigma', 3], ['method', 1], ['page', 2],
    ]);
  });

  test('hover shows the value under the pointer', async () => {
    const box = (await env.widget(id).locator('canvas[data-role=view]').boundingBox())!;
    await env.page.mouse.move(box.x + 40, box.y + 40);
    await expect(env.widget(id).locator('[data-role=readout]').textContent()).resolves.toMatch(/^\(\d+, \d+\) value -?[\d.e+-]+; scale/);
  });

  test('a target from the top predictions recomputes the maps in the kernel', async () => {
    await env.control(id, 'page', 0);
    const before = await env.part(id, 'view');
    const other = await env.widget(id).locator('[data-control=target] option').nth(1).getAttribute('value');
    await env.control(id, 'target', other!);
    await env.waitKernel("(hx.get('targets') as number[])[0]", other!);
    await env.waitKernel("hx.get('status')", 'idle');
    await env.page.waitForTimeout(300);
    const after = await env.part(id, 'view');
    expect(after.equals(before)).toBe(false);
  });
});

describe('occlusionExplorer', () => {
  let id = '';
  beforeAll(async () => {
    const r = await env.ok(`import { occlusionExplorer } from 'saliency-lab';
const ox = await occlusionExplorer(model, images.slice([0, 0, 0, 0], [1, -1, -1, -1]), { batchSize: 16, debounce: 50 });
ox`);
    id = r.widgets[0];
    expect(r.texts[0]).toBe('occlusionExplorer: 64×64 image, window 8, stride 4, baseline zeros (done)');
    await env.widget(id).locator('canvas[data-role=view]').waitFor();
  });

  test('renders the first map; look-only controls change the pixels', async () => {
    await env.shot(id, 'occlusion-explorer');
    await changes(id, 'view', [['opacity', 0.9], ['colormap', 'inferno'], ['sigma', 2]]);
  });

  test('a new patch size recomputes in the kernel: the progress advances and partial maps arrive', async () => {
    await env.watch(id, 'done');
    await env.watch(id, 'map');
    const before = await env.part(id, 'view');
    await env.control(id, 'window', 12);
    // Window 12, stride 4: 14 × 14 positions, the run done (not the previous run's status).
    await env.waitKernel("`${ox.get('window')} ${ox.get('total')} ${ox.get('status')}`", '12 196 done');
    await env.page.waitForFunction((mid) => document.querySelector(`[data-model-id="${mid}"] [data-role=progress-text]`)?.textContent?.endsWith('done'), id);
    const done = (await env.watched(id, 'done')) as number[];
    expect(new Set(done).size).toBeGreaterThan(2);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect((await env.watched(id, 'map')).length).toBeGreaterThan(2);
    expect((await env.part(id, 'view')).equals(before)).toBe(false);
  });

  test("cancel stops the kernel's work within a second", async () => {
    await env.watch(id, 'done');
    // One update with both values, as a long run (3969 windows).
    await env.setState(id, { stride: 1, window: 3 });
    await env.page.waitForFunction((mid) => (document.querySelector(`[data-model-id="${mid}"] [data-role=progress-text]`)?.textContent ?? '').includes('running'), id);
    await env.widget(id).locator('[data-control=cancel]').click();
    await env.waitKernel("ox.get('status')", 'cancelled');
    await env.waitKernel('ox.lastRun?.cancelled', 'true');
    const r = await env.ok('console.log(JSON.stringify(ox.lastRun))');
    const run = JSON.parse(r.stdout);
    expect(run.stopAfterCancel).toBeLessThan(1000);
    const done = (await env.watched(id, 'done')) as number[];
    const total = Number((await env.ok("console.log(ox.get('total'))")).stdout);
    expect(Math.max(...done)).toBeLessThan(total);
  });

  test('bad values from the browser show a message in the widget; the kernel goes on', async () => {
    await env.setState(id, { window: 0 });
    await env.page.waitForFunction((mid) => (document.querySelector(`[data-model-id="${mid}"] [data-role=message]`)?.textContent ?? '').includes('window must be an integer from 1 to 64'), id);
    await env.setState(id, { stride: 100 });
    await env.page.waitForFunction((mid) => (document.querySelector(`[data-model-id="${mid}"] [data-role=message]`)?.textContent ?? '').includes('stride must be an integer from 1 to 64'), id);
    await env.waitKernel("ox.get('window')", '3');
    expect((await env.ok('console.log(1 + 1)')).stdout.trim()).toBe('2');
  });
});

describe('activationGallery', () => {
  let id = '';
  beforeAll(async () => {
    const r = await env.ok(`import { activationGallery, listLayers } from 'saliency-lab';
const ag = await activationGallery(model, images.slice([0, 0, 0, 0], [1, -1, -1, -1]), { pageSize: 16, filterSteps: 16 });
ag`);
    id = r.widgets[0];
    await env.widget(id).locator('canvas[data-role=view]').waitFor();
  });

  test('the layer picker lists every layer with a 4-D output', async () => {
    const expected = (await env.ok("console.log(JSON.stringify(listLayers(model).filter((l) => l.outputShape?.length === 4).map((l) => l.name)))")).stdout;
    const options = await env.widget(id).locator('[data-control=layer] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(JSON.parse(expected));
    expect(options.length).toBeGreaterThan(3);
  });

  test('sort, scale, page and a click to enlarge change the pixels in the browser; hover reads values', async () => {
    await env.shot(id, 'activation-gallery-0');
    await changes(id, 'view', [['sort', 'max'], ['scale', 'per-channel'], ['sort', 'mean'], ['colormap', 'magma']]);
    const before = await env.part(id, 'view');
    await env.widget(id).locator('[data-control=next]').click();
    await env.page.waitForTimeout(50);
    const paged = await env.part(id, 'view');
    expect(paged.equals(before)).toBe(false);
    const box = (await env.widget(id).locator('canvas[data-role=view]').boundingBox())!;
    await env.page.mouse.click(box.x + 20, box.y + 20);
    await env.waitKernel("Number(ag.get('selected')) >= 0", 'true');
    expect((await env.part(id, 'view')).equals(paged)).toBe(false);
    await env.page.mouse.move(box.x + 22, box.y + 22);
    await expect(env.widget(id).locator('[data-role=readout]').textContent()).resolves.toMatch(/^channel \d+ \(\d+, \d+\) activation/);
    await env.shot(id, 'activation-gallery');
  });

  test('switching layers computes the new layer in the kernel', async () => {
    const options = await env.widget(id).locator('[data-control=layer] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const before = await env.part(id, 'view');
    await env.control(id, 'layer', options[0]);
    await env.waitKernel("(ag.get('activations') as any).shape.join('x')", (await env.ok(`console.log(listLayers(model).find((l) => l.name === ${JSON.stringify(options[0])})!.outputShape!.slice(1).reverse().slice(0, 1).concat(listLayers(model).find((l) => l.name === ${JSON.stringify(options[0])})!.outputShape!.slice(1, 3)).join('x'))`)).stdout.trim());
    await env.page.waitForTimeout(200);
    expect((await env.part(id, 'view')).equals(before)).toBe(false);
  });

  test('filter visualizations on request appear under their tiles', async () => {
    const before = await env.part(id, 'view');
    await env.widget(id).locator('[data-control=filters]').click();
    await env.waitKernel("ag.get('filterStatus')", 'done', 60_000);
    await env.page.waitForTimeout(200);
    expect((await env.part(id, 'view')).equals(before)).toBe(false);
    await env.shot(id, 'activation-gallery-filters');
  });

  test('an unknown layer from the browser shows the layers in a message', async () => {
    await env.setState(id, { layer: 'conv99' });
    await env.page.waitForFunction((mid) => (document.querySelector(`[data-model-id="${mid}"] [data-role=message]`)?.textContent ?? '').includes('unknown layer "conv99"; layers:'), id);
  });
});

describe('compareMethods', () => {
  let id = '';
  beforeAll(async () => {
    const r = await env.ok(`import { compareMethods } from 'saliency-lab';
const cm = await compareMethods(model, images.slice([0, 0, 0, 0], [2, -1, -1, -1]), { methods: ['saliencyMap', 'integratedGradients', 'gradCam'], methodOptions: { integratedGradients: { steps: 16 } }, normalization: 'signed', colormap: 'rdbu_r', opacity: 0.7 });
cm`);
    id = r.widgets[0];
    expect(r.texts[0]).toBe('compareMethods: 2 images × saliencyMap, integratedGradients, gradCam (scale shared)');
    await env.widget(id).locator('canvas[data-role=view]').waitFor();
  });

  test('renders the grid on one shared scale; scale and look controls change the pixels', async () => {
    await expect(env.widget(id).locator('[data-role=scale]').textContent()).resolves.toMatch(/^one scale for all maps: /);
    await env.shot(id, 'compare-methods');
    await changes(id, 'view', [['scale', 'per-method'], ['scale', 'per-map'], ['colormap', 'inferno'], ['opacity', 1], ['normalization', 'minmax'], ['sigma', 2]]);
  });
});

describe('a page reload', () => {
  test('restores every widget from the live kernel', async () => {
    const ids = await env.page.evaluate(() => Array.from(document.querySelectorAll('.widget-output')).map((e) => (e as HTMLElement).dataset.modelId as string));
    const shots: (Buffer | null)[] = [];
    for (const i of ids) shots.push((await env.widget(i).locator('[data-role=view]').count()) > 0 ? await env.part(i, 'view') : null);
    expect(shots.filter(Boolean)).toHaveLength(4);
    const info = await env.open(true);
    expect(info.restored).toBe(ids.length);
    const after = await env.page.evaluate(() => Array.from(document.querySelectorAll('.widget-output')).map((e) => (e as HTMLElement).dataset.modelId as string));
    expect(after).toEqual(ids);
    for (let i = 0; i < ids.length; i++) {
      if (!shots[i]) continue;
      await env.widget(ids[i]).locator('canvas[data-role=view]').waitFor();
      expect((await env.part(ids[i], 'view')).equals(shots[i] as Buffer)).toBe(true);
    }
    expect(env.pageErrors).toEqual([]);
  });
});

describe('widget state saved by the front end', () => {
  test('validates against @jupyter-widgets/schema v2 with binary attributes as buffers, and re-renders with no kernel', async () => {
    type Saved = { state: Record<string, { model_name: string; buffers?: { path: string[] }[] }> };
    const saved = await env.page.evaluate(async () => {
      const sl = await (window as unknown as { sl: Promise<{ savedState(): Promise<unknown> }> }).sl;
      return sl.savedState();
    }) as Saved;
    const validate = new Ajv({ allowUnionTypes: true }).compile(schema.v2.state);
    expect(validate(saved)).toBe(true);
    const heat = Object.values(saved.state).find((s) => s.model_name === 'HeatmapExplorerModel')!;
    expect(heat.buffers!.map((b) => b.path.join('.')).sort()).toEqual(['images.data', 'maps.data']);
    const shown = await env.page.evaluate(async (st) => {
      const sl = await (window as unknown as { sl: Promise<{ renderOffline(s: unknown): Promise<number> }> }).sl;
      return sl.renderOffline(st);
    }, saved);
    expect(shown).toBe(Object.keys(saved.state).length);
    const colored = await env.page.evaluate(() => Array.from(document.querySelectorAll('#offline canvas[data-role=view]')).map((c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) n++;
      return n;
    }));
    expect(colored).toHaveLength(4);
    for (const n of colored) expect(n).toBeGreaterThan(1000);
  });
});

describe('a notebook with every widget, executed by nbconvert', () => {
  const fixture = path.join(__dirname, 'fixtures', 'widgets.ipynb');
  let dir = '';
  let nb: { cells: { cell_type: string; outputs?: { output_type: string; data?: Record<string, unknown> }[] }[]; metadata: { widgets?: Record<string, unknown> } };
  let html = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-nbconvert-'));
    const jupyter = (args: string[]) => spawnSync(PYTHON, ['-m', 'nbconvert', ...args], { cwd: ROOT, env: env.jupyterEnv, encoding: 'utf8', timeout: 240_000 });
    const run = jupyter(['--execute', '--to', 'notebook', '--ExecutePreprocessor.timeout=120', '--output-dir', dir, '--output', 'executed.ipynb', fixture]);
    if (run.status !== 0) throw new Error(`nbconvert --execute failed:\n${run.stderr}`);
    // Debian points require.js at a file:// path and the widget CDN at unpkg; a page from a web server
    // cannot load file:// URLs, so use nbconvert's upstream defaults (what pip's nbconvert writes).
    const conv = jupyter(['--to', 'html', '--output-dir', dir, '--HTMLExporter.require_js_url=https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js',
      '--HTMLExporter.jupyter_widgets_base_url=https://cdn.jsdelivr.net/npm/', path.join(dir, 'executed.ipynb')]);
    if (conv.status !== 0) throw new Error(`nbconvert --to html failed:\n${conv.stderr}`);
    nb = JSON.parse(fs.readFileSync(path.join(dir, 'executed.ipynb'), 'utf8'));
    html = fs.readFileSync(path.join(dir, 'executed.html'), 'utf8');
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const widgetOutputs = () => nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.[WIDGET_VIEW_MIME]);

  test('saved widget state validates against @jupyter-widgets/schema v2 and holds each widget, binary data as base64 buffers', () => {
    const state = nb.metadata.widgets?.['application/vnd.jupyter.widget-state+json'] as { state: Record<string, { model_name: string; buffers?: unknown[] }>; version_major: number; version_minor: number };
    const validate = new Ajv({ allowUnionTypes: true }).compile(schema.v2.state);
    expect(validate(state)).toBe(true);
    expect([state.version_major, state.version_minor]).toEqual([2, 0]);
    const names = Object.values(state.state).map((s) => s.model_name).sort();
    expect(names).toEqual(['ActivationGalleryModel', 'CompareMethodsModel', 'HeatmapExplorerModel', 'OcclusionExplorerModel', 'ProgressModel']);
    for (const s of Object.values(state.state)) if (s.model_name !== 'ProgressModel') expect(s.buffers?.length).toBeGreaterThan(0);
    for (const o of widgetOutputs()) expect(Object.keys(state.state)).toContain((o.data![WIDGET_VIEW_MIME] as { model_id: string }).model_id);
    // Every model and view name the kernel sent is an export of the module the built extension registers.
    const sent = Object.values(state.state).flatMap((s) => {
      const st = (s as unknown as { state: Record<string, string> }).state;
      expect([st._model_module, st._view_module]).toEqual([MODULE_NAME, MODULE_NAME]);
      return [st._model_name, st._view_name];
    });
    expect(sent).toHaveLength(10);
    for (const name of sent) expect(env.info.module.exports).toContain(name);
  });

  test('every widget output carries a PNG of its view and a text line (GitHub-style renderers show them)', () => {
    const outs = widgetOutputs();
    expect(outs).toHaveLength(5);
    for (const o of outs) {
      const png = Buffer.from(o.data!['image/png'] as string, 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([o.data!['text/plain']].flat().join('')).toMatch(/^(heatmapExplorer|occlusionExplorer|activationGallery|compareMethods|steps): /);
    }
    const shots = outs.map((o) => Buffer.from(o.data!['image/png'] as string, 'base64'));
    const names = ['heatmap-explorer', 'occlusion-explorer', 'activation-gallery', 'compare-methods', 'progress'];
    shots.forEach((b, i) => fs.writeFileSync(path.join(SCREENSHOTS, `fallback-${names[i]}.png`), b));
  });

  test('the HTML export shows every widget from saved state in Chromium (CDN requests answered from the built bundle)', async () => {
    const page = await env.newPage();
    const served: string[] = [];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      const file = url === 'http://export.test/index.html' ? path.join(dir, 'executed.html')
        : /cdnjs\.cloudflare\.com\/ajax\/libs\/require\.js\/.*\/require\.min\.js$/.test(url) ? require.resolve('requirejs/require.js')
        : /cdn\.jsdelivr\.net\/npm\/@jupyter-widgets\/html-manager@[^/]+\/dist\/embed-amd\.js$/.test(url) ? require.resolve('@jupyter-widgets/html-manager/dist/embed-amd.js')
        : decodeURIComponent(url) === `https://cdn.jsdelivr.net/npm/${MODULE_NAME.split('/')[0]}@${MODULE_SEMVER}/dist/${MODULE_NAME.split('/').slice(1).join('/')}.js` ? path.join(ROOT, 'dist', 'widgets', 'frontend.js')
        : null;
      if (!file) return route.abort();
      served.push(url);
      const type = file.endsWith('.html') ? 'text/html' : 'application/javascript';
      await route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(file) });
    });
    await page.goto('http://export.test/index.html');
    await page.waitForFunction(() => document.querySelectorAll('.sl-widget').length >= 5, undefined, { timeout: 60_000 });
    expect(served.some((u) => u.endsWith('/dist/widgets/frontend.js'))).toBe(true);
    const canvases = await page.evaluate(() => Array.from(document.querySelectorAll('.sl-widget canvas[data-role=view]')).map((c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let colored = 0;
      for (let i = 0; i < d.length; i += 4) if (!(d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255)) colored++;
      return colored;
    }));
    expect(canvases).toHaveLength(4);
    for (const c of canvases) expect(c).toBeGreaterThan(1000);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'nbconvert-export.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(html).toContain('application/vnd.jupyter.widget-state+json');
    await page.close();
  });
});
