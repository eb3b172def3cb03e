#!/usr/bin/env node
// Benchmark of the measures in src/metrics on the shipped 64×64 `shapes` classifier, 8 held-out images,
// with gradient saliency as the map under test: median wall and CPU ms of each measure at its defaults
// (deletion/insertion 65 curve points, infidelity and max-sensitivity 10 perturbations, the full
// randomisation cascade of 8 layers), and the forward passes of the batch where they are fixed (one of
// them fixes the target on the clean input; infidelity runs one more for f(x)), ROAD (9 fractions, both
// orders, noisy linear imputation on the host), HOG similarity, and evaluate on two methods.
// Needs the build (`npm run build`).
//   node bench/metrics.js [--backends=wasm,cpu] [--repeats=N]   run it alone
//   require('./metrics').run()                                 from bench/run.js
'use strict';
const tf = require('@tensorflow/tfjs');
const lib = require('./lib');
const sl = require('../dist');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));

async function run({ backends = String(args.backends ?? 'wasm').split(','), repeats = Number(args.repeats ?? 3) } = {}) {
  await sl.ready();
  const rows = [];
  for (const backend of backends) {
    await sl.setBackend(backend);
    const model = await sl.loadModel('shapes');
    const d = sl.data.shapes({ n: 8, seed: 7_000_004 });
    const x = d.images;
    const map = await sl.saliencyMap(model, x);
    const grad = await sl.vanillaGradient(model, x);
    const mapSq = tf.square(map);
    const forward = await lib.time(tf, () => model.predict(x), { repeats });
    const cases = [
      ['deletion (65 points)', () => sl.deletion(model, x, map), 66],
      ['insertion (65 points)', () => sl.insertion(model, x, map), 66],
      ['infidelity (10 samples)', () => sl.infidelity(model, x, grad, { seed: 1 }), 12],
      ['sensitivityMax saliencyMap (10 samples)', () => sl.sensitivityMax(model, x, 'saliencyMap', { seed: 1 }), null],
      ['localisation', () => sl.localisation(map, d.masks), 0],
      ['modelRandomisation saliencyMap (cascade)', () => sl.modelRandomisation(model, x, 'saliencyMap', { seed: 1 }), null],
      ['road (9 fractions × MoRF, LeRF)', () => sl.road(model, x, map, { seed: 1 }), 20],
      ['hogSimilarity (map vs its square)', () => sl.hogSimilarity(map, mapSq), 0],
      ['evaluate saliencyMap + gradCam (6 measures)', () => sl.evaluate(model, x, { methods: ['saliencyMap', 'gradCam'], masks: d.masks, measures: ['deletion', 'insertion', 'road', 'infidelity', 'localisation', 'randomisation'], seed: 1 }), null],
    ];
    for (const [name, fn, passes] of cases) {
      const t = await lib.time(tf, fn, { repeats });
      rows.push([backend, name, t.median.toFixed(1), t.cpu.toFixed(1), passes === null ? '' : String(passes), (t.cpu / forward.cpu).toFixed(1)]);
    }
    tf.dispose([map, mapSq, grad, d.images, d.labels, d.masks, ...Object.values(d.regions)]);
    model.dispose();
  }
  console.log(`metrics on shapes (64×64, batch 8), medians of ${repeats}; × forward = CPU ms / one forward pass of the batch`);
  console.log(lib.table(['backend', 'measure', 'wall ms', 'CPU ms', 'forward passes', '× forward'], rows));
  return rows;
}

module.exports = { run };
if (require.main === module) run().catch((e) => { console.error(e); process.exitCode = 1; });
