#!/usr/bin/env node
/**
 * Fast occlusion (issue 14), in one run on wasm: for the VGG-like 224×224 net and a MobileNetV2 at 224×224
 * (the zoo's bench fixture), patch 16 and stride 8 (729 windows), the CPU seconds of full occlusion,
 * incremental occlusion and each approximation (Krypton's projective-field threshold τ, adaptive
 * drill-down, both), their speed-ups over full and the top-10% region IoU of each map with the exact one
 * (random-weight nets: a stress test of the approximations); then the approximations' accuracy where the
 * issue measures it, on the shipped `shapes` classifier's held-out images (window 16, stride 8): the
 * smallest and the mean top-10% IoU with the exact map over the images. One untimed warm-up per model and
 * algorithm first. Timings are process CPU seconds (this machine's cores are shared: wall time is not
 * comparable between rows); compare ratios within one run.
 *
 *   node bench/occlusion.js [--repeats=1] [--models=vgg224,mobilenetV2,small64] [--images=8]   (after npm run build)
 *   require('./occlusion').run()                                                            from bench/run.js
 */
'use strict';
const path = require('path');
const tf = require('@tensorflow/tfjs');
const lib = require('./lib');
const { requireTs } = require('./mobilenet');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const REPEATS = Number(args.repeats ?? 1);
const MODELS = String(args.models ?? 'vgg224,mobilenetV2').split(',');
const IMAGES = Number(args.images ?? 8);
const OPTIONS = { window: 16, stride: 8, target: 0, batchSize: 32 };
/** τ and drill-down fraction of the approximate rows (the combined row is the "approximate mode"). */
const TAU = 0.6;
const DRILL = 0.25;
const VARIANTS = [
  ['full', { algorithm: 'full' }],
  ['incremental', { algorithm: 'incremental' }],
  [`τ ${TAU}`, { algorithm: 'incremental', approximate: { tau: TAU } }],
  [`drill-down ${DRILL}`, { algorithm: 'incremental', approximate: { drillDown: DRILL } }],
  [`τ ${TAU} + drill-down ${DRILL}`, { algorithm: 'incremental', approximate: { tau: TAU, drillDown: DRILL } }],
];
/** The approximations whose accuracy is measured on the shipped classifier. */
const ACCURACY = [
  ['τ 0.75', { tau: 0.75 }], ['τ 0.6', { tau: 0.6 }], ['τ 0.5', { tau: 0.5 }], ['τ 0.4', { tau: 0.4 }],
  [`drill-down ${DRILL}`, { drillDown: DRILL }], [`τ ${TAU} + drill-down ${DRILL}`, { tau: TAU, drillDown: DRILL }],
];

/** Per item, the IoU of the top `fraction` of pixels of two maps [N,H,W] given as flat arrays. */
function topIoU(a, b, n, fraction) {
  const size = a.length / n;
  const k = Math.ceil(fraction * size);
  return Array.from({ length: n }, (_, item) => {
    const top = (v) => new Set(Array.from({ length: size }, (_, i) => i).sort((p, q) => v[item * size + q] - v[item * size + p]).slice(0, k));
    const [sa, sb] = [top(a), top(b)];
    const inter = [...sa].filter((i) => sb.has(i)).length;
    return inter / (sa.size + sb.size - inter);
  });
}

const fmt = (v, d = 2) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(d));

async function run() {
  const sl = require('../dist');
  await sl.setBackend('wasm');
  const models = {
    vgg224: () => lib.vggLike(tf, 224, lib.MODELS.vgg224.widths),
    small64: () => lib.vggLike(tf, 64, lib.MODELS.small64.widths),
    mobilenetV2: () => requireTs(path.join(__dirname, '..', 'test/fixtures/zoo/index.ts')).mobileNetV2Bench(),
  };
  console.log(`occlusion on ${tf.getBackend()}, window ${OPTIONS.window}, stride ${OPTIONS.stride}, batch ${OPTIONS.batchSize}, median of ${REPEATS} (CPU seconds); load average ${require('os').loadavg().map((v) => v.toFixed(1)).join(' ')}\n`);
  const rows = [];
  const checks = [];
  for (const name of MODELS) {
    const model = models[name]();
    const size = model.inputs[0].shape[1];
    const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7);
    // Warm-up (untimed): kernels set up, the first large allocations made, for both algorithms.
    for (const algorithm of ['full', 'incremental']) (await sl.occlusion(model, x, { ...OPTIONS, stride: Math.floor(size / 3), algorithm })).dispose();
    let exact = null;
    let fullSeconds = null;
    for (const [label, extra] of VARIANTS) {
      const times = [];
      let map = null;
      for (let i = 0; i < REPEATS; i++) {
        let out = null;
        const t = await lib.measure(tf, async () => {
          out = await sl.occlusion(model, x, { ...OPTIONS, ...extra });
        });
        times.push(t.cpu / 1000);
        if (map) out.dispose();
        else map = out;
      }
      const values = await map.data();
      map.dispose();
      const seconds = lib.median(times);
      if (label === 'full') [exact, fullSeconds] = [values, seconds];
      const iou = topIoU(exact, values, 1, 0.1)[0];
      const speedup = fullSeconds / seconds;
      rows.push([name, label, fmt(seconds), `${fmt(speedup, 1)}×`, fmt(iou, 3)]);
      if (label === 'incremental') checks.push(`- ${name}: incremental ≥ 3× faster than full: ${fmt(speedup, 1)}× → ${speedup >= 3 ? 'met' : 'NOT met'}`);
      if (label === VARIANTS[VARIANTS.length - 1][0]) checks.push(`- ${name}: ${label} ≥ 10× faster than full: ${fmt(speedup, 1)}× → ${speedup >= 10 ? 'met' : 'NOT met'}`);
    }
    x.dispose();
    model.dispose();
  }
  console.log(lib.table(['model', 'algorithm', 'seconds', 'speed-up', 'top-10% IoU'], rows));

  // Accuracy on the shipped classifier's held-out images (the IoU ≥ 0.9 condition).
  const shapes = await sl.loadModel('shapes');
  const d = sl.data.shapes({ n: IMAGES, seed: sl.heldOutSeed(1), size: 64 });
  tf.dispose([d.labels, d.masks, ...Object.values(d.regions)]);
  const base = { window: 16, stride: 8 };
  const exactMap = await sl.occlusion(shapes, d.images, { ...base, algorithm: 'full' });
  const exactShapes = await exactMap.data();
  exactMap.dispose();
  const accuracy = [];
  for (const [label, approximate] of ACCURACY) {
    const m = await sl.occlusion(shapes, d.images, { ...base, approximate });
    const ious = topIoU(exactShapes, await m.data(), IMAGES, 0.1);
    m.dispose();
    const min = Math.min(...ious);
    accuracy.push([label, fmt(min, 3), fmt(ious.reduce((a, b) => a + b, 0) / IMAGES, 3), min >= 0.9 ? 'yes' : 'no']);
    if (label === VARIANTS[VARIANTS.length - 1][0]) checks.push(`- shapes (${IMAGES} held-out images): ${label} top-10% IoU ≥ 0.9 on every image: smallest ${fmt(min, 3)} → ${min >= 0.9 ? 'met' : 'NOT met'}`);
  }
  d.images.dispose();
  shapes.dispose();
  console.log(`\nshapes classifier, ${IMAGES} held-out images, window 16, stride 8: top-10% region IoU with the exact map\n`);
  console.log(lib.table(['approximation', 'smallest IoU', 'mean IoU', 'all ≥ 0.9'], accuracy));
  console.log(`\n${checks.join('\n')}`);
}

module.exports = { run };
if (require.main === module) run().catch((e) => {
  console.error(e);
  process.exit(1);
});
