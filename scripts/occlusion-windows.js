#!/usr/bin/env node
/**
 * Draws docs/occlusion-windows.svg: the changed window of each layer for one 16×16 occluding patch, as
 * incremental occlusion computes it (`changedWindows`, the evaluator's own window arithmetic), on the
 * VGG-like 224×224 bench net (every windowed layer) and on the bench MobileNetV2 (the last layer at each
 * resolution), exact and with τ 0.6. Needs the build: `npm run build && node scripts/occlusion-windows.js`.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const lib = require('../bench/lib');
const { requireTs } = require('../bench/mobilenet');
const { changedWindows } = require('../dist/methods/occlusion-incremental');

const PATCH = [16, 16];
const AT = [104, 104];
const BOX = 84;
const GAP = 18;

/** One row of panels: the input, then each chosen layer's map with its changed window. */
function row(title, input, windows, y) {
  const panels = [{ layer: 'input', size: input, window: [AT[0], AT[1], PATCH[0], PATCH[1]], full: false }, ...windows];
  const parts = [`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${title}</text>`];
  panels.forEach((p, i) => {
    const x0 = 10 + i * (BOX + GAP);
    const y0 = y + 24;
    const [h, w] = p.size;
    const [r, c, wh, ww] = p.window;
    const s = BOX / Math.max(h, w);
    parts.push(`<rect x="${x0}" y="${y0}" width="${w * s}" height="${h * s}" fill="#f4f4f4" stroke="#555"/>`);
    parts.push(`<rect x="${x0 + c * s}" y="${y0 + r * s}" width="${ww * s}" height="${wh * s}" fill="${p.full ? '#d62728' : '#1f77b4'}" fill-opacity="0.8"/>`);
    const label = p.layer.replace(/_(Conv2D|MaxPooling2D)(\d+)$/, '$2').replace(/^max_pooling2d/, 'maxpool').replace(/^conv2d/, 'conv');
    parts.push(`<text x="${x0}" y="${y0 + BOX + 14}" font-size="10">${label.slice(0, 16)}</text>`);
    parts.push(`<text x="${x0}" y="${y0 + BOX + 26}" font-size="10">${p.full ? 'full ' : ''}${wh}×${ww} of ${h}×${w}</text>`);
  });
  return { svg: parts.join('\n'), width: 10 + panels.length * (BOX + GAP), height: 24 + BOX + 34 };
}

function main() {
  const vgg = lib.vggLike(tf, 224, lib.MODELS.vgg224.widths);
  const vggWindows = changedWindows(vgg, PATCH, AT[0], AT[1]).filter((w) => w.size[0] > 1);
  const mnv2 = requireTs(path.join(__dirname, '..', 'test/fixtures/zoo/index.ts')).mobileNetV2Bench();
  /** The last layer at each resolution (blue: windowed; red: recomputed in full). */
  const lastPerSize = (all) => {
    const ws = all.filter((w) => w.size[0] > 1 && !/pad/i.test(w.layer));
    return ws.filter((w, i) => i === ws.length - 1 || ws[i + 1].size[0] !== w.size[0]);
  };
  const rows = [
    row('VGG-like 224×224, patch 16×16 at (104, 104): each layer', [224, 224], vggWindows, 0),
    row('MobileNetV2 224×224, exact: last layer at each resolution', [224, 224], lastPerSize(changedWindows(mnv2, PATCH, AT[0], AT[1])), 160),
    row('MobileNetV2 224×224, τ 0.6 (approximate.tau)', [224, 224], lastPerSize(changedWindows(mnv2, PATCH, AT[0], AT[1], 0.6)), 320),
  ];
  const width = Math.max(...rows.map((r) => r.width));
  const height = 480;
  const legend = `<text x="10" y="${height - 6}" font-size="11">blue: the changed window recomputed at that layer; red: the window covers the map, the layer is recomputed in full</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${rows.map((r) => r.svg).join('\n')}\n${legend}\n</svg>\n`;
  const out = path.join(__dirname, '..', 'docs', 'occlusion-windows.svg');
  fs.writeFileSync(out, svg);
  console.log(`wrote ${path.relative(process.cwd(), out)} (${width}×${height})`);
  vgg.dispose();
  mnv2.dispose();
}

main();
