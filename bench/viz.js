#!/usr/bin/env node
// Benchmark of the viz module: colormap + overlay of a 1024×1024 map, and an atlas of 256 channels of
// 28×28. Prints a table of medians (target: under 50 ms each). Needs the build (`npm run build`).
//   node bench/viz.js            run it alone
//   require('./viz').run()       from bench/run.js; resolves to the rows of the table
'use strict';
const tf = require('@tensorflow/tfjs');
// The viz and backend modules alone, so that a broken build elsewhere does not stop this benchmark.
const { ready } = require('../dist/backend');
const { overlay, heatmap, gallery } = require('../dist/viz');

const TARGET_MS = 50;

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Wall-clock and CPU-time medians. CPU time (this process, all threads) says what the work costs when the
 * machine is shared: wall time then also counts waiting for a core.
 */
async function measure(fn, runs) {
  await fn(); // warm-up: first-call costs (colormap tables, JIT) are not what is measured
  const wall = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { median: mid(wall), min: Math.min(...wall), cpu: mid(cpu) };
}

/** Runs the cases; prints the table unless `quiet`. Resolves to one row per case. */
async function run({ runs = 15, quiet = false } = {}) {
  const backend = await ready();
  const n = 1024;
  const image = tf.randomUniform([n, n, 3], 0, 1, 'float32', 1);
  const map = tf.tidy(() => {
    const y = tf.linspace(-1, 1, n).reshape([n, 1]);
    const x = tf.linspace(-1, 1, n).reshape([1, n]);
    return tf.exp(y.square().add(x.square()).mul(-4)).add(tf.randomUniform([n, n], 0, 0.05, 'float32', 2));
  });
  const acts = tf.relu(tf.randomNormal([1, 28, 28, 256], 0, 1, 'float32', 3));
  const cases = [
    ['colormap + overlay, 1024×1024', () => overlay(image, map, { colormap: 'jet', alpha: 0.5 })],
    ['colormap alone (heatmap), 1024×1024', () => heatmap(map, { colormap: 'viridis' })],
    ['atlas, 256 channels of 28×28', () => gallery(acts, { layout: 'channels', labels: true })],
  ];
  const rows = [];
  for (const [name, fn] of cases) {
    const t = await measure(fn, runs);
    rows.push({ case: name, median_ms: +t.median.toFixed(1), min_ms: +t.min.toFixed(1), cpu_median_ms: +t.cpu.toFixed(1), target_ms: TARGET_MS, ok: t.median < TARGET_MS });
  }
  tf.dispose([image, map, acts]);
  if (!quiet) {
    const load = require('os').loadavg()[0].toFixed(1);
    console.log(`viz benchmark (backend ${backend.name}, node ${process.version}, ${require('os').cpus().length} cores, load ${load}; median of ${runs} runs after one warm-up)`);
    console.table(rows);
  }
  return rows;
}

module.exports = { run };

if (require.main === module) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
