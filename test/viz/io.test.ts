import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadImage, saveImage, toPNG, RGBAImage } from '../../src/viz';
import { InputError, OptionError } from '../../src/errors';
import { DISPLAY } from '../../src/display';
import { useCpu, decodePNG, expectNoLeak } from './helpers';

beforeAll(useCpu);

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viz-io-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A 3×2 RGBA PNG with known pixels, the last one half transparent. */
function knownPNG(): Buffer {
  const png = new PNG({ width: 3, height: 2 });
  const px = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 0, 128]];
  px.forEach((p, i) => png.data.set(p, i * 4));
  return PNG.sync.write(png);
}

describe('loadImage', () => {
  test('PNG from a Buffer, a path, a file: URL and a data: URL, as [H,W,3] in [0, 1]', async () => {
    const bytes = knownPNG();
    const file = path.join(dir, 'known.png');
    fs.writeFileSync(file, bytes);
    const sources = [bytes, new Uint8Array(bytes), file, `file://${file}`, `data:image/png;base64,${bytes.toString('base64')}`];
    for (const src of sources) {
      const before = tf.memory().numTensors;
      const t = await loadImage(src);
      expect(tf.memory().numTensors).toBe(before + 1); // only the result, which the caller owns
      expect(t.shape).toEqual([2, 3, 3]);
      expect(t.dtype).toBe('float32');
      const v = Array.from(await t.data());
      expect(v.slice(0, 9)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      expect(v.slice(9, 15)).toEqual([0, 0, 0, 1, 1, 1]);
      // Alpha 128/255 over the white background.
      for (const c of v.slice(15)) expect(c).toBeCloseTo(1 - 128 / 255, 5);
      t.dispose();
    }
  });

  test('PNG over HTTP; an HTTP error names the status', async () => {
    const bytes = knownPNG();
    const server = http.createServer((req, res) => {
      if (req.url === '/cat.png') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(bytes); } else { res.writeHead(404); res.end(); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const t = await loadImage(`http://127.0.0.1:${port}/cat.png`);
      expect(Array.from(await t.data()).slice(0, 3)).toEqual([1, 0, 0]);
      t.dispose();
      await expect(loadImage(`http://127.0.0.1:${port}/nope.png`)).rejects.toThrow(`loadImage: fetching "http://127.0.0.1:${port}/nope.png" failed: HTTP 404 Not Found`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('gray and 16-bit PNGs become RGB in [0, 1]', async () => {
    const gray = new PNG({ width: 2, height: 1, colorType: 0, inputColorType: 6 });
    gray.data = Buffer.from([0, 0, 0, 255, 255, 255, 255, 255]);
    const g = await loadImage(PNG.sync.write(gray, { colorType: 0, inputColorType: 6 }));
    expect(Array.from(await g.data())).toEqual([0, 0, 0, 1, 1, 1]);
    const deep = new PNG({ width: 1, height: 1, bitDepth: 16, colorType: 2, inputColorType: 6, inputHasAlpha: true });
    deep.data = Buffer.from(new Uint16Array([65535, 0, 65535, 65535]).buffer);
    const d = await loadImage(PNG.sync.write(deep, { bitDepth: 16, colorType: 2, inputColorType: 6 }));
    expect(Array.from(await d.data())).toEqual([1, 0, 1]);
    tf.dispose([g, d]);
  });

  test('JPEG from bytes (lossy: within a few levels)', async () => {
    const w = 16, h = 8, data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([200, 100, 50, 255], i * 4);
    const bytes = jpeg.encode({ data, width: w, height: h }, 95).data;
    const t = await loadImage(bytes);
    expect(t.shape).toEqual([8, 16, 3]);
    const v = await t.data();
    for (let i = 0; i < v.length; i += 3) {
      expect(Math.abs(v[i] * 255 - 200)).toBeLessThan(4);
      expect(Math.abs(v[i + 1] * 255 - 100)).toBeLessThan(4);
      expect(Math.abs(v[i + 2] * 255 - 50)).toBeLessThan(4);
    }
    t.dispose();
  });

  test('errors: unknown format, missing file, bad source, bad background', async () => {
    await expect(loadImage(Buffer.from('GIF89a'))).rejects.toThrow('loadImage: buffer: unsupported image format (first bytes 47 49 46 38); supported: PNG, JPEG');
    await expect(loadImage(path.join(dir, 'nope.png'))).rejects.toThrow(new InputError('loadImage', `cannot read ${JSON.stringify(path.join(dir, 'nope.png'))}: no such file`));
    await expect(loadImage(Buffer.concat([knownPNG().subarray(0, 30)]))).rejects.toThrow(/loadImage: buffer: cannot decode/);
    await expect(loadImage(42 as never)).rejects.toThrow(InputError);
    await expect(loadImage(knownPNG(), { background: [2, 0, 0] })).rejects.toThrow(OptionError);
  });
});

describe('saveImage and toPNG', () => {
  test('saveImage writes PNG that loads back to the same pixels; creates folders', async () => {
    const values = Float32Array.from({ length: 4 * 5 * 3 }, (_, i) => (i % 7) / 6);
    const t = tf.tensor3d(values, [4, 5, 3]);
    const file = path.join(dir, 'a', 'b', 'out.png');
    await expectNoLeak(() => saveImage(file, t));
    const back = await loadImage(file);
    const v = await back.data();
    v.forEach((x, i) => expect(Math.abs(x - values[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6));
    tf.dispose([t, back]);
  });

  test('saveImage writes JPEG for .jpg', async () => {
    const file = path.join(dir, 'gray.jpg');
    await saveImage(file, { data: new Float32Array(8 * 8).fill(0.5), shape: [8, 8] }, { quality: 95 });
    const bytes = fs.readFileSync(file);
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    const decoded = jpeg.decode(bytes, { useTArray: true });
    expect(Math.abs(decoded.data[0] - 128)).toBeLessThan(3);
  });

  test('toPNG: tensors of every accepted shape and dtype; values clamped', async () => {
    const cases: [tf.Tensor, number[]][] = [
      [tf.tensor2d([[0, 1]]), [0, 0, 0, 255, 255, 255, 255, 255]],
      [tf.tensor3d([[[0.5], [2]]]), [128, 128, 128, 255, 255, 255, 255, 255]],
      [tf.tensor4d([[[[1, 0, -1], [0, 1, 0]]]]), [255, 0, 0, 255, 0, 255, 0, 255]],
      [tf.tensor3d([[[1, 0, 0, 0.5]]]), [255, 0, 0, 128]],
      [tf.tensor3d([[[255, 10, 0]]], undefined, 'int32'), [255, 10, 0, 255]],
    ];
    for (const [t, want] of cases) {
      const got = decodePNG(await expectNoLeak(() => toPNG(t)));
      expect(Array.from(got.data)).toEqual(want);
      t.dispose();
    }
    expect(Array.from(decodePNG(await toPNG({ data: new Uint8Array([7, 8, 9]), shape: [1, 1, 3] })).data)).toEqual([7, 8, 9, 255]);
    expect(Array.from(decodePNG(await toPNG({ data: [-1, 3], shape: [1, 2] }, { range: [-1, 3] })).data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  test('errors: wrong shape, batch, bad extension', async () => {
    await expect(toPNG({ data: new Float32Array(2 * 2 * 2), shape: [2, 2, 2] })).rejects.toThrow(/toPNG: image must have shape \[H,W\], \[H,W,C\] or \[1,H,W,C\] with C in 1, 3, 4, but got \[2, 2, 2\]/);
    await expect(toPNG(tf.zeros([2, 1, 1, 3]))).rejects.toThrow(/image batch holds 2 images/);
    await expect(saveImage(path.join(dir, 'x.gif'), new RGBAImage(1, 1))).rejects.toThrow('saveImage: cannot tell the format from');
  });

  test('RGBAImage shows itself as image/png with a text fallback', () => {
    const img = new RGBAImage(2, 1, new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]));
    const bundle = img[DISPLAY]();
    expect(bundle['text/plain']).toBe('RGBAImage 2×1');
    const decoded = decodePNG(Buffer.from(bundle['image/png'] as string, 'base64'));
    expect(Array.from(decoded.data)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    expect(() => new RGBAImage(2, 2, new Uint8ClampedArray(3))).toThrow(InputError);
  });
});
