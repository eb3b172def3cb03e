import * as tf from '@tensorflow/tfjs';
import { heatmapFigure, subplotsFigure, lineFigure, plotlyColorscale, colormap, PLOTLY_MIME } from '../../src/viz';
import { InputError, OptionError } from '../../src/errors';
import { DISPLAY } from '../../src/display';
import { useCpu, decodePNG, expectMatchesImage, expectNoLeak } from './helpers';

beforeAll(useCpu);

const map3x4 = () => tf.tensor2d([[0, 0.25, 0.5, 1], [2, -1, 0.125, 0.1], [3, 3, 3, 3]]);

describe('plotly figure specs', () => {
  test('heatmapFigure: spec snapshot; range follows normalize; PNG fallback', async () => {
    const m = map3x4();
    const fig = await expectNoLeak(() => heatmapFigure(m, { title: 'saliency', colormap: 'viridis' }));
    expect(fig.toJSON()).toMatchSnapshot();
    const trace = fig.data[0] as { z: number[][]; zmin: number; zmax: number };
    expect(trace.z[1]).toEqual([2, -1, 0.125, 0.1]);
    expect([trace.zmin, trace.zmax]).toEqual([-1, 3]);
    const signed = await heatmapFigure(m, { normalize: { mode: 'signed' }, colormap: 'rdbu_r' });
    expect([(signed.data[0] as { zmin: number }).zmin, (signed.data[0] as { zmax: number }).zmax]).toEqual([-3, 3]);
    const bundle = fig[DISPLAY]();
    expect(Object.keys(bundle).sort()).toEqual([PLOTLY_MIME, 'image/png', 'text/plain'].sort());
    expect(bundle[PLOTLY_MIME]).toEqual(fig.toJSON());
    expect(bundle['text/plain']).toBe('PlotlyFigure "saliency" (1 trace)');
    const png = Buffer.from(bundle['image/png'] as string, 'base64');
    expectMatchesImage('plotly-heatmap-fallback', png);
    // The fallback is the map magnified: its top-left pixel (value 0 of range [-1, 3]) has viridis(0.25).
    expect(Array.from(decodePNG(png).data.subarray(0, 3))).toEqual(colormap('viridis')(Math.round(0.25 * 1023) / 1023));
    m.dispose();
  });

  test('subplotsFigure: shared coloraxis by default, own ranges per map on request', async () => {
    const a = tf.tensor2d([[0, 1], [2, 3]]);
    const b = tf.tensor2d([[0, 10], [20, 30]]);
    const fig = await expectNoLeak(() => subplotsFigure([a, b], { titles: ['gradient', 'grad-cam'] }));
    expect(fig.toJSON()).toMatchSnapshot();
    expect((fig.layout.coloraxis as { cmax: number }).cmax).toBe(30);
    const stack = tf.stack([a, b]);
    const own = await subplotsFigure(stack, { normalize: { scale: 'per-map' } });
    stack.dispose();
    expect(own.layout.coloraxis).toBeUndefined();
    expect(own.data.map((d) => (d as { zmax: number }).zmax)).toEqual([3, 30]);
    expectMatchesImage('plotly-subplots-fallback', Buffer.from(fig[DISPLAY]()['image/png'] as string, 'base64'));
    tf.dispose([a, b]);
  });

  test('lineFigure: curves from arrays and tensors; spec snapshot', async () => {
    const y = tf.tensor1d([1, 0.6, 0.3, 0.2, 0.15]);
    const fig = await expectNoLeak(() => lineFigure(
      [{ y, name: 'deletion' }, { x: [0, 1, 2, 3, 4], y: [0, 0.3, 0.5, 0.65, 0.7], name: 'insertion' }],
      { title: 'curves', xTitle: 'step', yTitle: 'score' },
    ));
    expect(fig.toJSON()).toMatchSnapshot();
    expectMatchesImage('plotly-lines-fallback', Buffer.from(fig[DISPLAY]()['image/png'] as string, 'base64'));
    y.dispose();
  });

  test('constant maps draw (as the colormap\'s low end) instead of failing', async () => {
    const zero = { data: new Float32Array(4), shape: [2, 2] };
    for (const fig of [await heatmapFigure(zero), await heatmapFigure(zero, { normalize: { mode: 'signed' } }), await subplotsFigure([zero, zero])]) {
      expect(decodePNG(fig.fallback.toPNG()).width).toBeGreaterThan(0);
    }
    expect(Array.from((await heatmapFigure(zero)).fallback.data.subarray(0, 3))).toEqual(colormap('viridis')(0));
  });

  test('plotlyColorscale samples our colormap', () => {
    const cs = plotlyColorscale('viridis', 3);
    expect(cs).toEqual([[0, 'rgb(68, 1, 84)'], [0.5, `rgb(${colormap('viridis')(0.5).join(', ')})`], [1, 'rgb(253, 231, 37)']]);
  });

  test('errors', async () => {
    await expect(heatmapFigure({ data: [1, NaN], shape: [1, 2] })).rejects.toThrow(InputError);
    await expect(heatmapFigure({ data: [1, 2], shape: [2, 1, 1] })).rejects.toThrow(/map batch holds 2 maps; pass one, or use subplotsFigure/);
    await expect(subplotsFigure([])).rejects.toThrow(InputError);
    await expect(subplotsFigure([{ data: [1], shape: [1, 1] }], { titles: ['a', 'b'] })).rejects.toThrow(new OptionError('subplotsFigure', 'titles must be 1 strings (one per map), but got 2'));
    await expect(lineFigure([{ y: [1, 2], x: [1] }])).rejects.toThrow('lineFigure: series 0 has 1 x values but 2 y values');
    await expect(lineFigure([])).rejects.toThrow(InputError);
    await expect(lineFigure({ y: [1, NaN] })).rejects.toThrow('lineFigure: series 0 y holds NaN at index 1');
  });
});
