/**
 * Every tutorial in notebooks/ runs top to bottom on the saliency-lab kernel through nbclient (the same
 * scripts/notebooks.py that `npm run notebooks` uses, here in fast mode: SALIENCY_FAST=1), with no error
 * and with the figures and widgets it promises; and its committed outputs are a current full-mode run:
 * re-executing changes nothing but the volatile fields (see ./compare.ts). Each notebook's time is printed.
 * The executed copies are kept in test-output/notebooks/ to look at when a check fails.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import { PYTHON, ROOT, useKernelSpec } from '../kernel/helpers';
import { committedProblems, outputs, staleness, widgetState, WIDGET_STATE, type Notebook } from './compare';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schema = require('@jupyter-widgets/schema');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { notebookFiles, renderTable, withTable } = require('../../scripts/notebooks.js') as {
  notebookFiles(): string[]; renderTable(): string; withTable(readme: string, table: string): string;
};

const NOTEBOOKS = path.join(ROOT, 'notebooks');
const EXECUTED = path.join(ROOT, 'test-output', 'notebooks');

/**
 * What each notebook must show, beyond running cleanly: its widgets (model names, in order of display)
 * and at least this many pictures (PNG outputs, widget fallbacks included).
 */
const EXPECTED: Record<string, { widgets: string[]; pictures: number }> = {
  '00-tour.ipynb': { widgets: ['HeatmapExplorerModel', 'CompareMethodsModel', 'OcclusionExplorerModel', 'ActivationGalleryModel', 'ProgressModel'], pictures: 8 },
  '01-saliency-maps.ipynb': { widgets: [], pictures: 8 },
  '02-guided-backprop-grad-cam.ipynb': { widgets: [], pictures: 5 },
  '03-occlusion.ipynb': { widgets: ['OcclusionExplorerModel'], pictures: 5 },
  '04-layer-activations.ipynb': { widgets: ['ActivationGalleryModel'], pictures: 7 },
  '05-cam-family.ipynb': { widgets: [], pictures: 2 },
  '06-activation-maximization.ipynb': { widgets: [], pictures: 3 },
  '07-feature-inversion.ipynb': { widgets: [], pictures: 1 },
  '08-deep-dream.ipynb': { widgets: [], pictures: 3 },
  '09-smoothgrad-ig-sanity.ipynb': { widgets: ['ProgressModel'], pictures: 4 },
  '10-your-own-model.ipynb': { widgets: [], pictures: 1 },
};

function execute(file: string, out: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(ROOT, 'scripts', 'notebooks.py'), file, out, '--fast'], { cwd: ROOT, env });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 580_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

const read = (file: string): Notebook => JSON.parse(fs.readFileSync(file, 'utf8'));

test('the tutorials are the notebooks the tests know, and the README lists them with their run times', () => {
  expect(notebookFiles()).toEqual(Object.keys(EXPECTED).sort());
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(withTable(readme, renderTable())).toBe(readme);
});

describe('tutorial notebooks', () => {
  const spec = useKernelSpec(['jupyter_client', 'nbclient', 'nbformat']);
  const validate = new Ajv({ allowUnionTypes: true }).compile(schema.v2.state);
  beforeAll(() => fs.mkdirSync(EXECUTED, { recursive: true }));

  for (const name of Object.keys(EXPECTED).sort()) {
    test(`${name}: runs top to bottom, shows what it promises, and its saved outputs are current`, async () => {
      const file = path.join(NOTEBOOKS, name);
      const committed = read(file);
      expect(committedProblems(committed)).toEqual([]);
      const saved = committed.metadata.widgets?.[WIDGET_STATE];
      if (saved || outputs(committed).some((o) => o.kind.startsWith('widget:'))) {
        expect(validate(saved)).toBe(true);
        expect([saved?.version_major, saved?.version_minor]).toEqual([2, 0]);
      }

      const out = path.join(EXECUTED, name);
      const started = Date.now();
      const r = await execute(file, out, spec().env);
      const seconds = Math.round((Date.now() - started) / 1000);
      const meta = committed.metadata.saliency_lab;
      console.log(`${name}: ${seconds} s in fast mode here; the committed full run took ${meta?.seconds} s at load ${meta?.load}`);
      if (r.code !== 0) console.log(r.log.slice(-8000));
      expect(r.code).toBe(0);
      const fresh = read(out);

      const kinds = outputs(fresh).map((o) => o.kind);
      expect(kinds.filter((k) => k.startsWith('error:') || k === 'stream:stderr')).toEqual([]);
      const { widgets, pictures } = EXPECTED[name];
      expect(kinds.filter((k) => k.startsWith('widget:')).map((k) => k.slice(7))).toEqual(widgets);
      expect(outputs(fresh).filter((o) => typeof o.output.data?.['image/png'] === 'string').length).toBeGreaterThanOrEqual(pictures);
      if (widgets.length) expect(validate(fresh.metadata.widgets?.[WIDGET_STATE])).toBe(true);
      expect(Object.keys(widgetState(fresh)).length).toBe(Object.keys(widgetState(committed)).length);

      expect(staleness(committed, fresh, true)).toEqual([]);
    }, 600_000);
  }
});
