#!/usr/bin/env node
// Kernel benchmark: time from starting `saliency-lab kernel` to its first reply (kernel_info), to the
// first cell's result (which waits for tslab's TypeScript compiler to start: the kernel creates it just
// after its first reply), and the median round trip of a trivial cell (send execute_request ->
// execute_reply and idle status). Talks to the kernel over zeromq directly, no Python.
//
//   npm run build && node bench/kernel.js [--cells N]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const wirePath = path.join(root, 'dist', 'kernel', 'wire.js');
if (!fs.existsSync(wirePath)) {
  console.error('bench/kernel.js: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const { Signer, encode, decode, newHeader } = require(wirePath);
const { kernelConnection } = require('./lib');

const cellsArg = process.argv.indexOf('--cells');
const CELLS = cellsArg > 0 ? Number(process.argv[cellsArg + 1]) : 30;

async function main() {
  const { dir, connFile, signer, session, shellSock, iopubSock } = await kernelConnection(Signer);

  const idle = new Map(); // parent msg_id -> resolve
  (async () => {
    for await (const frames of iopubSock) {
      const m = decode(frames, signer);
      if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') idle.get(m.parent_header.msg_id)?.();
    }
  })().catch(() => undefined);

  const request = async (msgType, content) => {
    const header = newHeader(msgType, session, 'bench');
    const gotIdle = new Promise((resolve) => idle.set(header.msg_id, resolve));
    await shellSock.send(encode({ identities: [], header, parent_header: {}, metadata: {}, content, buffers: [] }, signer));
    for (;;) {
      const reply = decode(await shellSock.receive(), signer);
      if (reply.parent_header.msg_id === header.msg_id) {
        await gotIdle;
        idle.delete(header.msg_id);
        return reply;
      }
    }
  };
  const execute = (code) => request('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });

  const t0 = process.hrtime.bigint();
  const kernel = spawn(process.execPath, [path.join(root, 'bin', 'saliency-lab.js'), 'kernel', connFile], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

  await request('kernel_info_request', {});
  const startMs = ms(t0);
  let t = process.hrtime.bigint();
  const first = await execute('1 + 1');
  const firstMs = ms(t);
  if (first.content.status !== 'ok') throw new Error(`first cell failed: ${JSON.stringify(first.content)}`);

  const times = [];
  for (let i = 0; i < CELLS; i++) {
    t = process.hrtime.bigint();
    const r = await execute(`${i} + 1`);
    times.push(ms(t));
    if (r.content.status !== 'ok') throw new Error(`cell failed: ${JSON.stringify(r.content)}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p90 = times[Math.min(times.length - 1, Math.floor(times.length * 0.9))];
  let rssMiB = NaN;
  try {
    rssMiB = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${kernel.pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    // not Linux: leave it out
  }

  await request('shutdown_request', { restart: false }).catch(() => undefined);
  const [exitCode, exitSignal] = await new Promise((resolve) => kernel.once('exit', (code, signal) => resolve([code, signal])));
  if (exitCode !== 0) throw new Error(`the kernel exited with ${exitSignal ?? `code ${exitCode}`} after shutdown_request`);
  shellSock.close();
  iopubSock.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const rows = [
    ['kernel start -> first reply (kernel_info)', `${(startMs / 1000).toFixed(2)} s`, '<= 3 s', startMs <= 3000],
    ['kernel start -> first cell result', `${((startMs + firstMs) / 1000).toFixed(2)} s`, '', null],
    ['  of which the compiler start (first cell)', `${firstMs.toFixed(0)} ms`, '', null],
    [`trivial cell round trip, median of ${CELLS}`, `${median.toFixed(1)} ms`, '<= 100 ms', median <= 100],
    [`trivial cell round trip, p90 of ${CELLS}`, `${p90.toFixed(1)} ms`, '', null],
    ['kernel resident memory', Number.isNaN(rssMiB) ? 'n/a' : `${rssMiB.toFixed(0)} MiB`, '', null],
  ];
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length)), 9];
  console.log(`| ${'kernel'.padEnd(w[0])} | ${'value'.padEnd(w[1])} | ${'target'.padEnd(w[2])} | ok |`);
  console.log(`|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|----|`);
  for (const [name, value, target, ok] of rows) {
    console.log(`| ${name.padEnd(w[0])} | ${value.padEnd(w[1])} | ${target.padEnd(w[2])} | ${ok === null ? '  ' : ok ? 'ok' : 'NO'} |`);
  }
}

main().catch((e) => {
  console.error(`bench/kernel.js: ${e.stack || e}`);
  process.exit(1);
});
