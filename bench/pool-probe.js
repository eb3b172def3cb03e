#!/usr/bin/env node
/**
 * A probe for issue 16's occlusion row (not part of `npm run bench`): times methods with 1 and 2 pool
 * workers in the order given by SEQ (sg, ig, sc, occ), each call through bench/lib's measure, with the
 * occlusion run's progress marks (NOP=1: no onProgress). Stop 21 found that occlusion with 2 workers is
 * 1.8–1.9× in this probe and in `PONLY`-style single-method runs of bench/run.js, but 1.15–1.2× in
 * `node bench/run.js --only=pool` after the other three methods; a round trip to the workers after each
 * 2-worker call (workerStats) made the bench's row 1.9× again. Unexplained: see the issue's notes.
 *   SEQ=sg,ig,sc,occ node bench/pool-probe.js
 */
const tf = require('@tensorflow/tfjs');
const lib = require('./lib');
const sl = require('../dist');
(async () => {
  await sl.ready?.();
  await sl.setBackend('wasm');
  const model = lib.vggLike(tf, 224, [32, 64, 128, 128]);
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 7);
  const t = { target: 0 };
  const all = {
    sg: (w) => sl.smoothGrad(model, x, { ...t, samples: 16, batchSize: 4, seed: 1, workers: w }),
    ig: (w) => sl.integratedGradients(model, x, { ...t, steps: 16, batchSize: 4, workers: w }),
    sc: (w) => sl.scoreCam(model, x, { ...t, batchSize: 16, workers: w }),
    occ: (w, p) => sl.occlusion(model, x, { ...t, window: 32, stride: 16, batchSize: 8, algorithm: 'full', workers: w, ...(process.env.NOP ? {} : { onProgress: p }) }),
  };
  for (const name of (process.env.SEQ || 'occ').split(',')) {
    for (const w of [1, 2, 1, 2]) {
      const t0 = Date.now(); const marks = [];
      const r = await lib.measure(tf, () => all[name](w, (d) => marks.push(`${d}@${Date.now() - t0}`)));
      console.log(name, w, r.wall.toFixed(0), 'cpu', r.cpu.toFixed(0), marks.slice(0, 4).join(' '), '..', marks.slice(-3).join(' '));
    }
  }
  sl.disposePool();
  process.exit(0);
})();
