/**
 * Do attribution methods point at what the shipped models were built to use? On 200 images from a seed
 * that no training run uses (training with seed s uses data seeds s·1000 … s·1000+999):
 * - shapes: Grad-CAM's maximum lies inside the target shape (pointing game) in at least 85% of images;
 *   the share of vanilla saliency inside the shape is at least twice the shape's share of the image;
 * - road: more saliency mass on the lane markings than on the sky, and the share of vanilla saliency on
 *   the markings at least twice the markings' share of the image (the steering picture of notebook 01);
 * - rings: more saliency mass on the target scale than on the distractor scale.
 */
import * as tf from '@tensorflow/tfjs';
import { gradCam, saliencyMap } from '../../src/methods';
import { loadModel } from '../../src/models/load';
import { data } from '../../src/data';
import type { Dataset } from '../../src/data/common';

const SEED = 7_000_002;
const N = 200;
const BATCH = 50;

function dispose(d: Dataset): void {
  tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
}

/** Runs `method` on the images in batches and returns the maps as one [N, H, W] array. */
async function mapsOf(
  d: Dataset,
  method: (x: tf.Tensor4D, labels: number[]) => Promise<tf.Tensor3D>,
): Promise<number[][][]> {
  const labels = Array.from(await d.labels.data());
  const out: number[][][] = [];
  for (let b = 0; b < N; b += BATCH) {
    const x = d.images.slice(b, BATCH);
    const map = await method(x, labels.slice(b, b + BATCH));
    expect(map.shape).toEqual([BATCH, 64, 64]);
    out.push(...(map.arraySync() as number[][][]));
    tf.dispose([x, map]);
  }
  return out;
}

function mass(map: number[][], region: number[][]): number {
  let s = 0;
  for (let y = 0; y < map.length; y++) for (let x = 0; x < map[y].length; x++) s += Math.abs(map[y][x]) * region[y][x];
  return s;
}

describe('ground truth on held-out images', () => {
  test('shapes: Grad-CAM pointing game ≥ 85%; saliency share in the mask ≥ 2× the mask share', async () => {
    const model = (await loadModel('shapes')) as tf.LayersModel;
    const d = data.shapes({ n: N, seed: SEED });
    const masks = d.masks.arraySync() as number[][][];
    const cams = await mapsOf(d, (x, labels) => gradCam(model, x, { layer: 'block3_conv2', target: labels }));
    let hits = 0;
    cams.forEach((cam, i) => {
      let best = -Infinity, by = 0, bx = 0;
      cam.forEach((row, y) => row.forEach((v, x) => {
        if (v > best) [best, by, bx] = [v, y, x];
      }));
      if (masks[i][by][bx] === 1) hits++;
    });
    const sal = await mapsOf(d, (x, labels) => saliencyMap(model, x, { target: labels }));
    let inside = 0, share = 0;
    sal.forEach((map, i) => {
      const ones = masks[i].map((row) => row.map(() => 1));
      inside += mass(map, masks[i]) / Math.max(mass(map, ones), 1e-12);
      share += mass(ones, masks[i]) / (64 * 64);
    });
    console.log(`shapes: pointing game ${hits}/${N}; saliency share in mask ${(inside / N).toFixed(3)} vs mask share ${(share / N).toFixed(3)}`);
    expect(hits / N).toBeGreaterThanOrEqual(0.85);
    expect(inside / N).toBeGreaterThanOrEqual(2 * (share / N));
    dispose(d);
    model.dispose();
  }, 300_000);

  test('road: saliency share on the lane markings ≥ 2× their area share; more mass on them than on the sky', async () => {
    const model = (await loadModel('road')) as tf.LayersModel;
    const d = data.road({ n: N, seed: SEED });
    const lanes = d.masks.arraySync() as number[][][];
    const sky = d.regions.sky.arraySync() as number[][][];
    const sal = await mapsOf(d, (x) => saliencyMap(model, x, { target: 0 }));
    let onLanes = 0, onSky = 0, imagesMore = 0, share = 0, area = 0;
    sal.forEach((map, i) => {
      const l = mass(map, lanes[i]), s = mass(map, sky[i]);
      const ones = lanes[i].map((row) => row.map(() => 1));
      onLanes += l;
      onSky += s;
      if (l > s) imagesMore++;
      share += l / Math.max(mass(map, ones), 1e-12) / N;
      area += mass(ones, lanes[i]) / (64 * 64) / N;
    });
    console.log(`road: saliency share on the markings ${share.toFixed(3)} vs their area share ${area.toFixed(3)} (${(share / area).toFixed(2)}×); ` +
      `mass lanes ${onLanes.toExponential(3)} vs sky ${onSky.toExponential(3)}; lanes more in ${imagesMore}/${N} images`);
    expect(share).toBeGreaterThanOrEqual(2 * area);
    expect(onLanes).toBeGreaterThan(onSky);
    dispose(d);
    model.dispose();
  }, 300_000);

  test('rings: more saliency mass on the target scale than on the distractor', async () => {
    const model = (await loadModel('rings')) as tf.LayersModel;
    const d = data.rings({ n: N, seed: SEED });
    const target = d.regions.target.arraySync() as number[][][];
    const distractor = d.regions.distractor.arraySync() as number[][][];
    const sal = await mapsOf(d, (x) => saliencyMap(model, x, { target: 0 }));
    let onTarget = 0, onDistractor = 0, imagesMore = 0;
    sal.forEach((map, i) => {
      const t = mass(map, target[i]), s = mass(map, distractor[i]);
      onTarget += t;
      onDistractor += s;
      if (t > s) imagesMore++;
    });
    console.log(`rings: saliency mass target ${onTarget.toExponential(3)} vs distractor ${onDistractor.toExponential(3)}; target more in ${imagesMore}/${N} images`);
    expect(onTarget).toBeGreaterThan(onDistractor);
    dispose(d);
    model.dispose();
  }, 300_000);
});
