#!/usr/bin/env node
/**
 * `node bench/gpu.js` (after `npm run build`; `bash bench/gpu.sh` does both): the issue-15 benchmark of
 * the webgpu backend. Per backend (default `webgpu,wasm`) and model (the VGG-like 224×224 net of
 * bench/lib.js, a MobileNetV2 from test/fixtures/zoo when one is there, or any tfjs model given with
 * `--model=DIR`): forward pass, saliency map, Integrated Gradients (50 steps), SmoothGrad (50 samples),
 * occlusion (window 16, stride 8) and Grad-CAM, each with its wall time (median), its cost in forward
 * passes, GFLOP/s and `tf.memory()` after it. With wasm in the same run, each webgpu row also says how
 * many times faster than wasm it is, and the issue's targets are checked.
 *
 * Wall time, not CPU time: a GPU works while this process waits. Each call is timed to the end of
 * reading its result back (`await data()`), after one untimed call that compiles the GPU pipelines.
 * FLOPs are counted from the layers (bench/lib.js `modelFlops`: conv, depthwise conv, dense; an input
 * gradient ≈ 2 forward passes); pooling, activations and elementwise work are not counted.
 *
 * Options: `--backends=webgpu,wasm`, `--models=vgg224,mobilenetv2`, `--model=DIR` (adds a tfjs model:
 * model.json and weights, input size from the model), `--repeats=N` (default 3; 1 for batched methods
 * on wasm, which take tens of seconds each), `--quick` (the small 64×64 model and small settings: checks
 * that everything works in a minute, even on a software adapter), `--require-hardware` (fail on a
 * software WebGPU adapter instead of measuring it), `--out=FILE` (also write the tables there; default
 * `$OUT/gpu-bench.md` when `OUT` is set).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const lib = require('./lib');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const QUICK = Boolean(args.quick);
const BACKENDS = String(args.backends ?? 'webgpu,wasm').split(',');
const MODEL_NAMES = String(args.models ?? (QUICK ? 'small64' : 'vgg224,mobilenetv2')).split(',');
const REPEATS = Number(args.repeats ?? (QUICK ? 1 : 3));
const OUT_FILE = args.out ? String(args.out) : process.env.OUT ? path.join(process.env.OUT, 'gpu-bench.md') : null;
const ZOO = path.join(__dirname, '..', 'test', 'fixtures', 'zoo');

process.env.XDG_RUNTIME_DIR ??= os.tmpdir(); // Mesa's Vulkan loader warns when it is unset

let sl;
try {
  sl = require('../dist');
} catch (e) {
  console.error(`bench/gpu: dist/ does not load (${String(e.message).split('\n')[0]}): run \`npm run build\` first`);
  process.exit(1);
}
const tf = require('@tensorflow/tfjs');

const S = QUICK
  ? { steps: 8, samples: 8, window: 16, stride: 16 }
  : { steps: 50, samples: 50, window: 16, stride: 8 };

/** A method's default from the registry (one source), for the settings column. */
function defaultOf(method, option) {
  const o = sl.METHODS?.[method]?.options?.find((x) => x.name === option);
  return o ? o.default : undefined;
}

function occlusionPositions(h, w) {
  const per = (d) => Math.ceil(Math.max(d - S.window, 0) / S.stride) + 1;
  return per(h) * per(w);
}

/**
 * The rows: name, settings, cost in forward passes of one image (null: not counted) and the call. The
 * batched methods use the library's default batch size, what a user gets.
 */
function methods(h, w) {
  const target = { target: 0 };
  const bs = (m) => `batch ${defaultOf(m, 'batchSize') ?? 'default'}`;
  return [
    { name: 'saliencyMap', settings: 'maxAbs', passes: 2, call: (m, x) => sl.saliencyMap(m, x, target) },
    { name: 'integratedGradients', batched: true, settings: `${S.steps} steps, ${bs('integratedGradients')}`, passes: 2 * S.steps + 1,
      call: (m, x) => sl.integratedGradients(m, x, { ...target, steps: S.steps }) },
    { name: 'smoothGrad', batched: true, settings: `${S.samples} samples, ${bs('smoothGrad')}`, passes: 2 * S.samples + 1,
      call: (m, x) => sl.smoothGrad(m, x, { ...target, samples: S.samples, seed: 1 }) },
    { name: 'occlusion', batched: true, settings: `window ${S.window}, stride ${S.stride}, ${bs('occlusion')}`, passes: occlusionPositions(h, w) + 1,
      call: (m, x) => sl.occlusion(m, x, { ...target, window: S.window, stride: S.stride }) },
    { name: 'gradCam', settings: 'last 4-D layer, upsampled', passes: null, call: (m, x) => sl.gradCam(m, x, target) },
  ];
}

const fmt = (v, d = 1) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(d));
const mb = (bytes) => (bytes == null ? '—' : (bytes / 2 ** 20).toFixed(1));

/** `tf.memory()` in the table's terms: tensors, MB held by tensors, and on webgpu MB in use / allocated on the GPU. */
function memoryCells() {
  const m = tf.memory();
  return [String(m.numTensors), mb(m.numBytes), mb(m.numBytesInGPU), mb(m.numBytesAllocatedInGPU)];
}

/** The models to run: [label, model, flops, dispose]. */
async function loadModels() {
  const out = [];
  for (const name of MODEL_NAMES) {
    if (lib.MODELS[name]) {
      const spec = lib.MODELS[name];
      const model = lib.vggLike(tf, spec.size, spec.widths);
      out.push({ label: spec.label, model, size: [spec.size, spec.size] });
    } else if (name === 'mobilenetv2') {
      const dir = findZooModel(/mobile.?net.?v2/i);
      if (!dir) {
        out.push({ label: 'MobileNetV2', missing: `no MobileNetV2 in ${path.relative(process.cwd(), ZOO)} (the model zoo is not on this branch yet); --model=DIR measures one from a directory` });
        continue;
      }
      out.push(await loadDir(dir, `MobileNetV2 (${path.relative(process.cwd(), dir)})`));
    } else {
      out.push({ label: name, missing: `unknown model (choices: ${[...Object.keys(lib.MODELS), 'mobilenetv2'].join(', ')})` });
    }
  }
  if (args.model) out.push(await loadDir(path.resolve(String(args.model)), String(args.model)));
  return out;
}

/** A directory under the zoo whose name matches, holding a model.json. */
function findZooModel(pattern) {
  if (!fs.existsSync(ZOO)) return null;
  const walk = (dir, depth) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const full = path.join(dir, e.name);
      if (pattern.test(e.name) && fs.existsSync(path.join(full, 'model.json'))) return full;
      const inner = depth < 3 ? walk(full, depth + 1) : null;
      if (inner) return inner;
    }
    return null;
  };
  return walk(ZOO, 0);
}

async function loadDir(dir, label) {
  const model = await sl.loadModel(dir);
  const shape = model.inputs?.[0]?.shape ?? Object.values(model.signature?.inputs ?? {})[0]?.tensorShape?.dim?.map((d) => Number(d.size));
  const [h, w] = [shape?.[1], shape?.[2]].map((d) => (d == null || d < 0 ? 224 : d));
  return { label, model, size: [h, w] };
}

/** One call of fn, timed to the end of reading its result back. */
async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  await out.data();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  out.dispose();
  return ms;
}

async function benchModel(backend, entry) {
  const { model, size } = entry;
  const [h, w] = size;
  const flops = lib.modelFlops(model);
  const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 7);
  const forward = () => tf.tidy(() => model.predict(x));
  const rows = [];
  const results = {};
  const slowBatched = backend === 'wasm' || backend === 'cpu';
  const run = async (name, settings, passes, fn, batched) => {
    const repeats = batched && slowBatched ? 1 : REPEATS;
    // One untimed call compiles the GPU pipelines (webgpu) or warms caches; skipped for the slow wasm rows.
    if (!(batched && slowBatched)) await timed(fn);
    const times = [];
    for (let i = 0; i < repeats; i++) times.push(await timed(fn));
    const ms = lib.median(times);
    results[name] = { ms, passes };
    process.stderr.write(`  ${backend}, ${entry.label}: ${name} ${fmt(ms)} ms\n`); // progress while the table waits
    return { name, settings, n: repeats, ms, passes, memory: memoryCells() };
  };
  try {
    rows.push(await run('forward pass', 'batch 1', 1, forward, false));
    for (const m of methods(h, w)) {
      try {
        rows.push(await run(m.name, m.settings, m.passes, () => m.call(model, x), m.batched));
      } catch (e) {
        rows.push({ name: m.name, settings: `failed: ${String(e.message).split('\n')[0].slice(0, 100)}`, failed: true });
      }
    }
  } finally {
    x.dispose();
  }
  const fwd = results['forward pass']?.ms;
  return { flops, rows, results, fwd };
}

function tableFor(backend, entry, r) {
  const header = ['method', 'settings', 'n', 'wall ms', '× forward', 'GFLOP/s', 'tensors', 'tensor MB', 'GPU MB in use', 'GPU MB allocated'];
  const body = r.rows.map((row) => {
    if (row.failed) return [row.name, row.settings, '', '', '', '', '', '', '', ''];
    const g = row.passes == null || r.flops == null ? null : (row.passes * r.flops) / (row.ms * 1e6);
    return [row.name, row.settings, String(row.n), fmt(row.ms), fmt(row.ms / r.fwd, 2), fmt(g), ...row.memory];
  });
  return `### ${backend}: ${entry.label}, ${r.flops == null ? 'FLOPs not counted' : `${fmt(r.flops / 1e6, 0)} MFLOP per forward pass`}\n\n` + lib.table(header, body);
}

/** webgpu beside wasm, method by method. */
function comparisonTable(entry, gpu, wasm) {
  const body = Object.entries(gpu.results).map(([name, r]) => {
    const base = wasm.results[name];
    return [name, fmt(r.ms), base ? fmt(base.ms) : '—', base ? fmt(base.ms / r.ms) : '—'];
  });
  return `### ${entry.label}\n\n` + lib.table(['method', 'webgpu wall ms', 'wasm wall ms', 'webgpu × faster'], body);
}

/** The issue's targets on one model, from this run's medians. */
function targets(entry, gpu, wasm) {
  const lines = [];
  const sal = gpu.results.saliencyMap;
  if (sal) lines.push(`- saliency map within 3× a forward pass: ${fmt(sal.ms / gpu.fwd, 2)}× → ${sal.ms / gpu.fwd <= 3 ? 'met' : 'NOT met'}`);
  if (wasm) {
    for (const [name, r] of Object.entries(gpu.results)) {
      const base = wasm.results[name];
      if (!base || name === 'forward pass') continue;
      const ratio = base.ms / r.ms;
      lines.push(`- ${name} ≥ 10× faster than on wasm: ${fmt(ratio)}× → ${ratio >= 10 ? 'met' : 'NOT met'}`);
    }
  }
  return lines.length ? `Targets (${entry.label}):\n${lines.join('\n')}` : '';
}

async function main() {
  const t0 = Date.now();
  const out = [];
  const say = (s) => {
    console.log(s);
    out.push(s);
  };
  say(`saliency-lab GPU bench: node ${process.version}, tfjs ${tf.version_core}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}${QUICK ? ', quick' : ''}`);
  say('wall ms: median wall-clock time of a call (to the end of reading its result back); × forward: wall ms / the forward pass;');
  say('GFLOP/s: conv + dense FLOPs counted from the layers × forward passes / wall time; memory: tf.memory() after the method.');
  if (typeof sl.ready === 'function') await sl.ready().catch(() => undefined);
  const models = await loadModels();
  const byBackend = {};
  for (const backend of BACKENDS) {
    let info;
    try {
      info = await sl.setBackend(backend);
    } catch (e) {
      say(`\n## ${backend}: not available: ${e.message}`);
      if (backend === 'webgpu') process.exitCode = 1;
      continue;
    }
    const adapter = info.adapter;
    say(`\n## ${backend}${adapter ? `: ${adapter.description || `${adapter.vendor} ${adapter.architecture}`} (vendor ${adapter.vendor || '?'}, architecture ${adapter.architecture || '?'}${adapter.device ? `, device ${adapter.device}` : ''})` : ''}`);
    if (adapter?.software) {
      say('Software adapter (a CPU implementation of WebGPU): these are not GPU numbers. Dawn found no hardware adapter: on Linux it needs a Vulkan driver (NVIDIA\'s, AMD\'s or Intel\'s provides one).');
      if (args['require-hardware']) {
        process.exitCode = 1;
        continue;
      }
    }
    byBackend[backend] = {};
    for (const entry of models) {
      if (entry.missing) {
        say(`\n### ${backend}: ${entry.label}: skipped: ${entry.missing}`);
        continue;
      }
      const r = await benchModel(backend, entry);
      byBackend[backend][entry.label] = r;
      say('\n' + tableFor(backend, entry, r));
    }
  }
  if (byBackend.webgpu) {
    say('\n## webgpu against the targets' + (byBackend.wasm ? ' (and against wasm, measured in this run)' : ''));
    for (const entry of models) {
      const gpu = byBackend.webgpu[entry.label];
      if (!gpu) continue;
      const wasm = byBackend.wasm?.[entry.label];
      if (wasm) say('\n' + comparisonTable(entry, gpu, wasm));
      say('\n' + targets(entry, gpu, wasm));
    }
  }
  say(`\nsaliency-lab GPU bench: ${fmt((Date.now() - t0) / 1000, 0)} s`);
  for (const entry of models) entry.model?.dispose?.();
  if (OUT_FILE) {
    fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
    fs.writeFileSync(OUT_FILE, out.join('\n') + '\n');
    console.log(`(tables written to ${OUT_FILE})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
