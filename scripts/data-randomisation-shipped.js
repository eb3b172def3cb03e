#!/usr/bin/env node
// The data randomisation test (Adebayo et al. 2018) on the shipped `shapes` classifier: the shapes
// architecture trained on 256 images with permuted labels (trainShuffledLabels, its defaults: 40 epochs,
// seed 1), then for each method the similarity of the shipped model's and the shuffled-label model's maps
// on 8 held-out images. Writes docs/metrics/data-randomisation.md. Needs the build (`npm run build`).
//   node scripts/data-randomisation-shipped.js [--out=docs/metrics]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const sl = require('../dist');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const out = path.resolve(__dirname, '..', String(args.out ?? 'docs/metrics'));

async function main() {
  await sl.ready();
  const model = await sl.loadModel('shapes');
  const { model: shuffled, fit } = await sl.trainShuffledLabels('shapes', {
    onProgress: (p) => process.stderr.write(`\rtraining ${p.batch}/${p.batches}, loss ${p.loss.toFixed(3)}`),
  });
  process.stderr.write('\n');
  const d = sl.data.shapes({ n: 8, seed: 7_100_101 });
  const methods = ['saliencyMap', 'gradientTimesInput', 'guidedBackprop', 'integratedGradients', 'gradCam'];
  const methodOptions = { integratedGradients: { steps: 16 } };
  const mean = (v) => (v ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(2) : '—');
  const rows = [];
  for (const m of methods) {
    const r = await sl.dataRandomisation(model, d.images, m, { shuffled, methodOptions: methodOptions[m] });
    rows.push(`| ${m} | ${mean(r.spearman)} | ${mean(r.spearmanAbs)} | ${mean(r.ssim)} | ${mean(r.hog)} |`);
  }
  const table = ['| method | Spearman | Spearman of \\|values\\| | SSIM | HOG |', '|---|---|---|---|---|', ...rows].join('\n');
  const note = `shuffled-label model: ${fit.images} images, ${fit.epochs} epochs, seed ${fit.seed}, ${fit.seconds.toFixed(0)} s on ${fit.backend}; ` +
    `accuracy on its permuted labels ${(100 * fit.accuracy).toFixed(1)}% (chance ${(100 * fit.chance).toFixed(1)}%); 8 held-out images (data seed 7100101)`;
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'data-randomisation.md'), `${table}\n\n${note}.\n`);
  console.log(`${table}\n\n${note}.`);
  tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
  shuffled.dispose();
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
