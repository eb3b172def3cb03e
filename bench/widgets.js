#!/usr/bin/env node
// Widget latency benchmark (issue 12's targets), after `npm run build`:
//   1. a look-only control redraws a 224×224 view (< 50 ms): the views' drawing code (src/widgets/views.ts,
//      the same the front end runs) in Node and in Chromium (with putImageData on a canvas);
//   2. an occlusion recompute of the shipped 64×64 classifier, patch 8, stride 4, on wasm (< 2 s), and its
//      first partial map (< 300 ms);
//   3. a cancel reaching the kernel while it computes (< 100 ms): a real kernel over zeromq, the cancel
//      sent as the front end sends it (comm_msg, method "custom"), timed until the kernel's "cancelled"
//      update arrives on iopub, and inside the kernel from handling the cancel to the loop's stop.
//   node bench/widgets.js [--no-browser] [--runs N]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median, table, kernelConnection } = require('./lib');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
if (!fs.existsSync(path.join(dist, 'widgets', 'views.js'))) {
  console.error('bench/widgets.js: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const RUNS = (() => { const i = process.argv.indexOf('--runs'); return i > 0 ? Number(process.argv[i + 1]) : 15; })();
const rows = [];
const verdict = (v, limit) => (v < limit ? 'ok' : 'NO');

/** A 224×224 image and a smooth signed map with a few peaks (fixed, no randomness). */
function scene(size) {
  const images = new Uint8Array(size * size * 3);
  const map = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const p = y * size + x;
    images[p * 3] = (x * 255) / size; images[p * 3 + 1] = (y * 255) / size; images[p * 3 + 2] = 128;
    map[p] = Math.exp(-((x - 70) ** 2 + (y - 90) ** 2) / 800) - 0.6 * Math.exp(-((x - 160) ** 2 + (y - 150) ** 2) / 1500) + 0.05 * Math.sin(x / 3) * Math.cos(y / 5);
  }
  return { images: { dtype: 'uint8', shape: [1, size, size, 3], data: images }, maps: { dtype: 'float32', shape: [1, 1, size, size], data: map } };
}

const LOOKS = [
  ['opacity / colormap (min-max)', { opacity: 0.7, colormap: 'viridis' }],
  ['percentile clip 99', { normalization: 'percentile', percentile: 99 }],
  ['signed', { normalization: 'signed', colormap: 'rdbu_r' }],
  ['threshold mask 0.3', { mask: 'threshold', threshold: 0.3 }],
  ['top-k mask 10%', { mask: 'topk', topk: 10 }],
  // A new sigma each redraw (the smoothing is redone, as when the sigma slider moves).
  ['smoothing: sigma slider near 2', { sigma: 2 }, true],
  ['smoothing: sigma slider near 4', { sigma: 4 }, true],
  // Another control while a sigma is set (the smoothed map is reused).
  ['opacity change with sigma 4 set', { sigma: 4, opacity: 0.6 }],
];

function lookRedrawNode() {
  const { renderHeatmapExplorer } = require(path.join(dist, 'widgets', 'views.js'));
  const { LOOK_DEFAULTS } = require(path.join(dist, 'widgets', 'render.js'));
  const { images, maps } = scene(224);
  const out = {};
  for (const [name, look, newSigma] of LOOKS) {
    const l = { ...LOOK_DEFAULTS, ...look };
    renderHeatmapExplorer(images, maps, 0, 0, l);
    const t = [];
    for (let i = 0; i < RUNS; i++) {
      if (newSigma) l.sigma = look.sigma + (i + 1) * 1e-3;
      const t0 = process.hrtime.bigint();
      renderHeatmapExplorer(images, maps, 0, 0, l);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    out[name] = median(t);
  }
  return out;
}

async function lookRedrawBrowser() {
  const esbuild = require('esbuild');
  const { chromium } = require('playwright-core');
  const code = (await esbuild.build({
    stdin: { contents: "export { renderHeatmapExplorer } from './src/widgets/views'; export { LOOK_DEFAULTS } from './src/widgets/render';", resolveDir: root, loader: 'ts' },
    bundle: true, write: false, format: 'iife', globalName: 'V', platform: 'browser', target: 'es2020', logLevel: 'error',
  })).outputFiles[0].text;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.SALIENCY_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.setContent('<canvas id="c"></canvas>');
    await page.addScriptTag({ content: code });
    const sceneSrc = `(${scene.toString()})(224)`;
    return await page.evaluate(([looks, runs, src]) => {
      // eslint-disable-next-line no-eval
      const { images, maps } = eval(src);
      const c = document.getElementById('c');
      const ctx2 = c.getContext('2d');
      const med = (xs) => { const a = [...xs].sort((p, q) => p - q); return a[a.length >> 1]; };
      const out = {};
      for (const [name, look, newSigma] of looks) {
        const l = { ...window.V.LOOK_DEFAULTS, ...look };
        const t = [];
        for (let i = 0; i <= runs; i++) {
          if (newSigma) l.sigma = look.sigma + (i + 1) * 1e-3;
          const t0 = performance.now();
          const p = window.V.renderHeatmapExplorer(images, maps, 0, 0, l);
          if (c.width !== p.width) { c.width = p.width; c.height = p.height; }
          ctx2.putImageData(new ImageData(p.rgba, p.width, p.height), 0, 0);
          if (i > 0) t.push(performance.now() - t0);
        }
        out[name] = med(t);
      }
      return out;
    }, [LOOKS, RUNS, sceneSrc]);
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function occlusionRecompute() {
  process.env.SALIENCY_BACKEND = 'wasm';
  const sl = require(dist);
  await sl.ready();
  const model = await sl.loadModel('shapes');
  const { images } = sl.data.shapes({ n: 1, seed: 6 });
  const ox = await sl.occlusionExplorer(model, images, { window: 8, stride: 4 });
  const first = [], total = [];
  for (let i = 0; i < Math.max(3, Math.floor(RUNS / 3)); i++) {
    await ox.recompute();
    first.push(ox.lastRun.firstPartial);
    total.push(ox.lastRun.total);
  }
  const windows = ox.get('total');
  ox.close();
  images.dispose();
  model.dispose();
  return { first: median(first), total: median(total), windows, backend: sl.backendInfo().name };
}

/** A kernel driven over zeromq as a front end would: execute cells, send comm messages, watch iopub. */
async function cancelLatency() {
  const { Signer, encode, decode, newHeader } = require(path.join(dist, 'kernel', 'wire.js'));
  const { dir, connFile, signer, session, shellSock, iopubSock } = await kernelConnection(Signer);
  const kernel = spawn(process.execPath, [path.join(root, 'bin', 'saliency-lab.js'), 'kernel', connFile], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SALIENCY_BACKEND: 'wasm' } });
  const listeners = new Set();
  (async () => {
    for await (const frames of iopubSock) {
      const m = decode(frames, signer);
      for (const l of [...listeners]) l(m);
    }
  })().catch(() => undefined);
  const waitIopub = (pred, timeoutMs = 60_000) => new Promise((resolve, reject) => {
    const t = setTimeout(() => { listeners.delete(f); reject(new Error('timed out waiting on iopub')); }, timeoutMs);
    const f = (m) => { if (pred(m)) { clearTimeout(t); listeners.delete(f); resolve({ m, at: process.hrtime.bigint() }); } };
    listeners.add(f);
  });
  const send = async (msgType, content) => {
    const header = newHeader(msgType, session, 'bench');
    await shellSock.send(encode({ identities: [], header, parent_header: {}, metadata: {}, content, buffers: [] }, signer));
    return header;
  };
  const replies = new Map();
  (async () => {
    for (;;) {
      const r = decode(await shellSock.receive(), signer);
      replies.get(r.parent_header.msg_id)?.(r);
    }
  })().catch(() => undefined);
  const execute = async (code) => {
    const header = newHeader('execute_request', session, 'bench');
    const reply = new Promise((resolve) => replies.set(header.msg_id, resolve));
    await shellSock.send(encode({ identities: [], header, parent_header: {}, metadata: {}, content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, buffers: [] }, signer));
    const r = await reply;
    if (r.content.status !== 'ok') throw new Error(`cell failed: ${r.content.ename}: ${r.content.evalue}`);
    return r;
  };
  const ms = (a, b) => Number(b - a) / 1e6;
  try {
    const displayed = waitIopub((m) => m.header.msg_type === 'execute_result' && m.content.data['application/vnd.jupyter.widget-view+json']);
    await execute(`import { loadModel, data, occlusionExplorer } from 'saliency-lab';
const model = await loadModel('shapes');
const { images } = data.shapes({ n: 1, seed: 6 });
const ox = await occlusionExplorer(model, images, { window: 8, stride: 4, debounce: 0 });
ox`);
    const commId = (await displayed).m.content.data['application/vnd.jupyter.widget-view+json'].model_id;
    const isState = (m, pred) => m.header.msg_type === 'comm_msg' && m.content.comm_id === commId && m.content.data.state && pred(m.content.data.state);
    const round = [], inside = [];
    for (let i = 0; i < 5; i++) {
      const progressed = waitIopub((m) => isState(m, (s) => typeof s.done === 'number' && s.done > 64));
      await send('comm_msg', { comm_id: commId, data: { method: 'update', state: { window: 3 + (i % 2), stride: 1 }, buffer_paths: [] } });
      await progressed;
      const acknowledged = waitIopub((m) => isState(m, (s) => s.status === 'cancelled'));
      const t0 = process.hrtime.bigint();
      await send('comm_msg', { comm_id: commId, data: { method: 'custom', content: { event: 'cancel' } } });
      round.push(ms(t0, (await acknowledged).at));
      await new Promise((r) => setTimeout(r, 100));
      const out = waitIopub((m) => m.header.msg_type === 'stream');
      await execute('console.log(JSON.stringify(ox.lastRun))');
      const run = JSON.parse((await out).m.content.text);
      if (!run.cancelled) throw new Error(`the run was not cancelled: ${JSON.stringify(run)}`);
      inside.push(run.stopAfterCancel);
    }
    return { round: median(round), inside: median(inside) };
  } finally {
    await send('shutdown_request', { restart: false }).catch(() => undefined);
    await new Promise((r) => { const t = setTimeout(() => { kernel.kill('SIGKILL'); r(); }, 10_000); kernel.once('exit', () => { clearTimeout(t); r(); }); });
    shellSock.close();
    iopubSock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run() {
  const node = lookRedrawNode();
  const browser = process.argv.includes('--no-browser') ? null : await lookRedrawBrowser();
  for (const [name] of LOOKS) {
    const b = browser ? browser[name] : NaN;
    rows.push([`look-only redraw 224×224: ${name}`, `${node[name].toFixed(1)} ms (Node) / ${browser ? `${b.toFixed(1)} ms (Chromium)` : 'n/a'}`, '< 50 ms', verdict(Math.max(node[name], browser ? b : 0), 50)]);
  }
  const occ = await occlusionRecompute();
  rows.push([`occlusion recompute, shapes 64×64, patch 8 stride 4 (${occ.windows} windows, ${occ.backend})`, `${occ.total.toFixed(0)} ms`, '< 2000 ms', verdict(occ.total, 2000)]);
  rows.push(['  first partial map', `${occ.first.toFixed(0)} ms`, '< 300 ms', verdict(occ.first, 300)]);
  const cancel = await cancelLatency();
  rows.push(['cancel while computing: sent -> kernel\'s "cancelled" update back on iopub', `${cancel.round.toFixed(1)} ms`, '< 100 ms', verdict(cancel.round, 100)]);
  rows.push(['  inside the kernel: cancel handled -> occlusion loop stopped', `${cancel.inside.toFixed(1)} ms`, '', '']);
  console.log(`\nWidgets (medians; ${RUNS} redraws per look)\n`);
  console.log(table(['what', 'measured', 'target', 'ok'], rows));
}

module.exports = { run };
if (require.main === module) run().catch((e) => { console.error(`bench/widgets.js: ${e.stack || e}`); process.exit(1); });
