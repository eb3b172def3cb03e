/** Shared by the viz tests: backend set-up, fixtures, and comparison of PNGs with expected images. */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { ready, setBackend } from '../../src/backend';

/** The cpu backend (deterministic, always present); the automatic choice is awaited first so they do not race. */
export async function useCpu(): Promise<void> {
  await ready();
  await setBackend('cpu');
}

export interface Decoded {
  width: number;
  height: number;
  data: Uint8Array;
}

export function decodePNG(bytes: Uint8Array): Decoded {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

export const EXPECTED_DIR = path.join(__dirname, 'expected');

/**
 * Compares PNG bytes with test/viz/expected/<name>.png: same size, and every channel of every pixel within
 * `tolerance`. With UPDATE_EXPECTED=1 it writes the expected image instead (look at it before committing).
 */
export function expectMatchesImage(name: string, bytes: Uint8Array, tolerance = 2): void {
  const file = path.join(EXPECTED_DIR, `${name}.png`);
  if (process.env.UPDATE_EXPECTED === '1') {
    fs.mkdirSync(EXPECTED_DIR, { recursive: true });
    fs.writeFileSync(file, bytes);
    return;
  }
  if (!fs.existsSync(file)) throw new Error(`missing expected image ${file}; run with UPDATE_EXPECTED=1 and review it`);
  const want = decodePNG(fs.readFileSync(file));
  const got = decodePNG(bytes);
  expect([got.width, got.height]).toEqual([want.width, want.height]);
  let bad = 0, worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(want.data[i] - got.data[i]);
    if (d > tolerance) bad++;
    if (d > worst) worst = d;
  }
  if (bad > 0) throw new Error(`${name}: ${bad} channel values differ by more than ${tolerance} (worst ${worst}) from ${file}`);
}

/** A deterministic RGB test picture in [0, 1]: a color gradient with a darker disk. */
export function testImageData(h: number, w: number): Float32Array {
  const d = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inDisk = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (Math.min(h, w) * 0.2) ** 2;
      d[i] = inDisk ? 0.2 : x / (w - 1);
      d[i + 1] = inDisk ? 0.3 : y / (h - 1);
      d[i + 2] = inDisk ? 0.1 : 0.5;
    }
  }
  return d;
}

/** A Gaussian blob map: exp(-r² / (2 s²)) around (cy, cx). */
export function blobData(h: number, w: number, cy: number, cx: number, s: number): Float32Array {
  const d = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s));
  return d;
}

/** Runs fn and checks that it leaves the number of live tensors unchanged. */
export async function expectNoLeak<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}
