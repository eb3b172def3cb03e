/**
 * Notebooks of what tslab users rely on (test/kernel/fixtures/tslab-compat*.ipynb; each cell's metadata
 * says what it should show) run by nbclient on both saliency-lab kernels and on stock tslab / jslab
 * (the tslab package's own kernel): the same output kinds on both, this kernel's texts as expected, and
 * nothing in any output that shows kernel internals (request contexts, session or message ids).
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { PYTHON, ROOT, runPython, useKernelSpec, type KernelSpec } from './helpers';

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  traceback?: string[];
}
interface Expect {
  kinds: string[];
  text?: string;
  error?: string;
  traceback_has?: string[];
  /** The text/plain of each display output (after nbclient applied updates). */
  displayed?: string[];
  /** Where stock tslab shows other kinds, with `why`. */
  stock_kinds?: string[];
}
interface Cell {
  cell_type: string;
  source: string;
  outputs?: Output[];
  metadata: { saliency_lab_test?: Expect; saliency_lab_status?: string };
}
interface Notebook {
  cells: Cell[];
  metadata: { saliency_lab_ids: string[] };
}

/**
 * A cell's outputs as kinds, in order: `text` (stdout or a result: stock tslab prints results), `error`
 * (an error output, or a failed reply: stock tslab prints errors on stderr), `display:<mimes>` (nbclient
 * applies display updates in place). stderr text is left out (stock tslab's errors, tfjs's cpu warning).
 */
function kinds(cell: Cell): string[] {
  const out: string[] = [];
  const push = (k: string) => out[out.length - 1] !== k && out.push(k);
  for (const o of cell.outputs ?? []) {
    if ((o.output_type === 'stream' && o.name === 'stdout') || o.output_type === 'execute_result') push('text');
    else if (o.output_type === 'error') push('error');
    else if (o.output_type === 'display_data') push(`display:${Object.keys(o.data ?? {}).sort().join(',')}`);
  }
  if (cell.metadata.saliency_lab_status === 'error' && !out.includes('error')) push('error');
  return out;
}

function text(cell: Cell): string {
  return (cell.outputs ?? [])
    .map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : o.output_type === 'execute_result' ? `${o.data?.['text/plain']}` : ''))
    .join('');
}

async function execute(spec: KernelSpec, notebook: string, kernel: string, pauseAfterError = 0): Promise<Notebook> {
  const out = path.join(spec.prefix, `${kernel}-${path.basename(notebook)}.json`);
  const r = await runPython('compat.py', [path.join(__dirname, 'fixtures', notebook), kernel, out, String(pauseAfterError)], spec.env, 170_000);
  if (r.code !== 0) console.log(r.stderr.slice(-8000));
  expect(r.code).toBe(0);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Notebook;
}

/** Checks a notebook run by a saliency-lab kernel against its cells' expectations. */
function checkOurs(nb: Notebook): void {
  const secrets = ['kResourceStore', 'async_id_symbol', ...nb.metadata.saliency_lab_ids];
  expect(nb.metadata.saliency_lab_ids.length).toBeGreaterThan(2);
  for (const cell of nb.cells.filter((c) => c.metadata.saliency_lab_test)) {
    const want = cell.metadata.saliency_lab_test as Expect;
    const where = cell.source.split('\n')[0];
    expect({ where, kinds: kinds(cell) }).toEqual({ where, kinds: want.kinds });
    if (want.text !== undefined) expect({ where, text: text(cell) }).toEqual({ where, text: want.text });
    const error = (cell.outputs ?? []).find((o) => o.output_type === 'error');
    if (want.error !== undefined) expect({ where, error: error?.traceback?.[0] }).toEqual({ where, error: want.error });
    if (want.displayed !== undefined) {
      const displayed = (cell.outputs ?? []).filter((o) => o.output_type === 'display_data').map((o) => o.data?.['text/plain']);
      expect({ where, displayed }).toEqual({ where, displayed: want.displayed });
    }
    for (const line of want.traceback_has ?? []) expect({ where, traceback: error?.traceback }).toEqual({ where, traceback: expect.arrayContaining([line]) });
    const shown = JSON.stringify(cell.outputs);
    for (const s of secrets) expect({ where, shows: shown.includes(s) ? s : null }).toEqual({ where, shows: null });
  }
}

/** Stock tslab's run: the same kinds per cell, except where the notebook says stock differs. */
function checkStock(nb: Notebook): void {
  for (const cell of nb.cells.filter((c) => c.metadata.saliency_lab_test)) {
    const want = cell.metadata.saliency_lab_test as Expect;
    const where = cell.source.split('\n')[0];
    expect({ where, kinds: kinds(cell) }).toEqual({ where, kinds: want.stock_kinds ?? want.kinds });
  }
}

describe('kernel: tslab notebooks on saliency-lab and on stock tslab', () => {
  const spec = useKernelSpec(['jupyter_client', 'nbclient', 'nbformat']);

  beforeAll(() => {
    // Stock tslab's kernelspecs (tslab, jslab) in the same prefix, running the tslab of node_modules.
    const bin = path.join(ROOT, 'node_modules', '.bin', 'tslab');
    const r = spawnSync(bin, ['install', `--python=${PYTHON}`, `--prefix=${spec().prefix}`, `--binary=${bin}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tslab install failed: ${r.stderr}${r.stdout}`);
  });

  test.each([
    ['tslab-compat.ipynb', 'saliency-lab', 'tslab'],
    ['tslab-compat-js.ipynb', 'saliency-lab-js', 'jslab'],
  ])('%s: %s shows the expected kinds and texts; %s the same kinds', async (notebook, ours, stock) => {
    checkOurs(await execute(spec(), notebook, ours));
    checkStock(await execute(spec(), notebook, stock, 0.3));
  }, 300_000);
});
