/**
 * `saliency-lab demo --quick` end to end, as a user runs it (the built command, `bin/saliency-lab.js`,
 * in a child process; `npm test` builds first): the report and PNGs it writes, then the report opened in
 * Chromium (Debian's, driven by playwright-core): every picture decoded and shown, every plotly figure
 * drawn, without network (the report must be self-contained).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { chromium, type BrowserContext } from 'playwright-core';
import { PNG } from 'pngjs';
import { METHOD_NAMES } from '../../src/methods/registry';
import { SHIPPED_MODELS } from '../../src/models/shipped';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir: string;
let stdout = '';
let stderr = '';
let code = -1;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-demo-'));
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'saliency-lab.js');
  const child = spawn(process.execPath, [bin, 'demo', '--quick', '--out', path.join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes report.html and the PNGs, prints where the report is, shows progress on stderr', () => {
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  const report = path.join(dir, 'out', 'report.html');
  expect(stdout).toContain(`report: ${report}`);
  // The last run named: the last model and the registry's last method.
  expect(stderr).toMatch(new RegExp(`\\[#+\\] 100% rings ${METHOD_NAMES[METHOD_NAMES.length - 1]}`));
  for (const model of SHIPPED_MODELS) {
    for (const f of ['inputs.png', 'comparison.png']) expect(fs.existsSync(path.join(dir, 'out', model, f))).toBe(true);
  }
  // Every method ran on every model, except CAM on the two models without a GAP → Dense head, which says why.
  const written = SHIPPED_MODELS.flatMap((m) => METHOD_NAMES.filter((n) => fs.existsSync(path.join(dir, 'out', m, `${n}.png`))).map((n) => `${m}/${n}`));
  const missing = SHIPPED_MODELS.flatMap((m) => METHOD_NAMES.map((n) => `${m}/${n}`)).filter((x) => !written.includes(x));
  expect(missing).toEqual(['road/cam', 'rings/cam']);
  expect(stdout).toContain('not applicable: cam on road, cam on rings');
  const html = fs.readFileSync(report, 'utf8');
  // Self-contained: no script, stylesheet or picture from elsewhere.
  expect(html).not.toMatch(/<(script|img|link)[^>]+(src|href)="(?!data:)/);
  expect(html).toContain('Plotly.newPlot');
  for (const m of METHOD_NAMES) expect(html).toContain(`<td>${m}</td>`);
  expect(html).toMatch(/cam<\/td><td>not applicable/);
});

test('the report opens in Chromium with every image shown and every plotly figure drawn', async () => {
  expect(fs.existsSync(CHROMIUM)).toBe(true); // scripts/setup-system.sh installs it
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-demo-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url().slice(0, 80)));
    page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
    await page.goto(`file://${path.join(dir, 'out', 'report.html')}`);
    await page.waitForFunction(() => (window as unknown as { saliencyLabPlotsDrawn?: number }).saliencyLabPlotsDrawn === document.querySelectorAll('.plot').length, null, { timeout: 60_000 });
    const state = await page.evaluate(() => ({
      images: Array.from(document.images).map((img) => ({ alt: img.alt, ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0, shown: img.getBoundingClientRect().width > 0 })),
      plots: Array.from(document.querySelectorAll('.plot')).map((p) => ({
        id: p.id,
        svg: p.querySelectorAll('.main-svg').length,
        // Heatmaps are drawn as <image> elements, bars as paths.
        marks: p.querySelectorAll('.heatmaplayer image, g.hm image, .barlayer path').length,
      })),
    }));
    expect(failed).toEqual([]);
    // Per model: inputs, comparison, and one picture per applicable method (every registered method on
    // every model, less the 2 not applicable: cam on road and on rings).
    const runs = SHIPPED_MODELS.length * METHOD_NAMES.length - 2;
    expect(stdout).toContain(`${runs} method runs on ${SHIPPED_MODELS.length} models`);
    expect(state.images).toHaveLength(SHIPPED_MODELS.length * 2 + runs);
    expect(state.images.filter((i) => !i.ok || !i.shown)).toEqual([]);
    expect(state.plots).toHaveLength(1 + SHIPPED_MODELS.length);
    for (const p of state.plots) {
      expect(p.svg).toBeGreaterThan(0);
      expect(p.marks).toBeGreaterThan(0);
    }
    const shot = path.join(dir, 'screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = PNG.sync.read(fs.readFileSync(shot));
    expect(png.height).toBeGreaterThan(2000);
    // Not a blank page: many distinct colors.
    const colors = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) colors.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
    expect(colors.size).toBeGreaterThan(200);
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  // 26 methods × 3 models of pictures: 83 s measured at load 7 on 2 shared cores, and over 120 s once.
}, 240_000);
