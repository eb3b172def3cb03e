/**
 * The widgets outside a notebook (no kernel: no comm, PNG and text only): typed errors for bad input,
 * results that agree with the methods, and every tensor freed on close.
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../../src/backend';
import { InputError, OptionError, UnknownLayerError } from '../../src/errors';
import { loadModel } from '../../src/models/load';
import { occlusion } from '../../src/methods/occlusion';
import { data } from '../../src/data';
import { DISPLAY } from '../../src/display';
import { heatmapExplorer } from '../../src/widgets/kernel/heatmap-explorer';
import { occlusionExplorer } from '../../src/widgets/kernel/occlusion-explorer';
import { activationGallery } from '../../src/widgets/kernel/activation-gallery';
import { compareMethods } from '../../src/widgets/kernel/compare-methods';
import { WidgetError, WIDGET_VIEW_MIME } from '../../src/widgets/kernel/widget';
import type { WireArray } from '../../src/widgets/arrays';

let model: tf.LayersModel;
let images: tf.Tensor4D;
let first: tf.Tensor4D;
beforeAll(async () => {
  await ready();
  model = (await loadModel('shapes')) as tf.LayersModel;
  images = data.shapes({ n: 2, seed: 6 }).images as tf.Tensor4D;
  first = images.slice([0, 0, 0, 0], [1, -1, -1, -1]);
});
afterAll(() => tf.dispose([images, first, model as unknown as tf.Tensor]));

test('bad input is a typed error naming the value, raised before any widget exists', async () => {
  await expect(heatmapExplorer(model, images, { methods: ['gradCamm'] })).rejects.toThrow(OptionError);
  await expect(heatmapExplorer(model, images, { methods: ['gradCamm'] })).rejects.toThrow(/unknown method "gradCamm"; methods: /);
  await expect(heatmapExplorer(model, tf.zeros([1, 32, 32, 3]))).rejects.toThrow(InputError);
  await expect(heatmapExplorer((x) => tf.sum(x, [1, 2]), images, { methods: ['gradCam'] })).rejects.toThrow(/gradCam/);
  await expect(occlusionExplorer(model, first, { window: 0 })).rejects.toThrow(new WidgetError('occlusionExplorer', 'window must be an integer from 1 to 64 (the image is 64×64), got 0'));
  await expect(occlusionExplorer(model, first, { stride: 100 })).rejects.toThrow(/stride must be an integer from 1 to 64/);
  await expect(occlusionExplorer(model, images)).rejects.toThrow(/image must be one image/);
  await expect(activationGallery(model, first, { layer: 'conv99' })).rejects.toThrow(UnknownLayerError);
  await expect(compareMethods(model, images, { scale: 'wide' as never })).rejects.toThrow(/invalid scale "wide"; choices: shared, per-method, per-map/);
  await expect(heatmapExplorer(model, images, { colormap: 'jett' })).rejects.toThrow(/invalid colormap "jett"/);
});

test('outside a kernel a widget shows as PNG and text; close frees every tensor it made', async () => {
  const before = tf.memory().numTensors;
  const widgets = [
    await heatmapExplorer(model, images),
    await occlusionExplorer(model, first),
    await activationGallery(model, first),
    await compareMethods(model, images, { methods: ['saliencyMap', 'gradCam'] }),
  ];
  for (const w of widgets) {
    const bundle = w[DISPLAY]();
    expect(bundle[WIDGET_VIEW_MIME]).toBeUndefined();
    expect(Buffer.from(bundle['image/png'] as string, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(w.live).toBe(false);
  }
  for (const w of widgets) w.close();
  expect(tf.memory().numTensors).toBe(before);
});

test("the occlusion explorer's map is occlusion()'s map", async () => {
  const ox = await occlusionExplorer(model, first, { window: 8, stride: 4 });
  const expected = await occlusion(model, first, { window: 8, stride: 4 });
  const got = (ox.get('map') as WireArray).data as Float32Array;
  const want = await expected.data();
  expected.dispose();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThan(1e-4);
  ox.close();
});
