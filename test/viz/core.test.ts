/**
 * The browser-safe viz core (src/viz/core): bundled by esbuild for the browser with nothing external, it
 * must pull in no file outside src/viz/core and no Node builtin, and run in a bare JavaScript context
 * (no Buffer, process, require). That bundle must draw the very bytes the kernel-side functions draw
 * from tensors. Also: the colormap tables are what the generator writes from d3-scale-chromatic, and
 * the core's own functions (values, masks, readout, colorbar).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs';
import * as kernelViz from '../../src/viz';
import * as core from '../../src/viz/core';
import { InputError, OptionError, SaliencyError } from '../../src/errors';
import { useCpu, blobData, testImageData, expectMatchesImage } from './helpers';

const root = path.join(__dirname, '..', '..');
const entry = path.join(root, 'src', 'viz', 'core', 'index.ts');

let bundle: esbuild.BuildResult & { metafile: esbuild.Metafile; outputFiles: esbuild.OutputFile[] };
/** The core as the browser bundle defines it, evaluated in a fresh context with only JavaScript's globals. */
let browser: typeof core;

beforeAll(async () => {
  await useCpu();
  bundle = await esbuild.build({
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'vizCore',
    write: false, metafile: true, logLevel: 'silent', target: 'es2020',
  });
  const context = vm.createContext({});
  vm.runInContext(bundle.outputFiles[0].text, context);
  browser = (context as { vizCore: typeof core }).vizCore;
});

describe('browser bundle', () => {
  test('takes nothing from outside src/viz/core and no Node builtin', () => {
    const inputs = Object.keys(bundle.metafile.inputs).map((f) => path.resolve(root, f));
    const outside = inputs.filter((f) => !f.startsWith(path.join(root, 'src', 'viz', 'core') + path.sep));
    expect(outside).toEqual([]);
    expect(inputs.length).toBeGreaterThan(5);
    // platform "browser" fails the build on an import of fs, path, ...; these are what a bundle could
    // still hide: code evaluation and Node globals.
    const code = bundle.outputFiles[0].text;
    expect(code).not.toMatch(/new Function|\beval\(|\brequire\(|\bprocess\.|\bBuffer\b|__dirname/);
  });

  test('a bare context has no Node globals, and the core runs in it', () => {
    const context = vm.createContext({});
    expect(vm.runInContext('typeof Buffer + typeof process + typeof require', context)).toBe('undefinedundefinedundefined');
    expect(browser.colormap('viridis')(0)).toEqual([68, 1, 84]);
    expect([...browser.COLORMAPS]).toEqual([...kernelViz.COLORMAPS]);
  });
});

const bytes = (a: ArrayLike<number>): Buffer => Buffer.from(Uint8Array.from(a));
const floats = (a: ArrayLike<number>): Buffer => Buffer.from(Float32Array.from(a).buffer);

describe('the browser core draws the bytes the kernel side draws from tensors', () => {
  const H = 48, W = 64;
  const imageData = testImageData(H, W);
  let seed = 11;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  // A 12×16 map (resized to the image), signed, with noise.
  const mapData = blobData(12, 16, 5, 9, 3).map((v, i) => v * (0.6 + 0.8 * rand()) - (i % 7 === 0 ? 0.3 : 0));
  const image = () => tf.tensor3d(imageData, [H, W, 3]);
  const map = () => tf.tensor2d(mapData, [12, 16]);
  const hostImage = { data: imageData, h: H, w: W, c: 3 };
  const hostMap = () => ({ data: Float32Array.from(mapData), n: 1, h: 12, w: 16 });

  const cases: [string, core.OverlayOptions][] = [
    ['heatmap, smoothed, percentile, threshold', { colormap: 'inferno', sigma: 2, alpha: 0.6, threshold: 0.2, normalize: { percentile: 99 } }],
    ['heatmap, signed rdbu_r', { colormap: 'rdbu_r', normalize: { mode: 'signed' }, alpha: 0.7 }],
    ['alpha', { mode: 'alpha', background: [10, 20, 200] }],
    ['mask', { mode: 'mask', topPercent: 20, normalize: { mode: 'abs' } }],
    ['contour', { mode: 'contour', topPercent: 15, contourWidth: 1, sigma: 1 }],
  ];
  test.each(cases)('overlay: %s', async (_, options) => {
    const [img, m] = [image(), map()];
    const kernel = await kernelViz.overlay(img, m, options);
    const drawn = browser.overlayPixels(hostImage, hostMap(), options);
    expect([drawn.width, drawn.height]).toEqual([W, H]);
    expect(bytes(drawn.data).equals(bytes(kernel.data))).toBe(true);
    tf.dispose([img, m]);
  });

  test('overlay on a gray image; the two-step redraw equals the one call', async () => {
    const gray = imageData.filter((_, i) => i % 3 === 1);
    const img = tf.tensor3d(gray, [H, W, 1]);
    const m = map();
    const options: core.OverlayOptions = { colormap: 'viridis', alpha: 0.3, sigma: 1.5 };
    const kernel = await kernelViz.overlay(img, m, options);
    const o = browser.checkOverlayOptions('view', options);
    const prepared = browser.prepareMap('view', hostMap(), H, W, o);
    const drawn = browser.drawOverlay({ data: Float32Array.from(gray), h: H, w: W, c: 1 }, prepared, o);
    expect(bytes(drawn.data).equals(bytes(kernel.data))).toBe(true);
    tf.dispose([img, m]);
  });

  test('heatmap, normalize, smooth, gallery and colorbar', async () => {
    const m = map();
    const heat = await kernelViz.heatmap(m, { colormap: 'turbo', sigma: 1 });
    expect(bytes(browser.heatmapPixels(hostMap(), { colormap: 'turbo', sigma: 1 }).data).equals(bytes(heat.data))).toBe(true);

    const norm = await kernelViz.normalize(m, { mode: 'abs', percentile: 95 });
    expect(floats(browser.normalizeValues(mapData, { mode: 'abs', percentile: 95 })).equals(floats(await norm.data()))).toBe(true);
    expect(browser.valuesRange(mapData, { mode: 'signed' })).toEqual((await kernelViz.normalizeRange(m, { mode: 'signed' }))[0][0]);

    const smoothed = await kernelViz.smooth(m, 1.5);
    expect(floats(browser.smoothStack(hostMap(), 1.5)).equals(floats(await smoothed.data()))).toBe(true);

    const maps = tf.tensor3d(Array.from({ length: 6 * 64 }, () => rand() * 4 - 1), [6, 8, 8]);
    const options = { labels: ['a', 'b', 'c', 'd', 'e', 'f'], normalize: { scale: 'shared' as const }, zoom: 2, colormap: 'magma' };
    const atlas = await kernelViz.gallery(maps, options);
    const stack = { data: Float32Array.from(await maps.data()), n: 6, h: 8, w: 8 };
    const tiles = Array.from({ length: 6 }, (_, index) => ({ kind: 'map' as const, stack: 0, index }));
    const drawn = browser.drawAtlas([stack], tiles, options);
    expect([drawn.width, drawn.height]).toEqual([atlas.width, atlas.height]);
    expect(bytes(drawn.data).equals(bytes(atlas.data))).toBe(true);

    const bar = kernelViz.colorbar('coolwarm', { range: [-2, 3], ticks: 3 });
    expect(bytes(browser.colorbarPixels('coolwarm', { range: [-2, 3], ticks: 3 }).data).equals(bytes(bar.data))).toBe(true);
    tf.dispose([m, norm, smoothed, maps]);
  });

  test('errors from the bundle are the same kinds, with the same messages', () => {
    const catchIn = (f: () => unknown): Error => { try { f(); } catch (e) { return e as Error; } throw new Error('no error'); };
    const e = catchIn(() => browser.colormap('jett'));
    expect(e.name).toBe('OptionError');
    expect(e.message).toBe(catchIn(() => kernelViz.colormap('jett')).message);
    expect(catchIn(() => browser.normalizeValues([1, NaN])).name).toBe('InputError');
  });
});

describe('colormap tables', () => {
  test('are what scripts/generate-colormaps.mjs writes from d3-scale-chromatic', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'scripts', 'generate-colormaps.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  test('the step maps equal d3 everywhere; the sampled ones are within one level of d3', () => {
    // d3-scale-chromatic is an ES module: compare in a child process, with the browser bundle.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viz-core-'));
    try {
      const file = path.join(dir, 'core.js');
      fs.writeFileSync(file, bundle.outputFiles[0].text);
      const script = `
        import * as d3 from 'd3-scale-chromatic';
        import * as fs from 'node:fs';
        import * as vm from 'node:vm';
        const ctx = vm.createContext({});
        vm.runInContext(fs.readFileSync(${JSON.stringify(file)}, 'utf8'), ctx);
        const core = ctx.vizCore;
        const parse = (s) => s.startsWith('#') ? [1, 3, 5].map((k) => parseInt(s.slice(k, k + 2), 16)) : s.match(/\\d+/g).map(Number);
        const fns = { viridis: d3.interpolateViridis, inferno: d3.interpolateInferno, magma: d3.interpolateMagma,
          plasma: d3.interpolatePlasma, cividis: d3.interpolateCividis, turbo: d3.interpolateTurbo, rdbu: d3.interpolateRdBu };
        const worst = {};
        for (const [name, f] of Object.entries(fns)) {
          const cm = core.colormap(name);
          let w = 0;
          for (let i = 0; i <= 4000; i++) {
            const t = i / 4000 + (i % 3) * 1e-5;
            const a = cm(t), b = parse(f(Math.min(1, t)));
            for (let k = 0; k < 3; k++) w = Math.max(w, Math.abs(a[k] - b[k]));
          }
          worst[name] = w;
        }
        console.log(JSON.stringify(worst));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
      const worst = JSON.parse(out.trim().split('\n').pop() as string);
      expect(worst).toEqual({ viridis: 0, inferno: 0, magma: 0, plasma: 0, cividis: expect.any(Number), turbo: expect.any(Number), rdbu: expect.any(Number) });
      for (const name of ['cividis', 'turbo', 'rdbu']) expect(worst[name]).toBeLessThanOrEqual(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TABLEAU10 is d3\'s palette (first and last colors)', () => {
    expect(core.TABLEAU10[0]).toBe('#4e79a7');
    expect(core.TABLEAU10[9]).toBe('#bab0ab');
  });
});

describe('core functions for views', () => {
  test('toByte: one rounding rule, half up, clamped, NaN to 0', () => {
    expect([0.49, 0.5, 1.5, 2.5, 254.5, 255.2, -3, NaN, Infinity].map(core.toByte)).toEqual([0, 1, 2, 3, 255, 255, 0, 0, 255]);
  });

  test('normalizeValues and valuesRange: min-max, percentile clip, signed', () => {
    expect(Array.from(core.normalizeValues([2, 4, 6, 10]))).toEqual([0, 0.25, 0.5, 1]);
    expect(Array.from(core.normalizeValues([-4, 0, 2], { mode: 'signed' }))).toEqual([0, 0.5, 0.75]);
    expect(core.valuesRange([0, 1, 2, 3, 4, 5, 6, 7, 8, 100], { percentile: 90 })[1]).toBeCloseTo(17.2, 5);
    expect(() => core.normalizeValues([1], { mode: 'log' as never })).toThrow(new OptionError('normalizeValues', 'invalid mode "log"; choices: minmax, abs, signed'));
    expect(() => core.normalizeValues([])).toThrow(InputError);
    expect(() => core.valuesRange([0, Infinity])).toThrow('valuesRange: values hold Infinity at index 1; values must be finite');
  });

  test('top-k%: the cut colors exactly the top k% as a threshold; masks keep ties', () => {
    const t = Float32Array.from({ length: 100 }, (_, i) => i / 99);
    const cut = core.topPercentCut(t, 10);
    expect(core.thresholdMask(t, cut).reduce((a, b) => a + b, 0)).toBe(10);
    expect(Array.from(core.topRegion([0, 1, 1, 1], 25))).toEqual([0, 1, 1, 1]);
    expect(() => core.topPercentCut(t, 0)).toThrow('topPercentCut: topPercent must be in (0, 100], but got 0');
    // As a heatmap threshold: 10 pixels colored, 90 left as the image.
    const image = { data: new Float32Array(100 * 3).fill(0.5), h: 10, w: 10, c: 3 };
    const stack = { data: t, n: 1, h: 10, w: 10 };
    const px = core.overlayPixels(image, stack, { threshold: cut, colormap: 'gray', alpha: 1 });
    let colored = 0;
    for (let p = 0; p < 100; p++) if (px.data[p * 4] !== 128) colored++;
    expect(colored).toBe(10);
  });

  test('valueAt maps a pointer on a larger view to the map pixel under it', () => {
    const map = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), n: 1, h: 2, w: 3 };
    expect(core.valueAt(map, 0, 0)).toEqual({ x: 0, y: 0, value: 1 });
    expect(core.valueAt(map, 299, 199, 300, 200)).toEqual({ x: 2, y: 1, value: 6 });
    expect(core.valueAt(map, 150, 50, 300, 200)).toEqual({ x: 1, y: 0, value: 2 });
    expect(core.valueAt(map, 300, 0, 300, 200)).toBeNull();
    expect(core.valueAt(map, -1, 0)).toBeNull();
  });

  test('colorbar: high values at the top, low at the left when horizontal; labels beside the strip', () => {
    const cm = core.colormap('viridis');
    const bar = core.colorbarPixels('viridis', { length: 100, thickness: 10 });
    expect([bar.width, bar.height]).toEqual([10, 100]);
    const at = (p: core.Pixels, x: number, y: number) => Array.from(p.data.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 3));
    expect(at(bar, 0, 0)).toEqual(cm(1));
    expect(at(bar, 9, 99)).toEqual(cm(0));
    const wide = core.colorbarPixels('viridis', { length: 50, thickness: 4, orientation: 'horizontal' });
    expect([wide.width, wide.height]).toEqual([50, 4]);
    expect(at(wide, 0, 0)).toEqual(cm(0));
    expect(at(wide, 49, 3)).toEqual(cm(1));
    const labeled = core.colorbarPixels('viridis', { length: 100, thickness: 10, range: [0, 0.5], ticks: 3 });
    expect(labeled.width).toBe(10 + 3 + 2 + core.textWidth('0.25'));
    expect(labeled.height).toBe(100 + 2 * Math.ceil(core.GLYPH_HEIGHT / 2));
    // The label column holds dark label pixels on white.
    let dark = 0;
    for (let y = 0; y < labeled.height; y++) for (let x = 15; x < labeled.width; x++) if (at(labeled, x, y)[0] === 0) dark++;
    expect(dark).toBeGreaterThan(20);
    expect(() => core.colorbarPixels('viridis', { orientation: 'diagonal' as never })).toThrow('colorbarPixels: invalid orientation "diagonal"; choices: vertical, horizontal');
    expect(() => core.colorbarPixels('viridis', { range: [1, 0] })).toThrow(OptionError);
    expect(['0', '0.25', '-1.5', '1e5', '1.5e-4', '123'].join()).toBe([0, 0.25, -1.5, 1e5, 1.5e-4, 123].map(core.formatTick).join());
  });

  test('colorbar with labels, from the kernel side; expected image', () => {
    const bar = kernelViz.colorbar('inferno', { length: 120, thickness: 12, range: [-0.004, 0.8], ticks: 5, labelScale: 1 });
    expect(bar).toBeInstanceOf(kernelViz.RGBAImage);
    expectMatchesImage('colorbar-inferno', bar.toPNG());
  });

  test('the core throws the package\'s error classes', () => {
    expect(core.OptionError).toBe(OptionError);
    expect(core.InputError).toBe(InputError);
    expect(() => core.colormap('jett')).toThrow(SaliencyError);
  });
});
