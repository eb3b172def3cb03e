#!/usr/bin/env node
/**
 * `npm run notebooks`: re-executes every tutorial in notebooks/ on the saliency-lab kernel (full mode, wasm
 * backend) and saves each with its outputs and widget state, then writes the README's table of tutorials
 * (between the markers below) from the notebooks' metadata: title, summary, run time.
 *
 *   npm run notebooks                     # build, then every notebook
 *   npm run notebooks -- 03 07            # only notebooks whose file name starts with 03 or 07
 *   node scripts/notebooks.js --readme    # only rewrite the README table from the saved notebooks
 *   node scripts/notebooks.js --readme --check   # exit 1 when the README table differs
 *
 * It needs Debian's Jupyter (`bash scripts/setup-system.sh`; SALIENCY_TEST_PYTHON names another Python
 * with nbclient) and the built package (`npm run build`; the npm script builds first). The kernelspec is
 * installed into a temporary prefix with `saliency-lab install --prefix`, so the notebooks run on this
 * working tree's kernel whatever is installed for the user.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const README = path.join(ROOT, 'README.md');
const PYTHON = process.env.SALIENCY_TEST_PYTHON || '/usr/bin/python3';
const BEGIN = '<!-- generated:notebooks (npm run notebooks; do not edit by hand) -->';
const END = '<!-- /generated:notebooks -->';

/** The tutorial notebooks, in order: `NN-name.ipynb`. */
function notebookFiles() {
  return fs.readdirSync(NOTEBOOKS).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
}

/** The README table of tutorials, from each notebook's first heading and `metadata.saliency_lab`. */
function renderTable(files = notebookFiles()) {
  const lines = ['| notebook | what it teaches | run time (full mode, wasm) |', '|---|---|---|'];
  for (const f of files) {
    const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), 'utf8'));
    const first = nb.cells.find((c) => c.cell_type === 'markdown');
    const heading = [first ? first.source : ''].flat().join('').split('\n').find((l) => l.startsWith('# '));
    const meta = nb.metadata.saliency_lab || {};
    if (!heading || !meta.summary) throw new Error(`${f}: needs a "# title" in its first markdown cell and metadata.saliency_lab.summary`);
    const time = typeof meta.seconds !== 'number' ? 'not run' : meta.seconds < 120 ? `${meta.seconds} s` : `${(meta.seconds / 60).toFixed(1)} min`;
    lines.push(`| [${heading.slice(2).trim().replace(/\|/g, '\\|')}](notebooks/${f}) | ${meta.summary.replace(/\|/g, '\\|')} | ${time} |`);
  }
  return lines.join('\n');
}

function withTable(readme, table) {
  const i = readme.indexOf(BEGIN);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error(`notebooks: README.md lacks the markers ${BEGIN} ... ${END}`);
  return `${readme.slice(0, i + BEGIN.length)}\n${table}\n${readme.slice(j)}`;
}

function writeReadme(check) {
  const before = fs.readFileSync(README, 'utf8');
  const after = withTable(before, renderTable());
  if (check) {
    if (after !== before) {
      console.error('README.md: the table of tutorials differs from the notebooks; run `node scripts/notebooks.js --readme`');
      process.exit(1);
    }
    console.log('README.md: the table of tutorials matches the notebooks');
  } else if (after !== before) {
    fs.writeFileSync(README, after);
    console.log('README.md: table of tutorials written');
  }
}

function installKernelSpec() {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-notebooks-'));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'saliency-lab.js'), 'install', '--prefix', prefix, '--python', PYTHON], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`saliency-lab install failed:\n${r.stderr}${r.stdout}`);
  return prefix;
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--readme')) return writeReadme(args.includes('--check'));
  const wanted = args.filter((a) => !a.startsWith('--'));
  const files = notebookFiles().filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
  if (files.length === 0) throw new Error(`notebooks: no notebook matches ${wanted.join(', ')}; notebooks: ${notebookFiles().join(', ')}`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'kernel', 'server.js'))) throw new Error('notebooks: dist/ is missing: run `npm run build`');
  const prefix = installKernelSpec();
  const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'), PYTHONDONTWRITEBYTECODE: '1' };
  let failed = 0;
  try {
    for (const f of files) {
      const file = path.join(NOTEBOOKS, f);
      const r = spawnSync(PYTHON, [path.join(__dirname, 'notebooks.py'), file, file], { env, stdio: 'inherit' });
      if (r.status !== 0) {
        failed++;
        console.error(`${f}: execution failed (the saved notebook is unchanged)`);
      }
    }
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
  writeReadme(false);
  if (failed) process.exit(1);
}

module.exports = { renderTable, withTable, notebookFiles, BEGIN, END };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
