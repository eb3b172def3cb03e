#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): per backend (wasm, cpu) and model (the issue's VGG-like net at
 * 224×224, a small one at 64×64), the median time of each method over repeated runs, its cost in forward
 * passes, and for methods bound by forward/backward passes the achieved GFLOP/s beside the backend's
 * measured matmul GFLOP/s. Then the other areas' benches (bench/viz.js, bench/kernel.js) if present.
 *
 * FLOPs are counted from the layers (bench/lib.js modelFlops): forward = Σ 2·H·W·k²·Cin·Cout over convs (+ dense);
 * an input gradient = forward + backward ≈ 2 × forward. Pooling, ReLU and elementwise work are not
 * counted, so GFLOP/s is useful work per second.
 *
 * Then the worker pool (issue 16): each long method with 1 and 2 workers on wasm, and the ratio.
 *
 * Options: `--quick` (fewer repeats), `--backends=wasm,cpu`, `--models=vgg224,small64,shapes` (shapes: the
 * shipped classifier), `--only=pool`
 * (the worker-pool rows alone), `--methods=a,b` (the forward pass and these methods' rows alone: no
 * kernel, pool or other benches).
 */
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const lib = require('./lib');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const QUICK = Boolean(args.quick);
const BACKENDS = String(args.backends ?? 'wasm,cpu').split(',');
const MODEL_NAMES = String(args.models ?? 'vgg224,small64').split(',');
const ONLY_METHODS = args.methods ? String(args.methods).split(',') : null;

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
  for (const mod of ['backend', 'methods/gradient', 'methods/smooth-grad', 'methods/integrated-gradients', 'methods/deep-lift', 'methods/deep-lift-shap', 'methods/gradient-shap',
    'methods/expected-gradients', 'methods/guided-ig', 'methods/blur-ig', 'methods/xrai', 'methods/guided-backprop',
    'methods/grad-cam', 'methods/x-grad-cam', 'methods/hi-res-cam', 'methods/eigen-cam', 'methods/ablation-cam', 'methods/occlusion',
    'methods/feature-ablation', 'methods/shapley-sampling', 'methods/lime', 'methods/kernel-shap', 'methods/rise']) {
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
const SHAP_SAMPLES = 8;
const XRAI_STEPS = 8;
const BATCH = 8;
const OCC = { window: [32, 32], stride: [32, 32] };
const PG = { groups: 'grid', segments: 16 };
const SV_SAMPLES = 4;
const SURROGATE_SAMPLES = 32;
const RISE_MASKS = 64;
function occlusionPositions(size) {
  const per = (d, w, s) => Math.ceil(Math.max(d - w, 0) / s) + 1;
  return per(size, OCC.window[0], OCC.stride[0]) * per(size, OCC.window[1], OCC.stride[1]);
}

function methods(size) {
  // In process: these rows measure one thread's CPU time (the pool's rows are in benchPool).
  const target = { target: 0, workers: 1 };
  return [
    { name: 'vanillaGradient', settings: '', passes: 2, call: (m, x) => sl.vanillaGradient(m, x, target) },
    { name: 'saliencyMap', settings: 'maxAbs', passes: 2, call: (m, x) => sl.saliencyMap(m, x, target) },
    { name: 'gradientTimesInput', settings: '', passes: 2, call: (m, x) => sl.gradientTimesInput(m, x, target) },
    { name: 'smoothGrad', batched: true, settings: `${SG_SAMPLES} samples, batch ${BATCH}`, passes: 2 * SG_SAMPLES + 1,
      call: (m, x) => sl.smoothGrad(m, x, { ...target, samples: SG_SAMPLES, batchSize: BATCH, seed: 1 }) },
    { name: 'integratedGradients', batched: true, settings: `${IG_STEPS} steps, batch ${BATCH}`, passes: 2 * IG_STEPS + 1,
      call: (m, x) => sl.integratedGradients(m, x, { ...target, steps: IG_STEPS, batchSize: BATCH }) },
    // Layer attributions at the default (CAM) layer: per path point a forward pass, and a backward pass
    // over what follows the layer (conductance: also the head on the next point); not counted.
    { name: 'layerConductance', batched: true, settings: `default layer, ${IG_STEPS} steps, batch ${BATCH}`, passes: null,
      call: (m, x) => sl.layerConductance(m, x, { target: 0, steps: IG_STEPS, batchSize: BATCH }) },
    { name: 'internalInfluence', batched: true, settings: `default layer, ${IG_STEPS} steps, batch ${BATCH}`, passes: null,
      call: (m, x) => sl.internalInfluence(m, x, { target: 0, steps: IG_STEPS, batchSize: BATCH }) },
    { name: 'layerIntegratedGradients', batched: true, settings: `default layer, ${IG_STEPS} steps, batch ${BATCH}`, passes: null,
      call: (m, x) => sl.layerIntegratedGradients(m, x, { target: 0, steps: IG_STEPS, batchSize: BATCH }) },
    // The head (input to the layer) forward and backward.
    { name: 'neuronGradient', settings: 'default layer, sum of its units', passes: null, call: (m, x) => sl.neuronGradient(m, x) },
    { name: 'guidedBackprop', settings: '', passes: 2, call: (m, x) => sl.guidedBackprop(m, x, target) },
    // One input gradient over the batch [x; x′] (2 images).
    { name: 'deepLift', settings: 'zeros baseline', passes: 4, call: (m, x) => sl.deepLift(m, x, target) },
    // The clean forward pass, then one DeepLift call over both pairs: its own target pass (2 images) and one gradient of [x, x; b₁, b₂] (4 images).
    { name: 'deepLiftShap', batched: true, settings: "'minMax' (2 baselines)", passes: 1 + 2 + 8,
      call: (m, x) => sl.deepLiftShap(m, x, { ...target, baselines: 'minMax' }) },
    { name: 'gradientShap', batched: true, settings: `${SHAP_SAMPLES} samples, stdevs 0.1, batch ${BATCH}`, passes: 2 * SHAP_SAMPLES + 1,
      call: (m, x) => sl.gradientShap(m, x, { ...target, samples: SHAP_SAMPLES, stdevs: 0.1, batchSize: BATCH, seed: 1 }) },
    { name: 'expectedGradients', batched: true, settings: `${SHAP_SAMPLES} samples, 'minMax', batch ${BATCH}`, passes: 2 * SHAP_SAMPLES + 1,
      call: (m, x) => sl.expectedGradients(m, x, { ...target, samples: SHAP_SAMPLES, baselines: 'minMax', batchSize: BATCH, seed: 1 }) },
    // One gradient a step (they depend on each other), plus the path's selection in JS (float64), which is not counted.
    { name: 'guidedIg', batched: true, settings: `${IG_STEPS} steps, fraction 0.25, maxDist 0.02`, passes: 2 * IG_STEPS + 1,
      call: (m, x) => sl.guidedIg(m, x, { ...target, steps: IG_STEPS }) },
    // The blurs (two matrix products per image and σ) are not counted.
    { name: 'blurIg', batched: true, settings: `${IG_STEPS} steps, maxSigma 50, batch ${BATCH}`, passes: 2 * IG_STEPS + 1,
      call: (m, x) => sl.blurIg(m, x, { ...target, steps: IG_STEPS, batchSize: BATCH }) },
    // IG against two baselines, then the segmentation (Felzenszwalb at 224×224, six scales) and region growth in JS, not counted.
    { name: 'xrai', batched: true, settings: `${XRAI_STEPS} IG steps × 2 baselines, batch ${BATCH}`, passes: 2 * 2 * XRAI_STEPS + 1,
      call: (m, x) => sl.xrai(m, x, { ...target, steps: XRAI_STEPS, batchSize: BATCH }) },
    // A forward pass, then per weighted layer its linear map once more (z) and one vector-Jacobian product;
    // the composite's γ-rule layers and z^B input layer add modified-weight maps: not counted.
    { name: 'lrp', settings: 'ε-rule', passes: null, call: (m, x) => sl.lrp(m, x, { target: 0 }) },
    { name: 'lrp', settings: 'composite (z^B, γ, ε, LRP-0)', passes: null, call: (m, x) => sl.lrp(m, x, { target: 0, rule: 'composite' }) },
    // One forward pass: the network runs up to the layer once, the target comes from that pass, and the
    // backward pass covers only the tail (global pooling and the dense layer here), which is not counted.
    { name: 'gradCam', settings: 'default layer, upsampled', passes: 1, call: (m, x) => sl.gradCam(m, x, target) },
    { name: 'xGradCam', settings: 'default layer, upsampled', passes: 1, call: (m, x) => sl.xGradCam(m, x, target) },
    { name: 'hiResCam', settings: 'default layer, upsampled', passes: 1, call: (m, x) => sl.hiResCam(m, x, target) },
    // Six augmented inputs, each one Grad-CAM pass; the principal component of w·A in JS: not counted.
    { name: 'gradCam', settings: 'augSmooth (6 inputs)', passes: 6, call: (m, x) => sl.gradCam(m, x, { ...target, augSmooth: true }) },
    { name: 'gradCam', settings: 'eigenSmooth', passes: null, call: (m, x) => sl.gradCam(m, x, { ...target, eigenSmooth: true }) },
    // One Grad-CAM pass per layer (two by default) and the target's forward pass.
    { name: 'multiLayerCam', settings: 'gradCam, default layers', passes: null, call: (m, x) => sl.multiLayerCam(m, x, target) },
    // Two forward passes (shapes, then the hooked one) and one backward pass to the input.
    { name: 'fullGrad', settings: '', passes: 4, call: (m, x) => sl.fullGrad(m, x, target) },
    // Forward to the layer, then the principal component in JS (float64 power iteration): not counted.
    { name: 'eigenCam', settings: 'default layer, upsampled', passes: null, call: (m, x) => sl.eigenCam(m, x, target) },
    // One tail pass (after the layer) per channel: not counted in forward passes.
    { name: 'ablationCam', batched: true, settings: `default layer, batch 32`, passes: null, call: (m, x) => sl.ablationCam(m, x, { ...target, batchSize: 32 }) },
    { name: 'occlusion', batched: true, settings: `window ${OCC.window[0]}, stride ${OCC.stride[0]}, batch ${BATCH}`,
      passes: occlusionPositions(size) + 1, call: (m, x) => sl.occlusion(m, x, { ...target, ...OCC, batchSize: BATCH }) },
    // Pixel-group perturbation on a grid (SLIC's cost is JavaScript on the input, not forward passes); each
    // also runs the model on x twice (the target, then F(x)) and Shapley sampling once more on the baseline.
    { name: 'featureAblation', batched: true, settings: `grid of ${PG.segments}, batch ${BATCH}`, passes: PG.segments + 2,
      call: (m, x) => sl.featureAblation(m, x, { ...target, ...PG, batchSize: BATCH }) },
    { name: 'shapleyValueSampling', batched: true, settings: `grid of 4, ${SV_SAMPLES} permutations, batch ${BATCH}`, passes: SV_SAMPLES * 3 + 3,
      call: (m, x) => sl.shapleyValueSampling(m, x, { ...target, groups: 'grid', segments: 4, samples: SV_SAMPLES, seed: 1, batchSize: BATCH }) },
    { name: 'lime', batched: true, settings: `grid of ${PG.segments}, ${SURROGATE_SAMPLES} samples, batch ${BATCH}`, passes: SURROGATE_SAMPLES + 2,
      call: (m, x) => sl.lime(m, x, { ...target, ...PG, samples: SURROGATE_SAMPLES, seed: 1, batchSize: BATCH }) },
    { name: 'kernelShap', batched: true, settings: `grid of ${PG.segments}, ${SURROGATE_SAMPLES} samples, batch ${BATCH}`, passes: SURROGATE_SAMPLES + 2,
      call: (m, x) => sl.kernelShap(m, x, { ...target, ...PG, samples: SURROGATE_SAMPLES, seed: 1, batchSize: BATCH }) },
    { name: 'rise', batched: true, settings: `${RISE_MASKS} masks, 7 cells, batch ${BATCH}`, passes: RISE_MASKS + 2,
      call: (m, x) => sl.rise(m, x, { ...target, samples: RISE_MASKS, cells: 7, seed: 1, batchSize: BATCH }) },
  ];
}

/** Repeats per backend and model: the cpu backend at 224 is slow, so it runs fewer and skips batched methods. */
function plan(backend, modelName) {
  const slowCpu = backend === 'cpu' && modelName === 'vgg224';
  if (slowCpu) return { repeats: 1, warmup: 0, batched: false, note: 'cpu at 224: 1 run each, batched methods skipped (minutes each)' };
  if (QUICK) return { repeats: 3, warmup: 1, batched: true };
  // Wall time here is about twice the CPU time (shared cores): sized to keep the whole run near 5 minutes.
  if (backend === 'cpu') return { repeats: 5, warmup: 1, batched: true, batchedRepeats: 2 };
  return { repeats: modelName === 'vgg224' ? 7 : 5, warmup: 1, batched: true, batchedRepeats: 3 };
}

const fmt = (v, d = 1) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/**
 * One row: `repeats` rounds of (forward pass, matmul probe, the method), so that the block's forward and
 * matmul samples are spread over the same minutes as the methods. Medians; CPU time (see lib.measure).
 * Ratios are taken against the block's medians (many samples) once the block is done: see finish().
 */
async function row(label, settings, passes, fn, ctx, { repeats, warmup }) {
  for (let i = 0; i < warmup; i++) await lib.measure(tf, fn);
  const wall = [];
  const cpu = [];
  for (let i = 0; i < repeats; i++) {
    ctx.fwd.push((await lib.measure(tf, ctx.forward)).cpu);
    ctx.mm.push((ctx.mmOnce ?? (await lib.matmulGflops(tf, 1024, 1))).gflops);
    const t = await lib.measure(tf, fn);
    wall.push(t.wall);
    cpu.push(t.cpu);
  }
  const r = { label, settings, passes, n: repeats, wall: lib.median(wall), cpu: lib.median(cpu) };
  ctx.results.push(r);
  return r;
}

/** The table rows, with ratios against the block's median forward pass and matmul probe. */
function finish(ctx, rows) {
  const fwd = lib.median(ctx.fwd);
  const mm = lib.median(ctx.mm);
  return rows.map((r) => {
    if (Array.isArray(r)) return r;
    const g = r.passes == null ? null : (r.passes * ctx.flops) / (r.cpu * 1e6);
    r.ratio = r.cpu / fwd;
    r.gf = g;
    r.pct = g == null ? null : (100 * g) / mm;
    return [r.label, r.settings, r.n, fmt(r.wall), fmt(r.cpu), fmt(r.ratio), fmt(g), fmt(r.pct, 0)];
  });
}

async function benchModel(backend, modelName) {
  const spec = lib.MODELS[modelName];
  const p = plan(backend, modelName);
  const model = spec.shipped ? await sl.loadModel(spec.shipped) : lib.vggLike(tf, spec.size, spec.widths);
  const x = tf.randomUniform([1, spec.size, spec.size, 3], 0, 1, 'float32', 7);
  const ctx = {
    flops: lib.modelFlops(model), fwd: [], mm: [], results: [],
    forward: () => tf.tidy(() => model.predict(x)),
    // The cpu backend's 1024² matmul takes seconds here: probe it once per block, at 512².
    mmOnce: backend === 'cpu' ? await lib.matmulGflops(tf, 512, 2) : null,
  };
  await lib.measure(tf, ctx.forward);
  const rows = [];
  rows.push(await row('forward pass', 'batch 1', 1, ctx.forward, ctx, { repeats: p.repeats + 2, warmup: 0 }));

  if (backend === 'wasm' && modelName === 'vgg224' && !ONLY_METHODS) {
    // The same input gradient with tfjs's own kernels (no saliency-lab rules): what the fast kernels replace.
    const grad = () => tf.tidy(() => tf.grad((xi) => tf.sum(tf.slice(model.apply(xi), [0, 0], [1, 1])))(x));
    rows.push(await row('(tf.grad, tfjs kernels)', 'before fast-kernels', 2, grad, ctx, { repeats: QUICK ? 1 : 3, warmup: 0 }));
  }

  const blank = ['', '', '', '', '', ''];
  for (const m of methods(spec.size)) {
    if (ONLY_METHODS && !ONLY_METHODS.includes(m.name)) continue;
    if (typeof sl[m.name] !== 'function') {
      rows.push([m.name, 'not available (no such export in dist/ yet)', ...blank]);
      continue;
    }
    if (m.batched && !p.batched) {
      rows.push([m.name, 'skipped: ' + p.note, ...blank]);
      continue;
    }
    const repeats = m.batched && p.batchedRepeats ? p.batchedRepeats : p.repeats;
    try {
      rows.push(await row(m.name, m.settings, m.passes, () => m.call(model, x), ctx, { repeats, warmup: p.warmup }));
    } catch (e) {
      rows.push([m.name, `failed: ${String(e.message).split('\n')[0].slice(0, 90)}`, ...blank]);
    }
  }
  tf.dispose(x);
  model.dispose();
  const table = finish(ctx, rows);
  const text = `### ${backend}: ${spec.label}, ${fmt(ctx.flops / 1e6, 0)} MFLOP per forward pass\n\n` +
    (p.note ? `${p.note}.\n` : '') +
    `Over the block: forward pass median ${fmt(lib.median(ctx.fwd))} CPU ms (n ${ctx.fwd.length}); matmul ` +
    `${ctx.mmOnce ? '512² (once)' : '1024²'} median ${fmt(lib.median(ctx.mm))} GFLOP/s ` +
    `(n ${ctx.mm.length}, range ${fmt(Math.min(...ctx.mm))}–${fmt(Math.max(...ctx.mm))}).\n\n` +
    lib.table(['method', 'settings', 'n', 'wall ms', 'CPU ms', '× forward', 'GFLOP/s', '% of matmul'], table);
  return { text, results: ctx.results };
}

/**
 * The kernels that fast-kernels.ts replaces, per layer of the 224 model: tfjs's own kernel and ours beside
 * the forward kernel of the same layer (CPU ms, median of paired rounds).
 */
async function benchKernels(backend) {
  let fast;
  try {
    fast = require('../dist/models/fast-kernels');
  } catch (e) {
    return `kernels: dist/models/fast-kernels.js not available (${String(e.message).split('\n')[0]})`;
  }
  const be = tf.backend();
  const ours = (name) => fast.fastKernels.find((k) => k.kernelName === name && k.backendName === backend);
  const own = (name) => tf.getKernel(name, backend);
  const once = (k, inputs, attrs) => {
    const c0 = process.cpuUsage();
    const out = k.kernelFunc({ inputs, backend: be, attrs });
    const c = process.cpuUsage(c0);
    be.disposeData(out.dataId);
    return (c.user + c.system) / 1000;
  };
  const repeats = backend === 'cpu' ? 1 : QUICK ? 3 : 5;
  const rows = [];
  let size = 224;
  let cin = 3;
  for (const cout of lib.MODELS.vgg224.widths) {
    const x = tf.randomNormal([1, size, size, cin], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, cin, cout], 0, 0.1, 'float32', 2);
    const dy = tf.randomNormal([1, size, size, cout], 0, 1, 'float32', 3);
    const a = tf.randomNormal([1, size, size, cout], 0, 1, 'float32', 4);
    const pooled = tf.maxPool(a, 2, 2, 'valid');
    const dyPool = tf.randomNormal(pooled.shape, 0, 1, 'float32', 5);
    const convAttrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
    const backAttrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [1, size, size, cin] };
    const poolAttrs = { filterSize: 2, strides: 2, pad: 'valid' };
    const t = { fwd: [], own: [], ours: [], pool: [], poolOwn: [], poolOurs: [] };
    const conv = own('Conv2D');
    for (let i = 0; i < repeats + 1; i++) {
      const keep = i > 0; // the first round warms up
      const push = (k, v) => keep && t[k].push(v);
      push('fwd', once(conv, { x, filter: w }, convAttrs));
      if (backend === 'wasm' || cin <= 8) push('own', once(own('Conv2DBackpropInput'), { dy, filter: w }, backAttrs));
      if (ours('Conv2DBackpropInput')) push('ours', once(ours('Conv2DBackpropInput'), { dy, filter: w }, backAttrs));
      push('pool', once(own('MaxPool'), { x: a }, poolAttrs));
      push('poolOwn', once(own('MaxPoolGrad'), { dy: dyPool, input: a, output: pooled }, poolAttrs));
      if (ours('MaxPoolGrad')) push('poolOurs', once(ours('MaxPoolGrad'), { dy: dyPool, input: a, output: pooled }, poolAttrs));
    }
    const m = (k) => (t[k].length ? lib.median(t[k]) : null);
    const rel = (k, base) => (m(k) == null ? '—' : `${fmt(m(k))} (${fmt(m(k) / m(base))}×)`);
    rows.push([`conv ${size}² ${cin}→${cout}`, fmt(m('fwd')), rel('own', 'fwd'), rel('ours', 'fwd'),
      `maxpool ${size}²×${cout}`, fmt(m('pool'), 2), rel('poolOwn', 'pool'), rel('poolOurs', 'pool')]);
    tf.dispose([x, w, dy, a, pooled, dyPool]);
    cin = cout;
    size /= 2;
  }
  return `### ${backend}: kernels of the 224 model (CPU ms, median of ${repeats}; × the forward kernel)\n\n` +
    (backend === 'cpu' ? 'cpu: tfjs\'s own Conv2DBackpropInput is timed on the first layer only (seconds each); ours is not registered on cpu.\n\n' : '') +
    lib.table(['layer', 'Conv2D', 'Conv2DBackpropInput (tfjs)', 'Conv2DBackpropInput (ours)', 'pool', 'MaxPool', 'MaxPoolGrad (tfjs)', 'MaxPoolGrad (ours)'], rows);
}

function otherBench(file, timeout = 150000) {
  const full = path.join(__dirname, file);
  if (!fs.existsSync(full)) {
    console.log(`\nbench/${file}: not present, skipped`);
    return;
  }
  console.log(`\n## bench/${file}\n`);
  // Its own process: its backend and tensors cannot disturb these numbers, nor these its.
  const code = `const m = require(${JSON.stringify(full)}); if (m && typeof m.run === 'function') Promise.resolve(m.run()).catch((e) => { console.error(e); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ['-e', code], { stdio: 'inherit', timeout, cwd: path.join(__dirname, '..') });
  if (r.error || r.status !== 0) console.log(`bench/${file}: ${r.error ? r.error.message : `exited with status ${r.status}`}`);
}

/**
 * Worker pool (issue 16): each long method on the wasm backend and the 224 model with 1 worker (in
 * process) and with 2 workers, interleaved round by round; wall-clock medians (CPU time adds up over the
 * threads, so it cannot show the gain) and their ratio. The first pooled call of each method starts the
 * workers and sends them the model: untimed (warm-up). Needs a quiet machine: another job on a core halves
 * the 2-worker speed-up.
 */
async function benchPool() {
  if (typeof sl.disposePool !== 'function') return '### worker pool: not available (no disposePool export in dist/ yet)';
  await sl.setBackend('wasm');
  const spec = lib.MODELS.vgg224;
  const model = spec.shipped ? await sl.loadModel(spec.shipped) : lib.vggLike(tf, spec.size, spec.widths);
  const x = tf.randomUniform([1, spec.size, spec.size, 3], 0, 1, 'float32', 7);
  const t = { target: 0 };
  const long = [
    ['smoothGrad', '16 samples, batch 4', (w) => sl.smoothGrad(model, x, { ...t, samples: 16, batchSize: 4, seed: 1, workers: w })],
    ['integratedGradients', '16 steps, batch 4', (w) => sl.integratedGradients(model, x, { ...t, steps: 16, batchSize: 4, workers: w })],
    ['scoreCam', 'default layer (128 channels), batch 16', (w) => sl.scoreCam(model, x, { ...t, batchSize: 16, workers: w })],
    ['occlusion', 'window 32, stride 16, batch 8, full algorithm', (w) => sl.occlusion(model, x, { ...t, window: 32, stride: 16, batchSize: 8, algorithm: 'full', workers: w })],
  ];
  const repeats = QUICK ? 2 : 3;
  const rows = [];
  const verdicts = [];
  for (const [name, settings, call] of long) {
    try {
      await lib.measure(tf, () => call(1));
      await lib.measure(tf, () => call(2));
      const one = [], two = [];
      for (let i = 0; i < repeats; i++) {
        one.push((await lib.measure(tf, () => call(1))).wall);
        two.push((await lib.measure(tf, () => call(2))).wall);
      }
      const a = lib.median(one), b = lib.median(two);
      rows.push([name, settings, repeats, fmt(a), fmt(b), fmt(a / b, 2)]);
      verdicts.push(`- ${name} with 2 workers: ${fmt(a / b, 2)}× (target ≥ 1.7×): ${a / b >= 1.7 ? 'met' : 'NOT met'}`);
    } catch (e) {
      rows.push([name, `failed: ${String(e.message).split('\n')[0].slice(0, 90)}`, '', '', '', '']);
    }
  }
  sl.disposePool();
  tf.dispose(x);
  model.dispose();
  return `### worker pool: wasm, ${spec.label}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n\n` +
    lib.table(['method', 'settings', 'n', '1 worker ms', '2 workers ms', 'ratio'], rows) +
    `\n\nTargets of issue 16 (needs a quiet machine):\n${verdicts.join('\n')}`;
}

async function main() {
  if (args.only === 'pool') {
    if (typeof sl.ready === 'function') await sl.ready();
    console.log(await benchPool());
    return;
  }
  const t0 = Date.now();
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(', ');
  console.log(`saliency-lab bench: node ${process.version}, tfjs ${tf.version_core}, ${os.cpus().length} cores, load ${load()}${QUICK ? ', quick' : ''}`);
  console.log('Columns: n rounds of (forward pass, matmul probe, method); medians. wall ms = clock time; CPU ms = this');
  console.log('process\'s CPU time (both backends are single-threaded, so it leaves out waiting for a shared core);');
  console.log('× forward = CPU ms / the block\'s median forward pass (batch 1); GFLOP/s = conv+dense FLOPs counted');
  console.log('from the layers / CPU ms; % of matmul = GFLOP/s / the block\'s median 1024² matmul GFLOP/s (cpu: 512², once).');
  // Importing the package starts choosing a backend; let that finish before switching.
  if (typeof sl.ready === 'function') await sl.ready();
  const verdicts = [];
  for (const backend of BACKENDS) {
    if (backend === 'webgpu') {
      // This bench times CPU seconds, which leave out a GPU's work: the GPU bench times wall clock.
      console.log('\n## webgpu: measured by bench/gpu.js (`bash bench/gpu.sh`), which times wall clock; skipped here');
      continue;
    }
    await sl.setBackend(backend);
    console.log(`\n## ${backend}`);
    if (MODEL_NAMES.includes('vgg224') && !ONLY_METHODS) console.log('\n' + (await benchKernels(backend)));
    for (const name of MODEL_NAMES) {
      const { text, results } = await benchModel(backend, name);
      console.log('\n' + text);
      if (backend === 'wasm' && name === 'vgg224') verdicts.push(...targets(results));
    }
  }
  if (verdicts.length && !ONLY_METHODS) console.log('\n## Targets of issues 2 and 9 (wasm, 224 model)\n\n' + verdicts.join('\n'));
  if (BACKENDS.includes('wasm') && !ONLY_METHODS) console.log('\n' + (await benchPool()));
  console.log(`\nsaliency-lab bench: ${fmt((Date.now() - t0) / 1000, 0)} s, load ${load()}`);
  if (ONLY_METHODS) return;
  otherBench('mobilenet.js', 600000);
  otherBench('occlusion.js', 1800000);
  otherBench('viz.js');
  otherBench('kernel.js');
  otherBench('featurevis.js');
  otherBench('metrics.js');
  otherBench('widgets.js');
}

/** The issue's targets, checked against this run's medians. */
function targets(results) {
  const get = (label) => results.find((r) => r.label === label);
  const out = [];
  const sm = get('saliencyMap');
  if (sm) out.push(`- saliency map ≤ 3× one forward pass: ${fmt(sm.ratio, 2)}× → ${sm.ratio <= 3 ? 'met' : `NOT met (${fmt(100 * (sm.ratio / 3 - 1), 0)}% over)`}`);
  const gc = get('gradCam');
  if (!gc) out.push('- Grad-CAM ≤ 1.3× one forward pass: not measured (method not available or failed)');
  else out.push(`- Grad-CAM ≤ 1.3× one forward pass: ${fmt(gc.ratio, 2)}× → ${gc.ratio <= 1.3 ? 'met' : `NOT met (${fmt(100 * (gc.ratio / 1.3 - 1), 0)}% over)`}`);
  for (const name of ['occlusion', 'smoothGrad', 'integratedGradients']) {
    const r = get(name);
    if (!r) out.push(`- ${name} ≥ 70% of matmul GFLOP/s: not measured (method not available)`);
    else out.push(`- ${name} ≥ 70% of matmul GFLOP/s: ${fmt(r.pct, 1)}% → ${r.pct >= 70 ? 'met' : `NOT met (${fmt(70 - r.pct, 1)} points short)`}`);
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
