import fs from 'fs';
import os from 'os';
import path from 'path';
import { removeDir, runPython, useKernelSpec } from './helpers';

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  execution_count: number | null;
  outputs: Output[];
}

describe('kernel: nbclient runs a notebook with failing cells', () => {
  const spec = useKernelSpec(['jupyter_client', 'nbclient', 'nbformat']);

  test('later cells run, counts are recorded, errors are error outputs with tracebacks', async () => {
    const out = path.join(spec().prefix, 'executed.ipynb');
    const r = await runPython('notebook.py', [path.join(__dirname, 'fixtures', 'errors.ipynb'), out], spec().env, 150_000);
    if (r.code !== 0) console.log(r.stderr.slice(-8000));
    expect(r.code).toBe(0);
    const cells = (JSON.parse(fs.readFileSync(out, 'utf8')) as { cells: Cell[] }).cells;
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const [first, failing, after, imported, shown, compileError, last] = cells.map((c) => c.outputs);

    expect(first).toEqual([expect.objectContaining({ output_type: 'stream', name: 'stdout', text: 'first cell\n' })]);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ output_type: 'error', ename: 'RangeError', evalue: 'this cell fails on purpose' });
    expect(failing[0].traceback?.[0]).toBe('RangeError: this cell fails on purpose');
    expect(failing[0].traceback?.length).toBeGreaterThan(1);
    expect(after).toEqual([expect.objectContaining({ output_type: 'execute_result', data: { 'text/plain': '42' } })]);
    // `import ... from "saliency-lab"` works in a cell of the kernel run from this repo.
    expect(imported).toHaveLength(1);
    expect(["'wasm'", "'cpu'"]).toContain(imported[0].data?.['text/plain']);
    expect(shown).toEqual([expect.objectContaining({ output_type: 'display_data', data: { 'text/markdown': '**shown**', 'text/plain': 'shown' } })]);
    expect(compileError[0]).toMatchObject({ output_type: 'error', ename: 'CompileError' });
    expect(compileError[0].evalue).toContain("Cannot find name 'undefinedName'");
    expect(last).toEqual([expect.objectContaining({ output_type: 'execute_result', data: { 'text/plain': "'last cell ran'" } })]);
  }, 180_000);

  test('`import ... from "saliency-lab"` works from a notebook outside this repository too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-elsewhere-'));
    try {
      const out = path.join(dir, 'executed.ipynb');
      const r = await runPython('notebook.py', [path.join(__dirname, 'fixtures', 'import.ipynb'), out], { ...spec().env, KERNEL_CWD: dir }, 150_000);
      if (r.code !== 0) console.log(r.stderr.slice(-8000));
      expect(r.code).toBe(0);
      const [cell] = (JSON.parse(fs.readFileSync(out, 'utf8')) as { cells: Cell[] }).cells;
      expect(cell.outputs).toHaveLength(1);
      expect(['wasm', 'cpu'].map((b) => `'${fs.realpathSync(dir)} ${b}'`)).toContain(cell.outputs[0].data?.['text/plain']);
    } finally {
      removeDir(dir);
    }
  }, 180_000);
});
