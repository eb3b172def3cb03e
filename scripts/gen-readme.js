#!/usr/bin/env node
/**
 * `npm run docs`: writes the README's method tables from the method registry (src/methods/registry.ts,
 * loaded from dist/ after the build), between the markers
 *
 *   <!-- generated:methods (npm run docs; do not edit by hand) -->  ...  <!-- /generated:methods -->
 *
 * and the op-coverage table from src/models/op-coverage.ts (`opCoverageTable`) between
 *
 *   <!-- generated:ops (npm run docs; do not edit by hand) -->  ...  <!-- /generated:ops -->
 *
 * `node scripts/gen-readme.js --check` exits 1 when the README differs from what it would write.
 * test/methods/readme-tables.test.ts checks the same against the sources in src/.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const BEGIN = '<!-- generated:methods (npm run docs; do not edit by hand) -->';
const END = '<!-- /generated:methods -->';
const README = path.join(__dirname, '..', 'README.md');

const code = (v) => '`' + v + '`';
const esc = (s) => String(s).replace(/\|/g, '\\|');

function showDefault(o) {
  if (o.default === null) return o.defaultText ? esc(o.defaultText) : '—';
  if (typeof o.default === 'string') return code(`'${o.default}'`);
  return code(JSON.stringify(o.default));
}

function showValid(o) {
  const range = (kind) => {
    if (o.min !== undefined && o.max !== undefined && !o.exclusiveMin) return `${kind} from ${o.min} to ${o.max}`;
    const lo = o.min !== undefined ? `${o.exclusiveMin ? '>' : '≥'} ${o.min}` : '';
    const hi = o.max !== undefined ? `≤ ${o.max}` : '';
    return [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
  };
  switch (o.type) {
    case 'integer':
      return range('integer');
    case 'number':
      return range('number');
    case 'boolean':
      return 'true, false';
    case 'choice':
      return o.choices.map(code).join(', ') + (o.orFunction ? ', or a function' : '');
    case 'layer':
      return 'a layer name (a node name for a GraphModel)';
    case 'layers':
      return 'layer names, a list (`a,b` on the command line)';
    case 'target':
      return 'an output index, one per item, or a function `[N,K]` → `[N]`';
    case 'window':
      return `pixels: a number or ${code('[height, width]')}`;
    case 'baseline':
      return [...o.choices.map((c) => code(`'${c}'`)), 'a number', 'a tensor broadcastable to the input'].join(', ');
    case 'baselines':
      return [...o.choices.map((c) => code(`'${c}'`)), 'a number', 'a tensor `[B,H,W,C]` of B baselines (or `[H,W,C]`: one)'].join(', ');
    case 'workers':
      return `${code("'auto'")} or an integer from 1 to 256`;
    case 'groups':
      return [...o.choices.map((c) => code(`'${c}'`)), 'an integer tensor `[H,W]` or `[N,H,W]` of labels'].join(', ');
    case 'fields':
      return `an object: ${Object.values(o.fields).map((f) => `${code(f.name)} (${showValid(f)})`).join(', ')}`;
    default:
      throw new Error(`gen-readme: unknown option type ${o.type}`);
  }
}

/** The generated markdown (without the markers) for a registry: `{ names, get(name) }`. */
function renderMethodTables(names, get) {
  const methods = names.map(get);
  const lines = [];
  lines.push('| method | returns | what it is | reference | loops |');
  lines.push('|---|---|---|---|---|');
  for (const m of methods) {
    const returns = m.name === 'smoothGrad' ? 'like `method`' : m.output === 'input' ? '`[N,H,W,C]`' : m.output === 'layer' ? 'the layer’s output `[N,…]`' : '`[N,H,W]`';
    lines.push(`| ${code(m.name)} | ${returns} | ${esc(m.summary)} | ${esc(m.reference)} | ${m.long ? 'yes' : ''} |`);
  }
  lines.push('');
  lines.push('Options (every one optional; `null` means the default):');
  lines.push('');
  lines.push('| option | methods | default | valid values | what it does |');
  lines.push('|---|---|---|---|---|');
  // One row per option that means the same everywhere; different defaults or limits get rows of their own.
  const rows = new Map();
  for (const m of methods) {
    for (const o of m.options) {
      const key = JSON.stringify([o.name, o.type, o.default, o.defaultText, o.min, o.max, o.exclusiveMin, o.choices, o.description]);
      if (!rows.has(key)) rows.set(key, { o, methods: [] });
      rows.get(key).methods.push(m.name);
    }
  }
  const all = methods.length;
  for (const { o, methods: ms } of rows.values()) {
    const which = ms.length === all ? 'all' : ms.map(code).join(', ');
    lines.push(`| ${code(o.name)} | ${which} | ${showDefault(o)} | ${esc(showValid(o))} | ${esc(o.description)} |`);
  }
  return lines.join('\n');
}

/** The README text with the part between `begin` and `end` replaced by `text`. */
function withBlock(readme, text, begin, end) {
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`gen-readme: README.md lacks the markers ${begin} ... ${end}`);
  return `${readme.slice(0, i + begin.length)}\n${text}\n${readme.slice(j)}`;
}

const OPS_BEGIN = '<!-- generated:ops (npm run docs; do not edit by hand) -->';
const OPS_END = '<!-- /generated:ops -->';

/** The README text with the method tables replaced. */
const withTables = (readme, tables) => withBlock(readme, tables, BEGIN, END);
/** The README text with the op-coverage table replaced. */
const withOpTable = (readme, table) => withBlock(readme, table, OPS_BEGIN, OPS_END);

module.exports = { renderMethodTables, withTables, withOpTable, BEGIN, END };

if (require.main === module) {
  const registry = require(path.join(__dirname, '..', 'dist', 'methods', 'registry'));
  const before = fs.readFileSync(README, 'utf8');
  const ops = require(path.join(__dirname, '..', 'dist', 'models', 'op-coverage'));
  const after = withOpTable(withTables(before, renderMethodTables(registry.METHOD_NAMES, registry.getMethod)), ops.opCoverageTable());
  if (process.argv.includes('--check')) {
    if (after !== before) {
      console.error('README.md: the method or op tables differ from their sources; run `npm run docs`');
      process.exit(1);
    }
    console.log('README.md: method and op tables match their sources');
  } else if (after !== before) {
    fs.writeFileSync(README, after);
    console.log('README.md: method and op tables written from their sources');
  } else {
    console.log('README.md: method and op tables already match their sources');
  }
}
