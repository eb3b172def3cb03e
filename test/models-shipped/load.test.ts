import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/models/load';
import { ModelError } from '../../src/errors';

let dir: string;
let server: http.Server;
let base: string;
let reference: number[];
const input = () => tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 6, 6, 3]);

function tinyModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 2, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  return m;
}

async function predict(m: tf.LayersModel | tf.GraphModel): Promise<number[]> {
  const x = input();
  const y = m.predict(x) as tf.Tensor;
  const out = Array.from(await y.data());
  tf.dispose([x, y]);
  return out;
}

function copyModel(to: string): string {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(path.join(dir, 'good'))) fs.copyFileSync(path.join(dir, 'good', f), path.join(to, f));
  return to;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-load-'));
  const m = tinyModel();
  reference = await predict(m);
  await saveModel(m, path.join(dir, 'good'), { note: 'test' });
  m.dispose();
  // A hand-written GraphModel: y = x · w, w = [[1], [2]].
  const g = path.join(dir, 'graph');
  fs.mkdirSync(g);
  fs.writeFileSync(path.join(g, 'model.json'), JSON.stringify({
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '2' }] } } } },
        { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '2' }, { size: '1' }] } } } } },
        { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape: [2, 1], dtype: 'float32' }] }],
  }));
  fs.writeFileSync(path.join(g, 'w.bin'), Buffer.from(new Float32Array([1, 2]).buffer));
  server = http.createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('saveModel writes model.json + weights.bin with the metadata', () => {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'good', 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  expect(json.userDefinedMetadata).toEqual({ note: 'test' });
});

test.each([
  ['a directory', () => path.join(dir, 'good')],
  ['a model.json path', () => path.join(dir, 'good', 'model.json')],
  ['a file:// URL', () => pathToFileURL(path.join(dir, 'good', 'model.json')).href],
  ['an http URL', () => `${base}/good/model.json`],
])('loads a LayersModel from %s with the same outputs', async (_, where) => {
  const m = await loadModel(where());
  expect(m).toBeInstanceOf(tf.LayersModel);
  const got = await predict(m);
  got.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 6));
  (m as tf.LayersModel).dispose();
});

test('loads a GraphModel (from a directory and over http)', async () => {
  for (const where of [path.join(dir, 'graph'), `${base}/graph/model.json`]) {
    const m = await loadModel(where);
    expect(m).toBeInstanceOf(tf.GraphModel);
    const x = tf.tensor2d([[1, 1], [3, -1]]);
    const y = (m as tf.GraphModel).predict(x) as tf.Tensor;
    expect(Array.from(await y.data())).toEqual([3, 1]);
    tf.dispose([x, y]);
  }
});

test('a missing weights file is a ModelError naming the file', async () => {
  const d = copyModel(path.join(dir, 'noweights'));
  fs.rmSync(path.join(d, 'weights.bin'));
  await expect(loadModel(d)).rejects.toThrow(ModelError);
  await expect(loadModel(d)).rejects.toThrow(/loadModel: missing weights file .*weights\.bin/);
  await expect(loadModel(`${base}/noweights/model.json`)).rejects.toThrow(/weights file weights\.bin .*HTTP 404/);
});

test('truncated weights are a ModelError with the byte counts', async () => {
  const d = copyModel(path.join(dir, 'truncated'));
  const w = fs.readFileSync(path.join(d, 'weights.bin'));
  fs.writeFileSync(path.join(d, 'weights.bin'), w.subarray(0, w.length - 4));
  await expect(loadModel(d)).rejects.toThrow(`hold ${w.length - 4} bytes, but the manifest describes ${w.length}`);
});

test('wrong formats are ModelErrors saying what the file is', async () => {
  const d = path.join(dir, 'wrong');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'notjson.json'), 'hello');
  fs.writeFileSync(path.join(d, 'other.json'), JSON.stringify({ hello: 1 }));
  fs.writeFileSync(path.join(d, 'model.h5'), Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
  await expect(loadModel(path.join(d, 'notjson.json'))).rejects.toThrow(/is not JSON/);
  await expect(loadModel(path.join(d, 'other.json'))).rejects.toThrow(/not a TensorFlow.js model.json: it has no "modelTopology"/);
  await expect(loadModel(path.join(d, 'model.h5'))).rejects.toThrow(/Keras HDF5 file.*tensorflowjs_converter/);
  await expect(loadModel(d)).rejects.toThrow(/has no model.json \(it has: model.h5, notjson.json, other.json\)/);
});

test('a path that does not exist names the shipped models', async () => {
  await expect(loadModel(path.join(dir, 'nothing'))).rejects.toThrow(/no such file or directory.*shapes, road, rings/);
  await expect(loadModel('')).rejects.toThrow(ModelError);
});

test('no network: a ModelError that says what to do offline', async () => {
  // A port that was just free: nothing listens there.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const err = await loadModel(`http://127.0.0.1:${port}/model.json`).catch((e) => e);
  expect(err).toBeInstanceOf(ModelError);
  expect(err.message).toMatch(/cannot fetch http:\/\/127\.0\.0\.1:\d+\/model\.json \(ECONNREFUSED\)/);
  expect(err.message).toMatch(/Offline\? Download model\.json and every weights file/);
  // An injected fetch that fails like a machine without DNS.
  const offline = (async () => {
    throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
  }) as unknown as typeof fetch;
  await expect(loadModel('https://example.invalid/m/model.json', { fetch: offline })).rejects.toThrow(/\(ENOTFOUND\)\. Offline\?/);
});
