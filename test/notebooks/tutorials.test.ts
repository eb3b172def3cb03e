/**
 * The tutorial notebooks run top to bottom in the saliency-lab kernel through nbclient (no errors allowed)
 * and show what they promise: images as PNG displays, text results.
 */
import fs from 'fs';
import path from 'path';
import { runPython, ROOT, useKernelSpec } from '../kernel/helpers';

interface Output { output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string }
interface Cell { cell_type: string; outputs?: Output[] }

describe('tutorial notebooks', () => {
  const spec = useKernelSpec(['jupyter_client', 'nbclient', 'nbformat']);

  test('01-first-look runs top to bottom and shows pictures', async () => {
    const out = path.join(spec().prefix, 'executed.ipynb');
    const r = await runPython('notebook.py', [path.join(ROOT, 'notebooks', '01-first-look.ipynb'), out], { ...spec().env, KERNEL_CWD: path.join(ROOT, 'notebooks') }, 240_000);
    if (r.code !== 0) console.log(r.stderr.slice(-8000));
    expect(r.code).toBe(0);
    const cells = (JSON.parse(fs.readFileSync(out, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
    const pngs = outputs.filter((o) => o.output_type === 'display_data' && typeof o.data?.['image/png'] === 'string');
    expect(pngs.length).toBe(1 + 4 + 1); // the gallery, four Grad-CAM overlays, one saliency overlay
    const text = (i: number) => String(cells[i].outputs?.find((o) => o.output_type === 'execute_result')?.data?.['text/plain'] ?? '');
    expect(['wasm', 'cpu']).toContain(text(0).replace(/'/g, ''));
    expect(text(1)).toContain('GlobalAveragePooling2D');
    expect(text(2)).toMatch(/scene 0: predicted \w+, true \w+/);
    expect(text(5)).toMatch(/scene 3: \d+% of the saliency on the shape/);
    expect(text(6)).toContain('done');
  }, 300_000);
});
