/**
 * `rings`: fish-scale-like textures. A large target scale (warm, with radial striae) carries K
 * concentric growth rings (annuli); label: K (float32, the "age", 2 to 8). A second, smaller scale of
 * another species (cool gray) with its own unrelated ring count is a distractor. Mask: the target
 * scale's rings. Regions: `target` and `distractor`, each scale's whole area.
 */
import * as tf from '@tensorflow/tfjs';
import { type Dataset, type DatasetOptions, resolveOptions, generate } from './common';
import { Raster, type RGB, hsv, texture } from './raster';
import type { Rng } from './random';

export const MIN_RINGS = 2;
export const MAX_RINGS = 8;

interface Scale {
  cx: number;
  cy: number;
  radius: number;
  rings: number;
  color: RGB;
}

/** Draws one scale; marks its area in `area` and its ring pixels in `ringMask` (when given). */
function drawScale(r: Raster, rng: Rng, sc: Scale, area: Float32Array, ringMask?: Float32Array): void {
  const { cx, cy, radius, rings, color } = sc;
  const size = r.width;
  const ax = radius * rng.uniform(1, 1.1), ay = radius * rng.uniform(0.9, 1);
  const tilt = rng.uniform(0, Math.PI);
  const cos = Math.cos(tilt), sin = Math.sin(tilt);
  const radii: number[] = [];
  for (let j = 1; j <= rings; j++) radii.push((j + rng.uniform(-0.12, 0.12)) / (rings + 0.6));
  const striae = rng.int(18, 30);
  const phase = rng.uniform(0, 2 * Math.PI);
  const darkness = rng.uniform(0.45, 0.6);
  const halfLine = 0.75 * (size / 64);
  const rmax = Math.max(ax, ay);
  for (let y = Math.max(0, Math.floor(cy - rmax)); y < Math.min(size, Math.ceil(cy + rmax + 1)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rmax)); x < Math.min(size, Math.ceil(cx + rmax + 1)); x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const u = (cos * dx + sin * dy) / ax, v = (-sin * dx + cos * dy) / ay;
      const rho = Math.hypot(u, v);
      if (rho > 1) continue;
      const theta = Math.atan2(v, u);
      const stria = 1 + 0.05 * Math.sin(striae * theta + phase) + rng.normal() * 0.02;
      const rim = rho > 0.93 ? 0.85 : 1;
      r.blend(x, y, [color[0] * stria * rim, color[1] * stria * rim, color[2] * stria * rim]);
      area[y * size + x] = 1;
      // Ring intensity: 1 on a ring's center line, falling to 0 at one line width away.
      let ring = 0;
      for (const rj of radii) ring = Math.max(ring, 1 - Math.abs(rho - rj) * radius / (2 * halfLine));
      if (ring > 0) {
        const f = 1 - (1 - darkness) * ring;
        r.scale(x, y, [f, f, f]);
        if (ringMask && ring >= 0.5) ringMask[y * size + x] = 1;
      }
    }
  }
}

function renderRings(rng: Rng, size: number) {
  const r = new Raster(size, size);
  texture(r, rng, hsv(rng.uniform(0.5, 0.7), rng.uniform(0.2, 0.5), rng.uniform(0.12, 0.25)),
    hsv(rng.uniform(0.5, 0.7), rng.uniform(0.2, 0.5), rng.uniform(0.25, 0.38)), 0.03, size / 10, size / 3);
  // The distractor sits in a corner, the target toward the opposite one, so they do not overlap.
  const left = rng.random() < 0.5, up = rng.random() < 0.5;
  const dRadius = rng.uniform(0.13, 0.17) * size;
  const dm = dRadius * 1.1 + 1 + rng.uniform(0, 0.05) * size;
  const distractor: Scale = {
    cx: left ? dm : size - dm, cy: up ? dm : size - dm, radius: dRadius,
    rings: rng.int(MIN_RINGS, MAX_RINGS),
    color: hsv(rng.uniform(0.5, 0.65), rng.uniform(0.1, 0.3), rng.uniform(0.6, 0.8)),
  };
  const tRadius = rng.uniform(0.3, 0.34) * size;
  const tm = tRadius * 1.1 + 1 + rng.uniform(0, 0.06) * size;
  const target: Scale = {
    cx: left ? size - tm : tm, cy: up ? size - tm : tm, radius: tRadius,
    rings: rng.int(MIN_RINGS, MAX_RINGS),
    color: hsv(rng.uniform(0.08, 0.14), rng.uniform(0.3, 0.5), rng.uniform(0.8, 0.95)),
  };
  const distractorArea = new Float32Array(size * size);
  const targetArea = new Float32Array(size * size);
  const mask = new Float32Array(size * size);
  drawScale(r, rng, distractor, distractorArea);
  drawScale(r, rng, target, targetArea, mask);
  for (let i = 0; i < targetArea.length; i++) if (targetArea[i]) distractorArea[i] = 0;
  r.clamp();
  return { rgb: r.rgb, label: target.rings, mask, regions: { target: targetArea, distractor: distractorArea } };
}

/**
 * Generates `n` fish-scale images; labels are the target scale's ring counts (float32), masks its ring
 * pixels, `regions.target` / `regions.distractor` the two scales. Deterministic in `seed`. The caller
 * owns the returned tensors.
 */
export function rings(options: DatasetOptions = {}): Dataset<tf.Tensor1D> {
  const o = resolveOptions('data.rings', options, 32);
  return generate(o, 'float32', ['target', 'distractor'], renderRings);
}
