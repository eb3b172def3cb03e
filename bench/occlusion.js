#!/usr/bin/env node
/**
 * Fast occlusion (issue 14): on wasm, for the VGG-like 224×224 net and a MobileNetV2 at 224×224, patch 16
 * and stride 8 (729 windows), the median seconds of full occlusion, incremental occlusion and the
 * drill-down approximation (drillDown 0.25, incremental), their speed-ups over full, and the top-10%
 * region IoU of each map with the exact one. Timings need a quiet machine.
 *
 *   node bench/occlusion.js [--repeats=3] [--models=vgg224,mobilenetV2,small64]     (after npm run build)
 *   require('./occlusion').run()                                             from bench/run.js
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
const OPTIONS = { window: 16, stride: 8, target: 0, batchSize: 32 };
const VARIANTS = [
  ['full', { algorithm: 'full' }],
  ['incremental', { algorithm: 'incremental' }],
  ['drill-down 0.25 (incremental)', { algorithm: 'incremental', drillDown: 0.25 }],
  ['drill-down 0.25 (full)', { algorithm: 'full', drillDown: 0.25 }],
];

/** IoU of the top `fraction` of pixels of two maps [1,H,W]. */
function topIoU(a, b, fraction) {
  const k = Math.ceil(fraction * a.length);
  const top = (v) => new Set(Array.from(v.keys()).sort((p, q) => v[q] - v[p]).slice(0, k));
  const [sa, sb] = [top(a), top(b)];
  const inter = [...sa].filter((i) => sb.has(i)).length;
  return inter / (sa.size + sb.size - inter);
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
  console.log(`occlusion on wasm, window ${OPTIONS.window}, stride ${OPTIONS.stride}, batch ${OPTIONS.batchSize}, median of ${REPEATS} (CPU seconds)\n`);
  const rows = [];
  const checks = [];
  for (const name of MODELS) {
    const model = models[name]();
    const size = model.inputs[0].shape[1];
    const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7);
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
      const iou = topIoU(exact, values, 0.1);
      const speedup = fullSeconds / seconds;
      rows.push([name, label, fmt(seconds), `${fmt(speedup, 1)}×`, fmt(iou, 3)]);
      if (label === 'incremental') checks.push(`- ${name}: incremental ≥ 3× faster than full: ${fmt(speedup, 1)}× → ${speedup >= 3 ? 'met' : 'NOT met'}`);
      if (label.startsWith('drill-down 0.25 (incremental)')) checks.push(`- ${name}: drill-down ≥ 10× faster with top-10% IoU ≥ 0.9: ${fmt(speedup, 1)}×, IoU ${fmt(iou, 3)} → ${speedup >= 10 && iou >= 0.9 ? 'met' : 'NOT met'}`);
    }
    x.dispose();
    model.dispose();
  }
  console.log(lib.table(['model', 'algorithm', 'seconds', 'speed-up', 'top-10% IoU'], rows));
  console.log(`\n${checks.join('\n')}`);
}

module.exports = { run };
if (require.main === module) run().catch((e) => {
  console.error(e);
  process.exit(1);
});
