import * as tf from '@tensorflow/tfjs';
import { show, createShow, DisplayError, RGBAImage, heatmapFigure, PLOTLY_MIME, TslabDisplay } from '../../src/viz';
import { setDisplaySink, MimeBundle, DisplayOptions } from '../../src/display';
import { useCpu, decodePNG, expectNoLeak } from './helpers';

beforeAll(useCpu);
afterEach(() => setDisplaySink(null));

function recordingSink() {
  const calls: { bundle: MimeBundle; options: DisplayOptions }[] = [];
  setDisplaySink({ display: (bundle, options) => calls.push({ bundle, options }) });
  return calls;
}

describe('show', () => {
  test('sends an RGBAImage bundle to the kernel sink, with display options', async () => {
    const calls = recordingSink();
    await show(new RGBAImage(1, 1, new Uint8ClampedArray([9, 8, 7, 255])), { displayId: 'd1', metadata: { 'image/png': { width: 10 } } });
    expect(calls).toHaveLength(1);
    expect(calls[0].options).toEqual({ displayId: 'd1', metadata: { 'image/png': { width: 10 } } });
    expect(Array.from(decodePNG(Buffer.from(calls[0].bundle['image/png'] as string, 'base64')).data)).toEqual([9, 8, 7, 255]);
  });

  test('plotly figures go as plotly JSON with the PNG fallback', async () => {
    const calls = recordingSink();
    await show(await heatmapFigure({ data: [0, 1], shape: [1, 2] }));
    expect(Object.keys(calls[0].bundle).sort()).toEqual([PLOTLY_MIME, 'image/png', 'text/plain'].sort());
  });

  test('tensors: an image tensor as a picture, a map tensor as a heatmap; no leaks', async () => {
    const calls = recordingSink();
    const img = tf.tensor3d([[[1, 0, 0]]]);
    const map = tf.tensor2d([[0, 1]]);
    await expectNoLeak(async () => { await show(img); await show(map); });
    expect(Array.from(decodePNG(Buffer.from(calls[0].bundle['image/png'] as string, 'base64')).data)).toEqual([255, 0, 0, 255]);
    expect(Array.from(decodePNG(Buffer.from(calls[1].bundle['image/png'] as string, 'base64')).data)).toEqual([68, 1, 84, 255, 253, 231, 37, 255]);
    tf.dispose([img, map]);
  });

  test('without a sink: falls back to tslab display (PNG, else text)', async () => {
    const got: string[] = [];
    const fake: TslabDisplay = { png: (b) => got.push(`png ${b.length}`), text: (s) => got.push(`text ${s}`) };
    const showWithTslab = createShow(() => ({ display: fake }));
    await showWithTslab(new RGBAImage(1, 1));
    await showWithTslab('hello');
    expect(got[0]).toMatch(/^png \d+$/);
    expect(got[1]).toBe('text hello');
  });

  test('without a sink and without tslab: a DisplayError saying so', async () => {
    const missing = createShow(() => {
      const e = new Error("Cannot find module 'tslab'") as Error & { code: string };
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    });
    await expect(missing(new RGBAImage(1, 1))).rejects.toThrow(DisplayError);
    await expect(missing(new RGBAImage(1, 1))).rejects.toThrow('show: no display: no saliency-lab kernel display sink is installed and tslab is not installed');
  });

  test('outside a kernel, the real tslab display is not ready: a DisplayError, not a silent no-op', async () => {
    await expect(show(new RGBAImage(1, 1))).rejects.toThrow(/show: no display: .*tslab's display failed \(Not ready\)/);
  });
});
