/** The staleness check on small hand-made notebooks: what it ignores (volatile fields) and what it catches. */
import { FAST_TAG, WIDGET_STATE, WIDGET_VIEW, committedProblems, staleness, type Cell, type Notebook } from './compare';

const PNG_A = 'iVBORw0KGgoAAAA';
const PNG_B = 'iVBORw0KGgoAAAB';

function notebook(cells: Cell[], widgets: Record<string, { name: string; value: number }> = {}, mode = 'full'): Notebook {
  const state = Object.fromEntries(Object.entries(widgets).map(([id, w]) => [id, {
    model_name: w.name, model_module: 'saliency-lab', model_module_version: '^0.1.0', state: { value: w.value },
    buffers: [{ path: ['maps', 'data'], data: 'AAAA', encoding: 'base64' }],
  }]));
  return {
    cells,
    metadata: {
      saliency_lab: { summary: 's', mode, backend: 'wasm', seconds: 10, load: 3 },
      ...(Object.keys(state).length ? { widgets: { [WIDGET_STATE]: { state, version_major: 2, version_minor: 0 } } } : {}),
    },
  };
}

const code = (n: number, source: string, outputs: Cell['outputs'], tags?: string[]): Cell =>
  ({ cell_type: 'code', source, metadata: tags ? { tags } : {}, execution_count: n, outputs });
const stdout = (t: string) => ({ output_type: 'stream', name: 'stdout', text: t });
const picture = (png: string) => ({ output_type: 'display_data', data: { 'image/png': png, 'text/plain': 'RGBAImage 4×4' }, metadata: {} });
const widget = (id: string, png = PNG_A) => ({ output_type: 'display_data', metadata: {}, data: { [WIDGET_VIEW]: { model_id: id, version_major: 2, version_minor: 0 }, 'image/png': png, 'text/plain': 'w' } });

const base = () => notebook([
  { cell_type: 'markdown', source: '# t', metadata: {} },
  code(1, 'a', [stdout('share 2.17×\n'), picture(PNG_A)]),
  code(2, 'b', [stdout('steps 256\n'), picture(PNG_A)], [FAST_TAG]),
  code(3, 'c', [widget('w0')]),
], { w0: { name: 'OcclusionExplorerModel', value: 1 } });

test('a fresh run equal but for execution counts and run metadata is current', () => {
  const fresh = base();
  fresh.cells.forEach((c) => { if (c.cell_type === 'code') c.execution_count = 7; });
  fresh.metadata.saliency_lab = { mode: 'fast', seconds: 99, load: 12, backend: 'wasm' };
  fresh.cells[1].outputs!.push({ output_type: 'execute_result', execution_count: 3, data: { 'text/plain': "'x'" } });
  const committed = base();
  committed.cells[1].outputs!.push({ output_type: 'execute_result', execution_count: 1, data: { 'text/plain': ["'", "x'"] } });
  expect(staleness(committed, fresh, true)).toEqual([]);
  expect(staleness(base(), base(), false)).toEqual([]);
});

test('changed text, pixels, missing outputs or widget state are stale', () => {
  const text = base();
  text.cells[1].outputs![0] = stdout('share 2.18×\n');
  expect(staleness(base(), text, true)).toEqual([expect.stringMatching(/^cell 1, output 0 \(stream:stdout\) differs at character 9/)]);
  const pixels = base();
  pixels.cells[1].outputs![1] = picture(PNG_B);
  expect(staleness(base(), pixels, true)).toEqual(['cell 1, output 1 (display_data:image/png,text/plain) differs in its images or data']);
  const missing = base();
  missing.cells[1].outputs = [];
  expect(staleness(missing, base(), true)).toEqual(['cell 1: outputs committed [], fresh [stream:stdout; display_data:image/png,text/plain]']);
  const state = notebook(base().cells, { w0: { name: 'OcclusionExplorerModel', value: 2 } });
  expect(staleness(base(), state, true)).toEqual(['cell 3, output 0: the saved state of widget:OcclusionExplorerModel differs']);
  const source = base();
  source.cells[3].source = 'c2';
  expect(staleness(base(), source, true)).toEqual(['cell 3: the source differs']);
});

test('a fast-mode-differs cell is compared by kinds in fast mode and in full in full mode', () => {
  const fast = base();
  fast.cells[2].outputs = [stdout('steps 16\n'), picture(PNG_B)];
  expect(staleness(base(), fast, true)).toEqual([]);
  expect(staleness(base(), fast, false)).toHaveLength(2);
  fast.cells[2].outputs = [stdout('steps 16\n')];
  expect(staleness(base(), fast, true)).toEqual(['cell 2: outputs committed [stream:stdout; display_data:image/png,text/plain], fresh [stream:stdout]']);
});

test('a committed notebook must be a full, clean, in-order run with widget fallbacks', () => {
  expect(committedProblems(base())).toEqual([]);
  const bad = notebook([
    code(2, 'a', [{ output_type: 'error', ename: 'TypeError', evalue: 'x is not a function' }]),
    code(1, 'b', [{ output_type: 'stream', name: 'stderr', text: 'warning' }]),
    code(3, 'c', [{ output_type: 'display_data', data: { [WIDGET_VIEW]: { model_id: 'w9' } }, metadata: {} }]),
  ], {}, 'fast');
  expect(committedProblems(bad)).toEqual([
    'metadata.saliency_lab.mode is "fast", not "full": save it with `npm run notebooks`',
    'code cell 1 has execution count 2: not run top to bottom in one go',
    'code cell 1 holds an error: TypeError: x is not a function',
    'code cell 2 has execution count 1: not run top to bottom in one go',
    'code cell 2 writes to stderr: warning',
    'code cell 3 shows widget w9, which metadata.widgets does not hold',
    'code cell 3: a widget output without its image/png and text/plain fallbacks',
  ]);
});
