#!/usr/bin/env node
// Which map to trust on the shipped `shapes` classifier: every measure of src/metrics on seven maps
// (six methods and a random map), at three seeds (fresh held-out images and fresh perturbation,
// imputation and randomisation seeds per seed), with the ranks per seed and which hold at every seed.
// Writes docs/metrics/ranking.md (the table the README shows), docs/metrics/results.json, and the
// plotly figures of the curves and the randomisation cascade of the first seed (`<name>.plotly.json`),
// drawn to `<name>.png` by plotly.js in Chromium (scripts/render-plotly.js) where it is installed.
// Needs the build (`npm run build`).
//   node scripts/evaluate-shipped.js [--n=8] [--seeds=1,2,3] [--reduce=signed|sumAbs|maxAbs|l2] [--out=docs/metrics]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const sl = require('../dist');
const { evaluateSeeds, formatSeedEvaluation } = require('../dist/metrics/evaluate');
const { evaluationFigures } = require('../dist/metrics/figures');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const n = Number(args.n ?? 8);
const out = path.resolve(__dirname, '..', String(args.out ?? 'docs/metrics'));

/** Data seed of the images at evaluation seed s: far from the training (s·1000 + c) and test seeds. */
const imageSeed = (s) => 7_100_000 + s;

async function main() {
  const info = await sl.ready();
  const model = await sl.loadModel('shapes');
  const random = { name: 'random', run: async (_m, x) => tf.randomUniform(x.shape.slice(0, 3), 0, 1, 'float32', 17) };
  const methods = ['saliencyMap', 'gradientTimesInput', 'guidedBackprop', 'integratedGradients', 'smoothGrad', 'gradCam', random];
  const options = {
    methods,
    reduce: String(args.reduce ?? 'signed'),
    methodOptions: { integratedGradients: { steps: 16 }, smoothGrad: { samples: 8, seed: 1 } },
    measureOptions: {
      deletion: { steps: 32 }, insertion: { steps: 32 },
      infidelity: { samples: 10 }, sensitivityMax: { samples: 3 },
    },
    seeds: String(args.seeds ?? '1,2,3').split(',').map(Number),
    onProgress: (d, t) => process.stderr.write(`\r${d}/${t} cells`),
  };
  const started = Date.now();
  const images = (seed) => {
    const d = sl.data.shapes({ n, seed: imageSeed(seed) });
    tf.dispose([d.labels, ...Object.values(d.regions)]);
    return { images: d.images, masks: d.masks };
  };
  const e = await evaluateSeeds(model, images, options);
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write('\n');
  fs.mkdirSync(out, { recursive: true });
  const table = formatSeedEvaluation(e);
  const stable = e.measures.map((k, j) => `${k}: ${e.methods.filter((_, m) => e.stable[m][j]).length}/${e.methods.length} stable`).join('; ');
  const note = `shapes, ${n} held-out images per seed (data seeds ${e.seeds.map(imageSeed).join(', ')}), seeds ${e.seeds.join(', ')}, backend ${info.name}, channels reduced by ${options.reduce}, ${seconds.toFixed(0)} s`;
  fs.writeFileSync(path.join(out, 'ranking.md'), `${table}\n\n${note}. ${stable}.\n`);
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ note, seeds: e.seeds, methods: e.methods, measures: e.measures, ranks: e.ranks, stable: e.stable, meanTable: e.meanTable, tables: e.runs.map((r) => r.table) }, null, 1));
  const figs = await evaluationFigures(e.runs[0], { title: 'shapes, seed 1' });
  for (const [name, fig] of Object.entries(figs)) {
    if (!fig) continue;
    fs.writeFileSync(path.join(out, `${name}.plotly.json`), JSON.stringify(fig.toJSON()));
    fs.writeFileSync(path.join(out, `${name}.png`), Buffer.from(fig.fallback.toPNG()));
  }
  // With Chromium (and playwright-core) at hand, plotly.js draws the PNGs with axes; else the fallbacks stay.
  try {
    await require('./render-plotly').renderDir(out);
  } catch (err) {
    console.error(`plotly rendering skipped (${err.message.split('\n')[0]}); the PNGs are the figures' raster fallbacks`);
  }
  console.log(table);
  console.log(`\n${note}. ${stable}.`);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
