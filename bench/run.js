#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): per backend (wasm, cpu) and model (the issue's VGG-like net at
 * 224×224, a small one at 64×64), the median time of each method over repeated runs, its cost in forward
 * passes, and for methods bound by forward/backward passes the achieved GFLOP/s beside the backend's
 * measured matmul GFLOP/s. Then the other areas' benches (bench/viz.js, bench/kernel.js) if present.
 *
 * FLOPs are counted analytically (bench/lib.js): forward = Σ 2·H·W·k²·Cin·Cout over convs (+ dense);
 * an input gradient = forward + backward ≈ 2 × forward. Pooling, ReLU and elementwise work are not
 * counted, so GFLOP/s is useful work per second.
 *
 * Options: `--quick` (fewer repeats), `--backends=wasm,cpu`, `--models=vgg224,small64`.
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { spawnSync } = require('child_process');
const lib = require('./lib');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const QUICK = Boolean(args.quick);
const BACKENDS = String(args.backends ?? 'wasm,cpu').split(',');
const MODEL_NAMES = String(args.models ?? 'vgg224,small64').split(',');

/**
 * The package from dist/ (build first). While another area's module is half-written the package entry
 * may fail to load: then each method's own module is loaded instead, so the rest is still measured.
 */
function loadPackage() {
  try {
    return require('../dist');
  } catch (e) {
    console.log(`bench: dist/index.js does not load (${String(e.message).split('\n')[0]}); loading method modules one by one`);
  }
  const sl = {};
  for (const mod of ['backend', 'methods/gradient', 'methods/smooth-grad', 'methods/integrated-gradients', 'methods/guided-backprop',
    'methods/grad-cam', 'methods/occlusion']) {
    try {
      Object.assign(sl, require(`../dist/${mod}`));
    } catch (e) {
      console.log(`bench: dist/${mod}.js not available (${String(e.message).split('\n')[0]})`);
    }
  }
  if (typeof sl.setBackend !== 'function') {
    console.error('bench: dist/backend.js missing: run `npm run build` first');
    process.exit(1);
  }
  return sl;
}
const sl = loadPackage();
const tf = require('@tensorflow/tfjs');

/**
 * The methods timed, with settings sized so that the whole bench stays within a few minutes here, and
 * the FLOPs of one call in units of one forward pass of one image (null: not counted).
 * `passes` counts: an input gradient = 2 (forward + backward); the extra 1 in batched methods is the
 * forward pass on the clean input that fixes the target.
 */
const SG_SAMPLES = 16;
const IG_STEPS = 16;
const BATCH = 8;
const OCC = { window: [32, 32], stride: [32, 32] };
function occlusionPositions(size) {
  const per = (d, w, s) => Math.ceil(Math.max(d - w, 0) / s) + 1;
  return per(size, OCC.window[0], OCC.stride[0]) * per(size, OCC.window[1], OCC.stride[1]);
}

function methods(size) {
  const target = { target: 0 };
  return [
    { name: 'vanillaGradient', settings: '', passes: 2, call: (m, x) => sl.vanillaGradient(m, x, target) },
    { name: 'saliencyMap', settings: 'maxAbs', passes: 2, call: (m, x) => sl.saliencyMap(m, x, target) },
    { name: 'gradientTimesInput', settings: '', passes: 2, call: (m, x) => sl.gradientTimesInput(m, x, target) },
    { name: 'smoothGrad', batched: true, settings: `${SG_SAMPLES} samples, batch ${BATCH}`, passes: 2 * SG_SAMPLES + 1,
      call: (m, x) => sl.smoothGrad(m, x, { ...target, samples: SG_SAMPLES, batchSize: BATCH, seed: 1 }) },
    { name: 'integratedGradients', batched: true, settings: `${IG_STEPS} steps, batch ${BATCH}`, passes: 2 * IG_STEPS + 1,
      call: (m, x) => sl.integratedGradients(m, x, { ...target, steps: IG_STEPS, batchSize: BATCH }) },
    { name: 'guidedBackprop', settings: '', passes: 2, call: (m, x) => sl.guidedBackprop(m, x, target) },
    { name: 'gradCam', settings: 'last conv, upsampled', passes: null, call: (m, x) => sl.gradCam(m, x, target) },
    { name: 'occlusion', batched: true, settings: `window ${OCC.window[0]}, stride ${OCC.stride[0]}, batch ${BATCH}`,
      passes: occlusionPositions(size) + 1, call: (m, x) => sl.occlusion(m, x, { ...target, ...OCC, batchSize: BATCH }) },
  ];
}

/** Repeats per backend and model: the cpu backend at 224 is slow, so it runs fewer and skips batched methods. */
function plan(backend, modelName) {
  const slowCpu = backend === 'cpu' && modelName === 'vgg224';
  if (slowCpu) return { repeats: 1, warmup: 0, batched: false, note: 'cpu at 224: 1 run each, batched methods skipped (minutes each)' };
  if (QUICK) return { repeats: 3, warmup: 1, batched: true };
  return { repeats: modelName === 'vgg224' ? 5 : 7, warmup: 1, batched: true, batchedRepeats: 3 };
}

const fmt = (v, d = 1) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/**
 * One row: the method's median, and beside it the forward pass and the matmul probe measured just before
 * it, so that ratios and "% of matmul" compare numbers taken under the same load (this machine's cores
 * are shared, and its speed drifts by 2× over minutes).
 */
async function row(label, settings, passes, fn, ctx, opts) {
  const fwd = await lib.time(tf, ctx.forward, { repeats: ctx.fwdRepeats, warmup: ctx.fwdWarmup });
  const mm = ctx.mmOnce ?? (await lib.matmulGflops(tf, 1024, 3));
  const t = await lib.time(tf, fn, opts);
  const g = passes == null ? null : (passes * ctx.flops) / (t.median * 1e6);
  ctx.fwd.push(fwd.median);
  ctx.mm.push(mm.gflops);
  return [label, settings, t.n, fmt(t.median), fmt(t.median / fwd.median), fmt(g), fmt(mm.gflops), fmt(g == null ? null : (100 * g) / mm.gflops, 0)];
}

async function benchModel(backend, modelName) {
  const spec = lib.MODELS[modelName];
  const p = plan(backend, modelName);
  const model = lib.vggLike(tf, spec.size, spec.widths);
  const x = tf.randomUniform([1, spec.size, spec.size, 3], 0, 1, 'float32', 7);
  const ctx = {
    flops: lib.forwardFlops(spec), fwd: [], mm: [],
    forward: () => tf.tidy(() => model.predict(x)),
    fwdRepeats: backend === 'cpu' && modelName === 'vgg224' ? 1 : 3,
    fwdWarmup: backend === 'cpu' && modelName === 'vgg224' ? 0 : 1,
    // The cpu backend's 1024² matmul takes seconds here: probe it once per block, at 512².
    mmOnce: backend === 'cpu' ? await lib.matmulGflops(tf, 512, 2) : null,
  };
  await lib.time(tf, ctx.forward, { repeats: 0, warmup: 1 });
  const rows = [];
  rows.push(await row('forward pass', 'batch 1', 1, ctx.forward, ctx, { repeats: p.repeats + 2, warmup: 0 }));

  if (backend === 'wasm' && modelName === 'vgg224') {
    // The same input gradient with tfjs's own kernels (no saliency-lab rules): what the fast kernels replace.
    const grad = () => tf.tidy(() => tf.grad((xi) => tf.sum(tf.slice(model.apply(xi), [0, 0], [1, 1])))(x));
    rows.push(await row('(tf.grad, tfjs kernels)', 'before fast-kernels', 2, grad, ctx, { repeats: QUICK ? 1 : 3, warmup: 0 }));
  }

  for (const m of methods(spec.size)) {
    if (typeof sl[m.name] !== 'function') {
      rows.push([m.name, 'not available (no such export in dist/ yet)', '', '', '', '', '', '']);
      continue;
    }
    if (m.batched && !p.batched) {
      rows.push([m.name, 'skipped: ' + p.note, '', '', '', '', '', '']);
      continue;
    }
    const repeats = m.batched && p.batchedRepeats ? p.batchedRepeats : p.repeats;
    try {
      rows.push(await row(m.name, m.settings, m.passes, () => m.call(model, x), ctx, { repeats, warmup: p.warmup }));
    } catch (e) {
      rows.push([m.name, `failed: ${String(e.message).split('\n')[0].slice(0, 90)}`, '', '', '', '', '', '']);
    }
  }
  tf.dispose(x);
  model.dispose();
  return `### ${backend}: ${spec.label}, ${fmt(ctx.flops / 1e6, 0)} MFLOP per forward pass\n\n` +
    (p.note ? `${p.note}.\n` : '') +
    `Forward pass over the block: median ${fmt(lib.median(ctx.fwd))} ms; matmul ${ctx.mmOnce ? '512² (once)' : '1024²'} median ${fmt(lib.median(ctx.mm))} GFLOP/s ` +
    `(range ${fmt(Math.min(...ctx.mm))}–${fmt(Math.max(...ctx.mm))}).\n\n` +
    lib.table(['method', 'settings', 'n', 'median ms', '× forward', 'GFLOP/s', 'matmul GFLOP/s', '% of matmul'], rows);
}

function otherBench(file) {
  const full = path.join(__dirname, file);
  if (!fs.existsSync(full)) {
    console.log(`\nbench/${file}: not present, skipped`);
    return;
  }
  console.log(`\n## bench/${file}\n`);
  // Its own process: its backend and tensors cannot disturb these numbers, nor these its.
  const code = `const m = require(${JSON.stringify(full)}); if (m && typeof m.run === 'function') Promise.resolve(m.run()).catch((e) => { console.error(e); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ['-e', code], { stdio: 'inherit', timeout: 150000, cwd: path.join(__dirname, '..') });
  if (r.error || r.status !== 0) console.log(`bench/${file}: ${r.error ? r.error.message : `exited with status ${r.status}`}`);
}

async function main() {
  const t0 = Date.now();
  console.log(`saliency-lab bench: node ${process.version}, tfjs ${tf.version_core}${QUICK ? ', quick' : ''}`);
  console.log('Columns: median over n runs; × forward = median / a forward pass (batch 1) timed just before;');
  console.log('GFLOP/s = conv+dense FLOPs counted analytically / median; matmul GFLOP/s = 1024² matmul timed just before (cpu: 512², once per model).');
  // Importing the package starts choosing a backend; let that finish before switching.
  if (typeof sl.ready === 'function') await sl.ready();
  for (const backend of BACKENDS) {
    await sl.setBackend(backend);
    console.log(`\n## ${backend}`);
    for (const name of MODEL_NAMES) console.log('\n' + (await benchModel(backend, name)));
  }
  console.log(`\nsaliency-lab bench: ${fmt((Date.now() - t0) / 1000, 0)} s`);
  otherBench('viz.js');
  otherBench('kernel.js');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
