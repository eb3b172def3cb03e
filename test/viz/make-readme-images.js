#!/usr/bin/env node
// Makes the two pictures of the README's viz section from synthetic inputs, one viz call each:
//   docs/overlay.png  smoothed saliency over the image (the seed articles' fish-scale figure)
//   docs/atlas.png    the 32 channels of a hand-built Gabor convolution layer on the same image
// Run after `npm run build`: node test/viz/make-readme-images.js
'use strict';
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { ready, setBackend } = require('../../dist/backend');
const { overlay, gallery, saveImage } = require('../../dist/viz');

const SIZE = 192;

/** A "fish": an ellipse with a scale pattern and an eye, on a blue-green water gradient. */
function fishImage() {
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 3;
      let [r, g, b] = [0.15, 0.35 + 0.25 * (y / SIZE), 0.55 + 0.3 * (x / SIZE)];
      const u = (x - 100) / 62, v = (y - 96) / 30;
      const tail = x < 46 && x > 14 && Math.abs(y - 96) < (46 - x) * 0.9;
      if (u * u + v * v < 1 || tail) {
        // Scales: a lattice of arcs, brighter on the belly.
        const s = 0.5 + 0.5 * Math.cos((x + 0.5 * Math.abs(((y / 8) | 0) % 2) * 8) * 0.8) * Math.cos(y * 0.8);
        [r, g, b] = [0.75 + 0.2 * s, 0.5 + 0.25 * s - 0.15 * v, 0.2 + 0.1 * s];
      }
      const ex = x - 140, ey = y - 88;
      if (ex * ex + ey * ey < 25) [r, g, b] = [0.05, 0.05, 0.05];
      data[i] = r; data[i + 1] = g; data[i + 2] = b;
    }
  }
  return tf.tensor3d(data, [SIZE, SIZE, 3]);
}

/** A bank of Gabor filters, [k, k, 1, n]: 8 orientations × 4 wavelengths. */
function gaborBank(k = 9) {
  const n = 32, w = new Float32Array(k * k * n);
  for (let f = 0; f < n; f++) {
    const theta = ((f % 8) * Math.PI) / 8, lambda = 3 + 1.5 * Math.floor(f / 8);
    for (let y = 0; y < k; y++) {
      for (let x = 0; x < k; x++) {
        const dx = x - (k - 1) / 2, dy = y - (k - 1) / 2;
        const xr = dx * Math.cos(theta) + dy * Math.sin(theta);
        const yr = -dx * Math.sin(theta) + dy * Math.cos(theta);
        w[(y * k + x) * n + f] = Math.exp(-(xr * xr + yr * yr) / (2 * 2.5 * 2.5)) * Math.cos((2 * Math.PI * xr) / lambda);
      }
    }
  }
  // Zero mean: flat regions (water, the flat background) give no response.
  for (let f = 0; f < n; f++) {
    let mean = 0;
    for (let p = 0; p < k * k; p++) mean += w[p * n + f] / (k * k);
    for (let p = 0; p < k * k; p++) w[p * n + f] -= mean;
  }
  return tf.tensor4d(w, [k, k, 1, n]);
}

async function main() {
  await ready(); // let the automatic choice finish before choosing: the two would race
  await setBackend('cpu');
  const docs = path.join(__dirname, '..', '..', 'docs');
  const image = fishImage();
  const filters = gaborBank();
  // A tiny hand-built "model": score = Gabor energy (sum of squared rectified responses) of the gray
  // image. Its input gradient is the saliency map: large on the textured fish, zero on the smooth water.
  // Mirrored borders keep the picture's edge from looking like an edge.
  const layer = (gray) => tf.relu(tf.conv2d(tf.mirrorPad(gray, [[0, 0], [4, 4], [4, 4], [0, 0]], 'reflect'), filters, 1, 'valid'));
  const score = (x) => layer(x.mean(2, true).expandDims(0)).square().sum();
  const saliency = tf.tidy(() => tf.grad(score)(image).abs().max(2));
  const picture = await overlay(image, saliency, { sigma: 5, colormap: 'inferno', alpha: 0.6, threshold: 0.15, normalize: { percentile: 99 } });
  await saveImage(path.join(docs, 'overlay.png'), picture);

  const small = tf.tidy(() => tf.image.resizeBilinear(image, [64, 64], false, true).mean(2, true).expandDims(0));
  const activations = tf.tidy(() => layer(small));
  const atlas = await gallery(activations, { layout: 'channels', columns: 8, zoom: 2, labels: true, colormap: 'viridis', background: [24, 24, 24] });
  await saveImage(path.join(docs, 'atlas.png'), atlas);
  tf.dispose([image, filters, saliency, small, activations]);
  console.log(`wrote ${path.join(docs, 'overlay.png')} (${picture.width}×${picture.height}) and ${path.join(docs, 'atlas.png')} (${atlas.width}×${atlas.height})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
