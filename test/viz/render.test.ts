/**
 * Rendered output: overlays, heatmaps and galleries are written as PNG files, decoded again and compared
 * with the expected images in test/viz/expected (tolerance 2 levels a channel); the pixel rules of each
 * mode are checked on small inputs by hand.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { overlay, heatmap, gallery, saveImage, colormap, normalize, RGBAImage } from '../../src/viz';
import { InputError, OptionError } from '../../src/errors';
import { setBackend } from '../../src/backend';
import { useCpu, decodePNG, expectMatchesImage, testImageData, blobData, expectNoLeak, EXPECTED_DIR } from './helpers';

beforeAll(useCpu);

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viz-render-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Saves through saveImage, reads the file back, compares with the expected image. */
async function saveAndCompare(name: string, img: RGBAImage): Promise<void> {
  const file = path.join(dir, `${name}.png`);
  await saveImage(file, img);
  const bytes = fs.readFileSync(file);
  const decoded = decodePNG(bytes);
  expect(Buffer.from(decoded.data).equals(Buffer.from(img.data))).toBe(true);
  expectMatchesImage(name, bytes);
}

const H = 48, W = 64;
const image = () => tf.tensor3d(testImageData(H, W), [H, W, 3]);
const blob = () => tf.tensor2d(blobData(H, W, 20, 38, 8), [H, W]);

describe('overlay', () => {
  test('heatmap mode: image and colormap blended with alpha; expected image', async () => {
    const [img, map] = [image(), blob()];
    const out = await expectNoLeak(() => overlay(img, map, { colormap: 'jet', alpha: 0.4 }));
    // The blob's peak (normalized 1) blends with jet(1); a far corner (about 0) with jet(0).
    const imgPx = testImageData(H, W);
    const check = (x: number, y: number, t: number) => {
      const c = colormap('jet')(t);
      const got = out.pixel(x, y);
      for (let k = 0; k < 3; k++) expect(Math.abs(got[k] - (0.6 * imgPx[(y * W + x) * 3 + k] * 255 + 0.4 * c[k]))).toBeLessThanOrEqual(1);
      expect(got[3]).toBe(255);
    };
    check(38, 20, 1);
    await saveAndCompare('overlay-heatmap', out);
    tf.dispose([img, map]);
  });

  test('seed-style: a smoothed noisy map over the image in one call; expected image', async () => {
    const [img] = [image()];
    let seed = 3;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const noisy = blobData(H, W, 24, 20, 6).map((v) => v * (0.5 + rand()));
    const out = await overlay(img, { data: noisy, shape: [H, W] }, { sigma: 3, colormap: 'inferno', alpha: 0.6, threshold: 0.2 });
    await saveAndCompare('overlay-seed', out);
    img.dispose();
  });

  test('threshold leaves low values uncolored', async () => {
    const img = { data: new Float32Array(4 * 3).fill(0.5), shape: [2, 2, 3] };
    const map = { data: [0, 0.1, 0.6, 1], shape: [2, 2] };
    const out = await overlay(img, map, { threshold: 0.5, colormap: 'gray', alpha: 1 });
    expect(out.pixel(0, 0)).toEqual([128, 128, 128, 255]); // 0.5 -> 127.5 -> 128 (image only)
    expect(out.pixel(1, 0)).toEqual([128, 128, 128, 255]);
    expect(out.pixel(0, 1)).toEqual([153, 153, 153, 255]); // gray(0.6)
    expect(out.pixel(1, 1)).toEqual([255, 255, 255, 255]);
  });

  test('alpha mode: the map as transparency over the background', async () => {
    const img = { data: new Float32Array(3 * 3).fill(1), shape: [1, 3, 3] };
    const out = await overlay(img, { data: [0, 1, 2], shape: [1, 3] }, { mode: 'alpha', background: [0, 0, 100] });
    expect(out.pixel(0, 0)).toEqual([0, 0, 100, 255]);
    expect(out.pixel(1, 0)).toEqual([128, 128, 178, 255]);
    expect(out.pixel(2, 0)).toEqual([255, 255, 255, 255]);
  });

  test('mask mode keeps exactly the top k% of pixels', async () => {
    const n = 100;
    const img = { data: new Float32Array(n * 3).fill(1), shape: [10, 10, 3] };
    const map = { data: Array.from({ length: n }, (_, i) => (i * 37) % n), shape: [10, 10] }; // a permutation of 0..99
    const out = await overlay(img, map, { mode: 'mask', topPercent: 20 });
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const white = out.data[i * 4] === 255;
      expect(white).toBe(map.data[i] >= 80);
      if (white) kept++;
    }
    expect(kept).toBe(20);
  });

  test('contour mode outlines the top region; expected image', async () => {
    const [img, map] = [image(), blob()];
    const out = await overlay(img, map, { mode: 'contour', topPercent: 15, contourColor: [255, 0, 255], contourWidth: 1 });
    // The region by the percentile's definition, on the normalized float32 map the overlay colors.
    const t = (await normalize({ data: blobData(H, W, 20, 38, 8), shape: [H, W] })).data;
    const sorted = Array.from(t).sort((a, b) => a - b);
    const r = 0.85 * (H * W - 1), k = Math.floor(r);
    const cut = sorted[k] + (sorted[k + 1] - sorted[k]) * (r - k);
    const inside = (yy: number, xx: number) => yy < 0 || yy >= H || xx < 0 || xx >= W || t[yy * W + xx] >= cut;
    let edges = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // Width 1: a region pixel with an outside pixel among its 8 neighbours.
        let nearOutside = false;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (!inside(y + dy, x + dx)) nearOutside = true;
        const magenta = out.pixel(x, y).slice(0, 3).join() === '255,0,255';
        expect(magenta).toBe(inside(y, x) && nearOutside);
        if (magenta) edges++;
      }
    }
    expect(edges).toBeGreaterThan(20);
    expect(out.pixel(38, 20).slice(0, 3)).not.toEqual([255, 0, 255]); // the peak is inside, not on the edge
    await saveAndCompare('overlay-contour', out);
    tf.dispose([img, map]);
  });

  test('a small map (7×7 CAM) is resized bilinearly to the image', async () => {
    const img = tf.zeros([56, 56, 3]);
    const cam = tf.tensor2d(blobData(7, 7, 3, 3, 1.2), [7, 7]);
    const out = await expectNoLeak(() => overlay(img, cam, { alpha: 1, colormap: 'gray' }));
    expect(out.width).toBe(56);
    // Centre bright, corners dark, left-right symmetric.
    expect(out.pixel(28, 28)[0]).toBeGreaterThan(200);
    expect(out.pixel(0, 0)[0]).toBeLessThan(20);
    expect(out.pixel(10, 28)).toEqual(out.pixel(45, 28));
    tf.dispose([img, cam]);
  });

  test('bad inputs: sizes that cannot be resized, NaN, batches, bad options', async () => {
    const img = { data: new Float32Array(4 * 8 * 3), shape: [4, 8, 3] };
    await expect(overlay(img, { data: new Float32Array(16), shape: [4, 4] })).rejects.toThrow(
      'overlay: map size 4×4 does not match image size 4×8 and cannot be resized to it: the aspect ratios differ',
    );
    await expect(overlay(img, { data: new Float32Array(8), shape: [2, 4] }, { resize: 'none' })).rejects.toThrow(/and resize is "none"/);
    const nan = new Float32Array(32);
    nan[5] = NaN;
    await expect(overlay(img, { data: nan, shape: [4, 8] })).rejects.toThrow(new InputError('overlay', 'map holds NaN at index 5 (shape [4, 8]); maps must be finite'));
    await expect(overlay(img, { data: new Float32Array(64), shape: [2, 4, 8] })).rejects.toThrow(/map batch holds 2 maps/);
    await expect(overlay({ data: new Float32Array(2 * 32 * 3), shape: [2, 4, 8, 3] }, { data: new Float32Array(32), shape: [4, 8] })).rejects.toThrow(/image batch holds 2 images/);
    await expect(overlay(img, { data: new Float32Array(32), shape: [4, 8] }, { colormap: 'jett' })).rejects.toThrow('colormap: invalid colormap "jett"');
    await expect(overlay(img, { data: new Float32Array(32), shape: [4, 8] }, { alpha: 2 })).rejects.toThrow(new OptionError('overlay', 'alpha must be in [0, 1], but got 2'));
    await expect(overlay(img, { data: new Float32Array(32), shape: [4, 8] }, { mode: 'blend' as never })).rejects.toThrow('overlay: invalid mode "blend"; choices: heatmap, alpha, mask, contour');
  });
});

describe('heatmap', () => {
  test('smoothing comes before normalizing: a smoothed delta still spans the whole colormap', async () => {
    const d = new Float32Array(15 * 15);
    d[7 * 15 + 7] = 1;
    const out = await heatmap({ data: d, shape: [15, 15] }, { sigma: 2, colormap: 'gray' });
    expect(out.pixel(7, 7)).toEqual([255, 255, 255, 255]);
    expect(out.pixel(0, 0)[0]).toBeLessThan(5);
    // Two pixels from the centre a separable Gaussian keeps exp(-2² / (2 σ²)) of the peak.
    expect(Math.abs(out.pixel(9, 7)[0] - 255 * Math.exp(-4 / 8))).toBeLessThanOrEqual(2);
  });

  test('the colored map alone; expected image', async () => {
    const map = tf.tensor2d(blobData(32, 32, 12, 20, 6).map((v, i) => v - 0.3 * Math.exp(-((Math.floor(i / 32) - 24) ** 2 + ((i % 32) - 8) ** 2) / 20)), [32, 32]);
    const out = await expectNoLeak(() => heatmap(map, { colormap: 'rdbu_r', normalize: { mode: 'signed' } }));
    expect(out.pixel(20, 12).slice(0, 3)).toEqual(colormap('rdbu_r')(1));
    await saveAndCompare('heatmap-signed', out);
    map.dispose();
  });
});

describe('backends', () => {
  test('the wasm backend gives the same pixels as cpu (tensors are only read)', async () => {
    const draw = async () => {
      const [img, map] = [image(), blob()];
      const out = await expectNoLeak(() => overlay(img, map, { sigma: 2, alpha: 0.5, colormap: 'viridis' }));
      tf.dispose([img, map]);
      return out;
    };
    const onCpu = await draw();
    await setBackend('wasm');
    try {
      expect(tf.getBackend()).toBe('wasm');
      const onWasm = await draw();
      expect(Buffer.from(onWasm.data).equals(Buffer.from(onCpu.data))).toBe(true);
    } finally {
      await setBackend('cpu');
    }
  });
});

describe('expected-image comparison', () => {
  // Not while rewriting expected images: it would write the changed ones.
  const testUnlessUpdating = process.env.UPDATE_EXPECTED === '1' ? test.skip : test;
  testUnlessUpdating('fails on a changed pixel, passes within tolerance', () => {
    const expected = decodePNG(fs.readFileSync(path.join(EXPECTED_DIR, 'overlay-heatmap.png')));
    const variant = (delta: number) => {
      const img = new RGBAImage(expected.width, expected.height, Uint8ClampedArray.from(expected.data));
      img.data[4 * 100] += img.data[4 * 100] > 128 ? -delta : delta;
      return img.toPNG();
    };
    expect(() => expectMatchesImage('overlay-heatmap', variant(10))).toThrow(/1 channel values differ by more than 2 \(worst 10\)/);
    expectMatchesImage('overlay-heatmap', variant(2));
  });
});

describe('gallery', () => {
  test('an activation atlas of [1,H,W,C] channels with labels, one call; expected image', async () => {
    const C = 12, S = 16;
    const acts = new Float32Array(S * S * C);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < C; c++) {
      const a = (c * Math.PI) / C;
      acts[(y * S + x) * C + c] = Math.max(0, Math.sin((x * Math.cos(a) + y * Math.sin(a)) * (0.4 + c * 0.05)));
    }
    const t = tf.tensor4d(acts, [1, S, S, C]);
    const atlas = await expectNoLeak(() => gallery(t, { labels: true, zoom: 2, columns: 4 }));
    // 4 columns × (32 + 2) + 2 wide; 3 rows × (32 + 10 label + 2) + 2 high.
    expect([atlas.width, atlas.height]).toEqual([4 * 34 + 2, 3 * 44 + 2]);
    await saveAndCompare('gallery-channels', atlas);
    t.dispose();
  });

  test('tile placement: tile i at row floor(i / columns), each pixel its value\'s color', async () => {
    const maps = { data: Float32Array.from([0, 1, 1, 0, 5, 5, 5, 9]), shape: [4, 1, 2] };
    const g = await gallery(maps, { columns: 3, padding: 1, colormap: 'gray' });
    expect([g.width, g.height]).toEqual([3 * 3 + 1, 2 * 2 + 1]);
    expect(g.pixel(1, 1)).toEqual([0, 0, 0, 255]); // tile 0 value 0
    expect(g.pixel(2, 1)).toEqual([255, 255, 255, 255]); // tile 0 value 1
    expect(g.pixel(4, 1)).toEqual([255, 255, 255, 255]); // tile 1 value 1
    expect(g.pixel(7, 1)).toEqual([0, 0, 0, 255]); // tile 2 constant -> 0
    expect(g.pixel(1, 3)).toEqual([0, 0, 0, 255]); // tile 3 (second row)
    expect(g.pixel(2, 3)).toEqual([255, 255, 255, 255]);
    expect(g.pixel(0, 0)).toEqual([255, 255, 255, 255]); // background
  });

  test('images and maps mixed in an array; different sizes are centered', async () => {
    const rgb = new RGBAImage(2, 2, new Uint8ClampedArray(16).fill(200));
    const g = await gallery([rgb, { data: [0, 1], shape: [1, 2] }, tf.ones([4, 4, 3])], { padding: 0, columns: 3, background: [0, 0, 0] });
    expect([g.width, g.height]).toEqual([12, 4]);
    expect(g.pixel(1, 1)).toEqual([200, 200, 200, 255]); // drawn opaque
    expect(g.pixel(0, 0)).toEqual([0, 0, 0, 255]); // around the centered 2×2 tile
    expect(g.pixel(8, 0)).toEqual([255, 255, 255, 255]); // the ones image
  });

  test('bad input: empty, NaN, unknown layout, label count', async () => {
    await expect(gallery([])).rejects.toThrow('gallery: nothing to tile: the gallery is empty (0 maps)');
    await expect(gallery({ data: [], shape: [0, 4, 4] })).rejects.toThrow(InputError);
    await expect(gallery({ data: [1, NaN], shape: [1, 2] })).rejects.toThrow(/maps holds NaN at index 1/);
    await expect(gallery({ data: new Float32Array(16), shape: [2, 2, 2, 2] })).rejects.toThrow(/cannot tell how to tile shape \[2, 2, 2, 2\]; set layout to one of: maps, channels, images/);
    await expect(gallery({ data: [1, 2], shape: [2, 1, 1] }, { labels: ['a'] })).rejects.toThrow(OptionError);
    await expect(gallery({ data: [1, 2], shape: [2, 1, 1] }, { layout: 'grid' as never })).rejects.toThrow('choices: auto, maps, channels, images');
  });
});
