#!/usr/bin/env node
/**
 * MobileNetV2 at 224×224 on wasm (the zoo's bench fixture: published widths, seeded weights; see
 * test/fixtures/zoo): the forward pass, every gradient method in forward passes, and the depthwise
 * input-gradient kernel (src/models/gradient-kernels.ts) beside the forward depthwise kernel, layer by
 * layer. Targets (issue 11): the depthwise input gradient within 3× the forward depthwise kernel, a saliency
 * map within 3× the forward pass. Needs the build (`npm run build`).
 *   node bench/mobilenet.js [--quick]     alone
 *   require('./mobilenet').run()          from bench/run.js
 *
 * The fixture is TypeScript; it is loaded through TypeScript's own transpiler (a require hook for
 * test/fixtures only), so the bench and the tests build the very same network.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');
const tf = require('@tensorflow/tfjs');
const lib = require('./lib');

const QUICK = process.argv.includes('--quick');
const ROOT = path.join(__dirname, '..');

/** Loads a TypeScript module (and what it imports from the repository) by transpiling it. */
function requireTs(file) {
  const previous = require.extensions['.ts'];
  require.extensions['.ts'] = (module, filename) => {
    const source = fs.readFileSync(filename, 'utf8');
    const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true }, fileName: filename });
    module._compile(out.outputText, filename);
  };
  try {
    return require(file);
  } finally {
    if (previous) require.extensions['.ts'] = previous;
    else delete require.extensions['.ts'];
  }
}

const fmt = (v, d = 1) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** CPU ms of one kernel call (wasm runs on one thread: CPU time is compute time). */
function once(kernel, backend, inputs, attrs) {
  const c0 = process.cpuUsage();
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  const c = process.cpuUsage(c0);
  backend.disposeData(out.dataId);
  return (c.user + c.system) / 1000;
}

/** The depthwise layers of the model, with the shapes their kernels see. */
function depthwiseLayers(model) {
  return model.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').map((l) => {
    const cfg = l.getConfig();
    const inShape = [1, ...l.input.shape.slice(1)];
    const pair = (v) => (Array.isArray(v) ? v : [v, v]);
    return { name: l.name, inShape, filter: l.depthwiseKernel.shape, strides: pair(cfg.strides), pad: cfg.padding, outShape: [1, ...l.outputShape.slice(1)] };
  });
}

async function benchDepthwise(model, repeats) {
  const kernels = require('../dist/models/gradient-kernels');
  const ours = kernels.gradientKernels.find((k) => k.kernelName === 'DepthwiseConv2dNativeBackpropInput' && k.backendName === 'wasm');
  const forward = tf.getKernel('DepthwiseConv2dNative', 'wasm');
  const be = tf.backend();
  const rows = [];
  let totalF = 0;
  let totalB = 0;
  for (const l of depthwiseLayers(model)) {
    const x = tf.randomNormal(l.inShape, 0, 1, 'float32', 1);
    const w = tf.randomNormal(l.filter, 0, 0.1, 'float32', 2);
    const dy = tf.randomNormal(l.outShape, 0, 1, 'float32', 3);
    const fAttrs = { strides: l.strides, pad: l.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const bAttrs = { strides: l.strides, pad: l.pad, dilations: [1, 1], inputShape: l.inShape };
    const f = [];
    const b = [];
    for (let i = 0; i <= repeats; i++) {
      const tf1 = once(forward, be, { x, filter: w }, fAttrs);
      const tb1 = once(ours, be, { dy, filter: w }, bAttrs);
      if (i > 0) {
        f.push(tf1);
        b.push(tb1);
      }
    }
    const mf = lib.median(f);
    const mb = lib.median(b);
    totalF += mf;
    totalB += mb;
    rows.push([l.name, `${l.inShape.slice(1).join('×')} s${l.strides[0]} ${l.pad}`, fmt(mf, 2), fmt(mb, 2), fmt(mb / mf, 2)]);
    tf.dispose([x, w, dy]);
  }
  rows.push(['all depthwise layers', '', fmt(totalF, 2), fmt(totalB, 2), fmt(totalB / totalF, 2)]);
  return { rows, ratio: totalB / totalF };
}

/**
 * Every gradient, path and CAM method in the registry, with the settings timed: `steps` and `samples` at
 * S, batches of S. Left out: Score-CAM and Ablation-CAM (one masked or ablated pass per channel, 1280
 * here), the perturbation family (no gradients: see bench/occlusion.js and bench/run.js), and XRAI, whose
 * segmentation in JS (0.5–1 s an image) is not a gradient cost.
 */
const SKIP = new Set(['scoreCam', 'ablationCam', 'xrai']);
function methods(sl) {
  const S = QUICK ? 4 : 8;
  const registry = require('../dist/methods/registry');
  return registry.METHOD_NAMES.filter((name) => {
    const m = registry.getMethod(name);
    return ['gradient', 'path', 'cam'].includes(m.family) && !SKIP.has(name);
  }).map((name) => {
    const m = registry.getMethod(name);
    const has = (o) => m.options.some((opt) => opt.name === o);
    const o = { target: 0 };
    const said = [];
    for (const k of ['steps', 'samples']) if (has(k)) { o[k] = S; said.push(`${S} ${k}`); }
    if (has('batchSize') && m.long) { o.batchSize = S; said.push(`batch ${S}`); }
    if (has('seed')) o.seed = 1;
    if (name === 'gradCam') said.push('default layer (out_relu)');
    return [name, said.join(', '), (model, x) => sl.runMethod(name, model, x, o), o.steps ?? o.samples ?? null];
  });
}

async function run() {
  const sl = require('../dist');
  await sl.setBackend('wasm');
  const zoo = requireTs(path.join(ROOT, 'test/fixtures/zoo/index.ts'));
  const model = zoo.mobileNetV2Bench();
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 7);
  const repeats = QUICK ? 3 : 7;
  const forward = () => tf.tidy(() => model.predict(x));
  await lib.measure(tf, forward);
  const fwd = [];
  const rows = [];
  const results = {};
  for (const [name, settings, call, perSample] of methods(sl)) {
    await lib.measure(tf, () => call(model, x));
    const cpu = [];
    for (let i = 0; i < (perSample ? Math.max(2, repeats >> 1) : repeats); i++) {
      fwd.push((await lib.measure(tf, forward)).cpu);
      cpu.push((await lib.measure(tf, () => call(model, x))).cpu);
    }
    results[name] = { settings, cpu: lib.median(cpu), n: cpu.length, perSample };
  }
  const f = lib.median(fwd);
  rows.push(['forward pass', 'batch 1', String(fwd.length), fmt(f), '1.0', '']);
  for (const [name, r] of Object.entries(results)) {
    const per = r.perSample ? `${fmt(r.cpu / f / r.perSample, 2)} per step or sample` : '';
    rows.push([name, r.settings, String(r.n), fmt(r.cpu), fmt(r.cpu / f, 2), per]);
  }
  // The same network as tfjs-converter writes it (batch norms folded, conv + bias + ReLU6 fused).
  const graph = await zoo.zooGraphModel(model, { signature: 'batch' });
  const gForward = () => tf.tidy(() => graph.predict(x));
  await lib.measure(tf, gForward);
  const gf = [];
  const gs = [];
  for (let i = 0; i < repeats; i++) {
    gf.push((await lib.measure(tf, gForward)).cpu);
    gs.push((await lib.measure(tf, () => sl.saliencyMap(graph, x, { target: 0 }))).cpu);
  }
  const gFwd = lib.median(gf);
  const gSal = lib.median(gs);
  rows.push(['GraphModel: forward pass', 'converted (BN folded, fused)', String(gf.length), fmt(gFwd), fmt(gFwd / f, 2), '× the LayersModel forward']);
  rows.push(['GraphModel: saliencyMap', 'maxAbs', String(gs.length), fmt(gSal), fmt(gSal / f, 2), `${fmt(gSal / gFwd, 2)}× its own forward`]);
  graph.dispose();
  const dw = await benchDepthwise(model, repeats);
  const flops = lib.modelFlops(model);
  let text = `### wasm: MobileNetV2 224×224 (the zoo's bench fixture, α = 1, ${fmt(flops / 1e6, 0)} MFLOP per forward pass)\n\n`;
  text += 'CPU ms, medians (forward pass timed between the method runs); × forward = method / forward pass.\n\n';
  text += lib.table(['method', 'settings', 'n', 'CPU ms', '× forward', ''], rows) + '\n\n';
  text += `Depthwise kernels, layer by layer (CPU ms, median of ${repeats}): the forward kernel (XNNPACK) and the input gradient saliency-lab registers on wasm.\n\n`;
  text += lib.table(['layer', 'input, stride, padding', 'forward', 'input gradient', '×'], dw.rows) + '\n\n';
  const sm = results.saliencyMap.cpu / f;
  text += `Targets (issue 11):\n- depthwise input gradient ≤ 3× the forward depthwise kernel (all layers): ${fmt(dw.ratio, 2)}× → ${dw.ratio <= 3 ? 'met' : 'NOT met'}\n`;
  text += `- saliency map ≤ 3× one forward pass (LayersModel): ${fmt(sm, 2)}× → ${sm <= 3 ? 'met' : 'NOT met'}\n`;
  text += `- (GraphModel: ${fmt(gSal / gFwd, 2)}× its own fused forward pass; tfjs runs fused nodes unfused while it records gradients)\n`;
  console.log(text);
  tf.dispose(x);
  model.dispose();
  return { forward: f, methods: results, depthwise: dw, graph: { forward: gFwd, saliencyMap: gSal } };
}

module.exports = { run, requireTs };

if (require.main === module) run().catch((e) => {
  console.error(e);
  process.exit(1);
});
