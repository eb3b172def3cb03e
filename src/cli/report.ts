/**
 * A self-contained HTML report: pictures as PNG data URLs, plotly figures drawn by plotly.js inlined in
 * the page (from the `plotly.js-dist-min` package), tables and notes. The file opens without network
 * and without the package beside it, so it can be mailed or attached to an issue.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PlotlySpec } from '../viz/plotly';

export type Block =
  | { kind: 'image'; title: string; png: Uint8Array; caption?: string; file?: string }
  | { kind: 'figure'; title: string; spec: PlotlySpec }
  | { kind: 'table'; title?: string; head: string[]; rows: string[][] }
  | { kind: 'note'; text: string };

export interface Section {
  title: string;
  intro?: string;
  blocks: Block[];
}

export interface Report {
  title: string;
  /** Lines under the title (backend, mode, date, times). */
  meta: string[];
  sections: Section[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** plotly.js's minified bundle, read from the installed package. */
export function plotlyBundle(): string {
  return fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #555; margin: 0; }
section { margin-top: 2.5em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }
figcaption { color: #444; font-size: 13px; max-width: 900px; }
table { border-collapse: collapse; margin: 0.8em 0; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff8e1; border-left: 4px solid #f0c000; padding: 0.4em 0.8em; }
.plot { width: 100%; min-height: 360px; }
`;

function renderBlock(b: Block, figures: { id: string; spec: PlotlySpec }[]): string {
  switch (b.kind) {
    case 'image': {
      const src = `data:image/png;base64,${Buffer.from(b.png).toString('base64')}`;
      const caption = [b.title, b.caption].filter(Boolean).map((t) => escapeHtml(t!)).join(': ');
      return `<figure><img alt="${escapeHtml(b.title)}" src="${src}"${b.file ? ` data-file="${escapeHtml(b.file)}"` : ''}><figcaption>${caption}</figcaption></figure>`;
    }
    case 'figure': {
      const id = `plot${figures.length}`;
      figures.push({ id, spec: b.spec });
      return `<h3>${escapeHtml(b.title)}</h3><div class="plot" id="${id}"></div>`;
    }
    case 'table': {
      const num = (s: string) => /^[-+]?[\d.,]+(\s?(ms|s|×|%))?$/.test(s);
      const head = `<tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
      const rows = b.rows.map((r) => `<tr>${r.map((c) => `<td${num(c) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
      return `${b.title ? `<h3>${escapeHtml(b.title)}</h3>` : ''}<table>${head}\n${rows}</table>`;
    }
    case 'note': return `<p class="note">${escapeHtml(b.text)}</p>`;
  }
}

/** The report as one HTML page; `plotly` is the plotly.js source to inline (default: the installed bundle). */
export function renderReport(report: Report, plotly: string = plotlyBundle()): string {
  const figures: { id: string; spec: PlotlySpec }[] = [];
  const body = report.sections.map((s) => [
    `<section><h2>${escapeHtml(s.title)}</h2>`,
    s.intro ? `<p>${escapeHtml(s.intro)}</p>` : '',
    ...s.blocks.map((b) => renderBlock(b, figures)),
    '</section>',
  ].join('\n')).join('\n');
  const draw = figures.length === 0 ? '' : `<script>
(function () {
  var figures = ${scriptJson(figures)};
  window.saliencyLabPlotsDrawn = 0;
  figures.forEach(function (f) {
    Plotly.newPlot(f.id, f.spec.data, f.spec.layout, { responsive: true, displaylogo: false })
      .then(function () { window.saliencyLabPlotsDrawn += 1; });
  });
})();
</script>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
${figures.length ? `<script>${plotly.replace(/<\/script/gi, '<\\/script')}</script>` : ''}
</head><body>
<h1>${escapeHtml(report.title)}</h1>
${report.meta.map((m) => `<p class="meta">${escapeHtml(m)}</p>`).join('\n')}
${body}
${draw}
</body></html>
`;
}

/** Writes the report to `file` (creating folders) and returns its absolute path. */
export async function writeReport(file: string, report: Report): Promise<string> {
  const abs = path.resolve(file);
  await fs.promises.mkdir(path.dirname(abs), { recursive: true });
  await fs.promises.writeFile(abs, renderReport(report));
  return abs;
}
