/**
 * The widgets in a real browser: Debian's jupyter-server and our kernel, a page rendering through
 * @jupyter-widgets/html-manager with comm support and the *built* JupyterLab extension, Chromium through
 * playwright-core (see test/e2e/browser/harness.ts). One server, one kernel and one browser for all.
 */
import { BrowserEnv } from './browser/harness';
import { MODULE_NAME, MODULE_VERSION } from '../../src/widgets/module';

jest.setTimeout(180_000);

const env = new BrowserEnv();
beforeAll(() => env.start(), 120_000);
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
