#!/usr/bin/env node
// Benchmark of feature visualization: optimization steps per second of activation maximization (pixel
// and Fourier parameterizations), the filter gallery (8 channels in one batch), feature inversion and
// DeepDream (one octave, so every step is at full size), on the bench models at 64×64 and 224×224.
// Needs the build (`npm run build`).
//   node bench/featurevis.js [--backends=wasm,cpu] [--steps=N]   run it alone
//   require('./featurevis').run()                               from bench/run.js; resolves to the rows
'use strict';
const tf = require('@tensorflow/tfjs');
const lib = require('./lib');
// The methods' own modules, so that a broken build elsewhere does not stop this benchmark.
const { setBackend } = require('../dist/backend');
const { activationMaximization, filterGallery } = require('../dist/methods/activation-maximization');
const { featureInversion } = require('../dist/methods/feature-inversion');
const { deepDream } = require('../dist/methods/deep-dream');

/** Steps per second of one call with `steps` steps, after a 2-step warm-up (first-call costs). */
async function stepsPerSecond(fn, steps) {
  tf.dispose(await fn(2));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = await fn(steps);
  await out.data();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  out.dispose();
  return { perSecond: steps / wall, perCpuSecond: steps / ((c.user + c.system) / 1e6) };
}

/** Runs the cases; prints a table unless `quiet`. Resolves to one row per case. */
async function run({ backends = ['wasm'], steps = { 64: 20, 224: 4 }, quiet = false } = {}) {
  const rows = [];
  for (const backend of backends) {
    await setBackend(backend);
    for (const key of ['small64', 'vgg224']) {
      const spec = lib.MODELS[key];
      const model = lib.vggLike(tf, spec.size, spec.widths);
      const layer = model.layers[2].name; // the second convolution
      const picture = tf.randomUniform([1, spec.size, spec.size, 3], 0, 1, 'float32', 7);
      const n = backend === 'cpu' ? Math.max(2, Math.round(steps[spec.size] / 4)) : steps[spec.size];
      const cases = [
        ['activationMaximization, pixel', (s) => activationMaximization(model, { layer, channel: 0, steps: s })],
        ['activationMaximization, fourier', (s) => activationMaximization(model, { layer, channel: 0, steps: s, parameterization: 'fourier' })],
        ['filterGallery, 8 channels', (s) => filterGallery(model, layer, { channels: [0, 1, 2, 3, 4, 5, 6, 7], steps: s })],
        ['featureInversion', (s) => featureInversion(model, picture, { layer, steps: s })],
        ['deepDream, 1 octave', (s) => deepDream(model, picture, { layers: { [layer]: 1 }, octaves: 1, steps: s })],
      ];
      for (const [name, fn] of cases) {
        const r = await stepsPerSecond(fn, n);
        rows.push({ backend, size: `${spec.size}×${spec.size}`, case: name, steps: n, steps_per_s: +r.perSecond.toFixed(2), steps_per_cpu_s: +r.perCpuSecond.toFixed(2) });
      }
      picture.dispose();
      model.dispose();
    }
  }
  if (!quiet) {
    const os = require('os');
    console.log(`feature-visualization benchmark (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; models: ${lib.MODELS.small64.label}, ${lib.MODELS.vgg224.label})`);
    console.log(lib.table(['backend', 'size', 'case', 'steps', 'steps/s', 'steps/CPU-s'], rows.map((r) => [r.backend, r.size, r.case, r.steps, r.steps_per_s, r.steps_per_cpu_s])));
  }
  return rows;
}

module.exports = { run };

if (require.main === module) {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }));
  const backends = String(args.backends ?? 'wasm').split(',');
  const steps = args.steps ? { 64: Number(args.steps), 224: Number(args.steps) } : undefined;
  run({ backends, ...(steps ? { steps } : {}) }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
