/**
 * What the notebook tests compare. A committed tutorial holds the outputs of a full-mode run of
 * `npm run notebooks`; the test re-executes it (in fast mode, `SALIENCY_FAST=1`) and calls the committed
 * outputs stale when the new run differs in more than the volatile fields:
 *
 * - execution counts (of cells and of `execute_result` outputs);
 * - `metadata.saliency_lab`'s `mode`, `backend`, `seconds` and `load` (how and when it ran);
 * - `metadata.language_info` (the kernel's own description);
 * - widget model ids: random comm ids, which scripts/notebooks.py replaces by ids derived from the
 *   notebook's name and the widgets' order, so they are compared as that order;
 * - in fast mode only, the *content* of the outputs of cells tagged `fast-mode-differs` (their steps or
 *   samples depend on SALIENCY_FAST): for those, the kinds of outputs must still match (each stream, each
 *   figure's mime types, each widget's model), and their widgets' state is not compared.
 *
 * Everything else must be equal: cell sources, every output's text, PNG bytes and plotly spec, and the
 * saved state (with its binary buffers) of every widget shown in a compared cell.
 */
export const FAST_TAG = 'fast-mode-differs';
export const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
export const WIDGET_STATE = 'application/vnd.jupyter.widget-state+json';

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  execution_count?: number | null;
}

export interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: Output[];
  execution_count?: number | null;
}

export interface SavedWidget {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
  buffers?: { path: string[]; data: string; encoding: string }[];
}

export interface WidgetStateDoc {
  state: Record<string, SavedWidget>;
  version_major: number;
  version_minor: number;
}

export interface Notebook {
  cells: Cell[];
  metadata: {
    saliency_lab?: { summary?: string; mode?: string; backend?: string; seconds?: number; load?: number };
    widgets?: Record<string, WidgetStateDoc>;
    [key: string]: unknown;
  };
}

export const text = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : v ?? '');

export function widgetState(nb: Notebook): Record<string, SavedWidget> {
  return nb.metadata.widgets?.[WIDGET_STATE]?.state ?? {};
}

export function widgetId(o: Output): string | undefined {
  return (o.data?.[WIDGET_VIEW] as { model_id?: string } | undefined)?.model_id;
}

/** An output without its content: `stream:stdout`, `display_data:image/png,text/plain`, `widget:OcclusionExplorerModel`. */
export function outputKind(o: Output, state: Record<string, SavedWidget>): string {
  if (o.output_type === 'stream') return `stream:${o.name}`;
  if (o.output_type === 'error') return `error:${o.ename}`;
  const id = widgetId(o);
  if (id) return `widget:${state[id]?.model_name ?? 'missing from the saved state'}`;
  return `${o.output_type}:${Object.keys(o.data ?? {}).sort().join(',')}`;
}

/** An output's content, with the volatile execution count left out; list-of-lines strings joined. */
function content(o: Output): string {
  const data = Object.fromEntries(Object.entries(o.data ?? {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, Array.isArray(v) ? v.join('') : v]));
  return JSON.stringify({ type: o.output_type, name: o.name, text: text(o.text), data, ename: o.ename, evalue: o.evalue });
}

/** Where two texts first differ, for messages. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 40), i + 60));
  return `at character ${i}: committed ${around(a)}, fresh ${around(b)}`;
}

function describe(o: Output): string {
  const d = o.data ?? {};
  if (o.output_type === 'stream') return text(o.text);
  if (typeof d['text/plain'] === 'string' || Array.isArray(d['text/plain'])) return text(d['text/plain'] as string[]);
  return o.output_type;
}

function widgetContent(w: SavedWidget | undefined): string {
  if (!w) return 'missing';
  const buffers = [...(w.buffers ?? [])].sort((a, b) => a.path.join('.').localeCompare(b.path.join('.')));
  return JSON.stringify({ name: w.model_name, module: w.model_module, version: w.model_module_version, state: w.state, buffers });
}

/**
 * The differences between a committed notebook and a fresh execution of it, beyond the volatile fields
 * (see the top of this file). `fast`: the fresh run was in fast mode. Empty: the outputs are current.
 */
export function staleness(committed: Notebook, fresh: Notebook, fast: boolean): string[] {
  const out: string[] = [];
  if (committed.cells.length !== fresh.cells.length) return [`cell count: committed ${committed.cells.length}, fresh ${fresh.cells.length}`];
  const cs = widgetState(committed), fs = widgetState(fresh);
  committed.cells.forEach((c, i) => {
    const f = fresh.cells[i];
    if (c.cell_type !== f.cell_type || text(c.source) !== text(f.source)) {
      out.push(`cell ${i}: the source differs`);
      return;
    }
    if (c.cell_type !== 'code') return;
    const co = c.outputs ?? [], fo = f.outputs ?? [];
    const ck = co.map((o) => outputKind(o, cs)), fk = fo.map((o) => outputKind(o, fs));
    if (JSON.stringify(ck) !== JSON.stringify(fk)) {
      out.push(`cell ${i}: outputs committed [${ck.join('; ')}], fresh [${fk.join('; ')}]`);
      return;
    }
    if (fast && (c.metadata.tags ?? []).includes(FAST_TAG)) return;
    co.forEach((o, k) => {
      const a = content(o), b = content(fo[k]);
      if (a !== b) {
        const [da, db] = [describe(o), describe(fo[k])];
        out.push(`cell ${i}, output ${k} (${ck[k]}) differs ${da !== db ? firstDifference(da, db) : 'in its images or data'}`);
      }
      const [ia, ib] = [widgetId(o), widgetId(fo[k])];
      if (ia !== ib) out.push(`cell ${i}, output ${k}: widget id ${ia} committed, ${ib} fresh (the widgets' order changed)`);
      else if (ia && widgetContent(cs[ia]) !== widgetContent(fs[ib as string])) out.push(`cell ${i}, output ${k}: the saved state of ${ck[k]} differs`);
    });
  });
  const names = (s: Record<string, SavedWidget>) => Object.values(s).map((w) => w.model_name).join(', ');
  if (names(cs) !== names(fs)) out.push(`saved widgets: committed [${names(cs)}], fresh [${names(fs)}]`);
  return out;
}

/** What is wrong with a committed notebook without running it: it must hold a full, clean, in-order run. */
export function committedProblems(nb: Notebook): string[] {
  const out: string[] = [];
  const meta = nb.metadata.saliency_lab;
  if (meta?.mode !== 'full') out.push(`metadata.saliency_lab.mode is ${JSON.stringify(meta?.mode)}, not "full": save it with \`npm run notebooks\``);
  if (typeof meta?.seconds !== 'number') out.push('metadata.saliency_lab.seconds is missing: save it with `npm run notebooks`');
  const state = widgetState(nb);
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  code.forEach((c, i) => {
    if (c.execution_count !== i + 1) out.push(`code cell ${i + 1} has execution count ${c.execution_count}: not run top to bottom in one go`);
    for (const o of c.outputs ?? []) {
      if (o.output_type === 'error') out.push(`code cell ${i + 1} holds an error: ${o.ename}: ${o.evalue}`);
      if (o.output_type === 'stream' && o.name === 'stderr') out.push(`code cell ${i + 1} writes to stderr: ${text(o.text).slice(0, 200)}`);
      const id = widgetId(o);
      if (!id) continue;
      if (!state[id]) out.push(`code cell ${i + 1} shows widget ${id}, which metadata.widgets does not hold`);
      if (typeof o.data?.['image/png'] !== 'string' || !o.data?.['text/plain']) out.push(`code cell ${i + 1}: a widget output without its image/png and text/plain fallbacks`);
    }
  });
  return out;
}

/** Every output of the notebook's code cells, with its kind. */
export function outputs(nb: Notebook): { kind: string; output: Output }[] {
  const state = widgetState(nb);
  return nb.cells.flatMap((c) => (c.outputs ?? []).map((o) => ({ kind: outputKind(o, state), output: o })));
}
