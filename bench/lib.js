/**
 * Benchmark helpers: the benchmark models (random weights from fixed seeds), FLOP counts from a model's
 * layers, a matmul GFLOP/s probe and median timing. Plain CommonJS so that `node bench/run.js` needs no build of
 * its own; `tf` is passed in so that the package's tfjs instance (and backend) is the one measured.
 */
'use strict';

/**
 * VGG-like: `blocks` × (conv 3×3 same + ReLU, maxpool 2×2), global average pooling, dense 10.
 * Weights: glorot-normal kernels and small normal biases from fixed seeds.
 */
function vggLike(tf, size, widths) {
  const layers = [];
  let seed = 1;
  widths.forEach((filters, i) => {
    layers.push(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [size, size, 3] } : {}),
      filters, kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }),
      biasInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed++ }),
    }));
    layers.push(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  layers.push(tf.layers.globalAveragePooling2d({}));
  layers.push(tf.layers.dense({
    units: 10, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }),
    biasInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed++ }),
  }));
  return tf.sequential({ layers });
}

/** The two benchmark models: the 224×224 VGG-like net and a small 64×64 one. */
const MODELS = {
  vgg224: { size: 224, widths: [32, 64, 128, 128], label: 'VGG-like 224×224 (32/64/128/128)' },
  small64: { size: 64, widths: [16, 32], label: 'small 64×64 (16/32)' },
  // The shipped classifier (models/shapes, trained weights; its input size is read from the model).
  shapes: { size: 64, shipped: 'shapes', label: 'shipped shapes classifier 64×64' },
};

/**
 * FLOPs (multiply-adds ×2) of one forward pass of one image, counted from a LayersModel's layers (nested
 * models included): Conv2D 2·oh·ow·kh·kw·cin·cout, DepthwiseConv2D 2·oh·ow·kh·kw·cin·multiplier,
 * SeparableConv2D both parts, Dense 2·in·out per position. Other layers are not counted. Null for a
 * GraphModel (no layers to read).
 */
function modelFlops(model) {
  if (!Array.isArray(model.layers)) return null;
  let f = 0;
  const positions = (layer) => {
    const shape = Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape;
    return shape.slice(1, -1).reduce((a, d) => a * (d ?? 1), 1);
  };
  for (const layer of model.layers) {
    const name = layer.getClassName();
    if (Array.isArray(layer.layers)) f += modelFlops(layer);
    else if (name === 'Conv2D') f += 2 * positions(layer) * layer.kernel.shape.reduce((a, d) => a * d, 1);
    else if (name === 'DepthwiseConv2D') f += 2 * positions(layer) * layer.depthwiseKernel.shape.reduce((a, d) => a * d, 1);
    else if (name === 'SeparableConv2D') {
      f += 2 * positions(layer) * (layer.depthwiseKernel.shape.reduce((a, d) => a * d, 1) + layer.pointwiseKernel.shape.reduce((a, d) => a * d, 1));
    } else if (name === 'Dense') f += 2 * positions(layer) * layer.kernel.shape[0] * layer.kernel.shape[1];
  }
  return f;
}

function median(xs) {
  const a = [...xs].sort((p, q) => p - q);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/**
 * A full garbage collection (V8's `gc`, reached without the --expose-gc flag), or nothing where it is
 * not available. Process CPU time includes V8's concurrent collector threads, so without it a timed call
 * pays for collecting what earlier calls left behind: measured here, Grad-CAM timed right after the
 * tf.grad row read 1.35–2.4× a forward pass instead of 1.1–1.2×.
 */
const collectGarbage = (() => {
  try {
    require('v8').setFlagsFromString('--expose_gc');
    return require('vm').runInNewContext('gc');
  } catch {
    return () => undefined;
  }
})();

/**
 * One timed call of `fn` (async; returns what it made, which is then disposed), including reading the
 * result back (`data()`) so that lazy backends are done: wall-clock ms and this process's CPU ms. Both
 * backends measured here run on one thread, so CPU time is the compute time without the time this
 * process waited for a core (this machine's cores are shared). Garbage is collected first (untimed).
 */
async function measure(tf, fn) {
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const list = Array.isArray(out) ? out : [out];
  for (const t of list) if (t instanceof tf.Tensor) await t.data();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  tf.dispose(list);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** `warmup` untimed calls, then `repeats` timed ones: medians of wall and CPU ms. */
async function time(tf, fn, { repeats = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await measure(tf, fn);
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await measure(tf, fn));
  return { median: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), n: runs.length };
}

/** Measured matmul throughput of the active backend (per CPU second): n×n · n×n, 2n³ FLOP per product. */
async function matmulGflops(tf, n = 1024, repeats = 5) {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const t = await time(tf, () => tf.matMul(a, b), { repeats, warmup: 1 });
  tf.dispose([a, b]);
  return { gflops: (2 * n ** 3) / (t.cpu * 1e6), ...t };
}

/** Fixed-width text table. */
function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(all[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...all.slice(1).map(line)].join('\n');
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  const net = require('net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * What a bench needs to talk to a kernel it starts: a connection file on free ports (in a new temporary
 * folder `dir`), the message signer and session, and connected shell (Dealer) and iopub (Subscriber)
 * sockets. `Signer` comes from the built dist/kernel/wire.js.
 */
async function kernelConnection(Signer) {
  const crypto = require('crypto');
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const zmq = require('zeromq');
  const key = crypto.randomBytes(16).toString('hex');
  const [shell, iopub, stdin, control, hb] = await Promise.all([0, 1, 2, 3, 4].map(freePort));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-bench-'));
  const connFile = path.join(dir, 'connection.json');
  const conn = { transport: 'tcp', ip: '127.0.0.1', shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key, signature_scheme: 'hmac-sha256' };
  fs.writeFileSync(connFile, JSON.stringify(conn));
  const session = crypto.randomUUID();
  const shellSock = new zmq.Dealer({ routingId: session });
  const iopubSock = new zmq.Subscriber();
  iopubSock.subscribe();
  shellSock.connect(`tcp://127.0.0.1:${shell}`);
  iopubSock.connect(`tcp://127.0.0.1:${iopub}`);
  return { dir, connFile, signer: new Signer(key), session, shellSock, iopubSock };
}

module.exports = { vggLike, MODELS, modelFlops, median, measure, time, matmulGflops, table, freePort, kernelConnection };
