/**
 * EXIF orientation: real JPEG files written here, one per orientation 1–8 (little- and big-endian TIFF
 * headers, after a JFIF segment and alone), load upright. The stored pixels are built from the EXIF
 * specification's table ("row 0 is the visual top/bottom/left/right, column 0 is ..."), not from the
 * code under test.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { loadImage } from '../../src/viz';
import { jpegOrientation } from '../../src/viz/exif';
import { useCpu } from './helpers';
import { jpegWithOrientation } from '../fixtures/exif-jpeg';

beforeAll(useCpu);

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viz-exif-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The upright picture: 3×2 blocks of 8×8 pixels, each block its own color (JPEG blocks are 8×8, so
// the colors survive compression).
const BW = 3, BH = 2, B = 8;
const W = BW * B, H = BH * B;
const COLORS = [[230, 20, 20], [20, 200, 20], [20, 20, 230], [230, 230, 20], [20, 220, 220], [220, 20, 220]];
const upright = (x: number, y: number) => COLORS[Math.floor(y / B) * BW + Math.floor(x / B)];

type Side = 'top' | 'bottom' | 'left' | 'right';
/** EXIF 2.3, Orientation: which visual side the stored 0th row and 0th column are. */
const SPEC: Record<number, [Side, Side]> = {
  1: ['top', 'left'], 2: ['top', 'right'], 3: ['bottom', 'right'], 4: ['bottom', 'left'],
  5: ['left', 'top'], 6: ['right', 'top'], 7: ['right', 'bottom'], 8: ['left', 'bottom'],
};

/** The pixels a camera stores for `orientation`: stored (r, c) is k = r from the row side, k = c from the column side. */
function stored(orientation: number): { data: Buffer; width: number; height: number } {
  const [rowSide, colSide] = SPEC[orientation];
  const along = (side: Side, k: number): { x?: number; y?: number } =>
    side === 'top' ? { y: k } : side === 'bottom' ? { y: H - 1 - k } : side === 'left' ? { x: k } : { x: W - 1 - k };
  const rows = rowSide === 'top' || rowSide === 'bottom' ? H : W;
  const cols = rows === H ? W : H;
  const data = Buffer.alloc(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = { ...along(rowSide, r), ...along(colSide, c) };
      data.set([...upright(p.x!, p.y!), 255], (r * cols + c) * 4);
    }
  }
  return { data, width: cols, height: rows };
}

function jpegFor(orientation: number, little: boolean, afterJfif: boolean): Buffer {
  return jpegWithOrientation(stored(orientation), orientation, little, afterJfif);
}

async function expectUpright(file: string): Promise<void> {
  const t = await loadImage(file);
  expect(t.shape).toEqual([H, W, 3]);
  const v = await t.data();
  t.dispose();
  let worst = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const want = upright(x, y);
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(v[(y * W + x) * 3 + k] * 255 - want[k]));
    }
  }
  expect(worst).toBeLessThan(40); // colors at block edges blur a little; a turned picture is off by ~200
}

describe.each([
  ['little-endian, after JFIF', true, true],
  ['big-endian, first segment', false, false],
])('JPEG EXIF orientation (%s)', (_, little, afterJfif) => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('orientation %i loads upright', async (o) => {
    const file = path.join(dir, `o${o}-${little ? 'II' : 'MM'}-${afterJfif ? 'jfif' : 'first'}.jpg`);
    fs.writeFileSync(file, jpegFor(o, little, afterJfif));
    expect(jpegOrientation(fs.readFileSync(file))).toBe(o);
    await expectUpright(file);
  });
});

test('a JPEG without EXIF, or with damaged EXIF, loads as stored', async () => {
  const plain = Buffer.from(jpeg.encode(stored(1), 100).data);
  expect(jpegOrientation(plain)).toBe(1);
  await expectUpright(writeTemp('plain.jpg', plain));
  // An Orientation value outside 1–8, and an IFD offset past the segment's end: both ignored.
  const bad = jpegFor(6, true, false);
  const badValue = Buffer.from(bad);
  badValue.writeUInt16LE(9, 2 + 4 + 6 + 18);
  expect(jpegOrientation(badValue)).toBe(1);
  const badOffset = Buffer.from(bad);
  badOffset.writeUInt32LE(5000, 2 + 4 + 6 + 4);
  expect(jpegOrientation(badOffset)).toBe(1);
  expect(jpegOrientation(new Uint8Array([0xff, 0xd8, 0xff]))).toBe(1);
  const before = tf.memory().numTensors;
  const t = await loadImage(badValue);
  expect(t.shape).toEqual([W, H, 3]); // stored turned: shown as stored
  t.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

function writeTemp(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}
