/**
 * `road`: DAVE-2-like dashboard views: sky above a horizon, grass with roadside trees and posts, and a
 * road whose lane markings (two solid edge lines, a dashed center line) curve with the steering angle.
 * Label: the steering angle in degrees (float32; negative = left), 25 × the road's curvature, which is
 * uniform in [-1, 1]; the car's lateral offset and everything else are nuisances. Mask: the lane
 * markings. Region `sky`: the visible sky.
 */
import * as tf from '@tensorflow/tfjs';
import { type Dataset, type DatasetOptions, resolveOptions, generate } from './common';
import { Raster, type RGB, hsv, texture } from './raster';
import type { Rng } from './random';

/** Steering angle in degrees at curvature ±1. */
export const MAX_STEERING_DEG = 25;

function renderRoad(rng: Rng, size: number) {
  const r = new Raster(size, size);
  const s = size / 64;
  // Low horizon: DAVE-2 crops its camera images to the road, keeping little sky.
  const horizon = Math.round(size * rng.uniform(0.15, 0.23));
  const curvature = rng.uniform(-1, 1);
  const label = MAX_STEERING_DEG * curvature;
  const offset = rng.uniform(-0.07, 0.07) * size;
  const halfBottom = rng.uniform(0.4, 0.5) * size;
  const halfTop = 0.02 * size;
  const bend = 0.42 * size;
  const bottom = size - 0.5;
  // t: 0 at the bottom row, 1 at the horizon.
  const depth = (y: number) => Math.min(1, Math.max(0, (bottom - y) / (bottom - horizon)));
  // The bend grows like t^1.5 towards the horizon (t² hid it in the last few rows), so the markings show it
  // over most of their length.
  const center = (t: number) => size / 2 + offset * (1 - t) + curvature * bend * t ** 1.5;
  const halfWidth = (t: number) => halfBottom * (1 - t) + halfTop * t;

  // Ground: grass texture; sky: vertical gradient with soft clouds.
  const grassHue = rng.uniform(0.18, 0.33);
  texture(r, rng, hsv(grassHue, rng.uniform(0.4, 0.8), rng.uniform(0.25, 0.45)),
    hsv(grassHue + 0.05, rng.uniform(0.3, 0.7), rng.uniform(0.35, 0.55)), 0.03, 4 * s, 20 * s);
  const sky = new Float32Array(size * size);
  // Skies vary widely (clear, hazy, dusk), which teaches the network that the sky does not steer.
  const top: RGB = hsv(rng.uniform(0.5, 0.7), rng.uniform(0.2, 0.8), rng.uniform(0.45, 0.95));
  const low: RGB = hsv(rng.uniform(0.5, 0.7), rng.uniform(0.05, 0.4), rng.uniform(0.6, 1));
  const clouds: [number, number, number, number][] = [];
  for (let k = rng.int(0, 6); k > 0; k--) {
    clouds.push([rng.uniform(0, size), rng.uniform(0, horizon), rng.uniform(3, 16) * s, rng.uniform(1, 5) * s]);
  }
  for (let y = 0; y < horizon; y++) {
    const g = y / Math.max(horizon - 1, 1);
    for (let x = 0; x < size; x++) {
      let c: RGB = [top[0] * (1 - g) + low[0] * g, top[1] * (1 - g) + low[1] * g, top[2] * (1 - g) + low[2] * g];
      let w = 0;
      for (const [cx, cy, rx, ry] of clouds) w = Math.max(w, 1 - ((x - cx) / rx) ** 2 - ((y - cy) / ry) ** 2);
      if (w > 0) c = c.map((v) => v * (1 - 0.8 * w) + 0.8 * w) as RGB;
      r.blend(x, y, c);
      sky[y * size + x] = 1;
    }
  }
  // Asphalt and lane markings.
  const asphalt = rng.uniform(0.25, 0.45);
  const edgeColor: RGB = [0.95, 0.95, 0.95];
  const centerColor: RGB = rng.random() < 0.5 ? [0.95, 0.85, 0.2] : [0.95, 0.95, 0.95];
  const dashPhase = rng.uniform(0, 1);
  const mask = new Float32Array(size * size);
  for (let y = horizon; y < size; y++) {
    const t = depth(y + 0.5);
    const c = center(t);
    const hw = halfWidth(t);
    // Half thickness in pixels, thinner with distance: painted lines are narrow (1.6 px far, 3.2 px near).
    const line = (0.8 + 0.8 * (1 - t)) * s;
    // The asphalt fades over a wide gravel shoulder (4–16 px), so the sharp curves in the picture are the
    // markings: a network that steers by the road's edge would look at the grass beside it.
    const fade = 4 * (1 + 3 * (1 - t)) * s;
    // Dashes of equal length on the ground: distance ahead grows like 1 / (1 - t).
    const ahead = 1 / (1.05 - t);
    const dashOn = (ahead * 1.2 + dashPhase) % 1 < 0.55;
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const d = Math.abs(px - c);
      if (d > hw + fade) continue;
      const grain = rng.normal() * 0.03;
      r.blend(x, y, [asphalt + grain, asphalt + grain, asphalt * 1.03 + grain], Math.min(1, (hw + fade - d) / fade));
      const edge = Math.abs(d - hw * 0.9) <= line;
      const mid = dashOn && d <= line * 0.8;
      if (edge || mid) {
        r.blend(x, y, edge ? edgeColor : centerColor);
        mask[y * size + x] = 1;
      }
    }
  }
  // Trees and posts anywhere in the fields on either side, smaller with distance; placed independently of
  // the road, so that where they stand says nothing about the bend.
  const objects = new Float32Array(size * size);
  for (let k = rng.int(2, 6); k > 0; k--) {
    const t = rng.uniform(0.05, 0.85);
    const y = bottom - t * (bottom - horizon);
    const side = rng.random() < 0.5 ? -1 : 1;
    const scale = (1 - t) * s + 0.15 * s;
    const near = halfWidth(t) + 3;
    const x = side < 0 ? rng.uniform(0, center(t) - near) : rng.uniform(center(t) + near, size);
    if (rng.random() < 0.6) {
      const trunk: RGB = [0.35, 0.25, 0.15];
      const crown: RGB = hsv(rng.uniform(0.22, 0.38), 0.7, rng.uniform(0.2, 0.4));
      const h = rng.uniform(8, 16) * scale, cr = rng.uniform(3, 6) * scale;
      r.fillWhere(x - 1, y - h, x + 1.5, y + 1, (px, py) => Math.abs(px - x) <= 0.7 * scale + 0.3 && py <= y && py >= y - h, () => trunk, objects);
      r.fillWhere(x - cr, y - h - cr, x + cr + 1, y - h + cr + 1, (px, py) => (px - x) ** 2 + (py - (y - h)) ** 2 <= cr * cr, () => crown, objects);
    } else {
      const color: RGB = rng.random() < 0.5 ? [0.85, 0.85, 0.8] : [0.8, 0.2, 0.15];
      const h = rng.uniform(4, 9) * scale, w = rng.uniform(0.6, 2.5) * scale;
      r.fillWhere(x - w, y - h, x + w + 1, y + 1, (px, py) => Math.abs(px - x) <= w && py <= y && py >= y - h, () => color, objects);
    }
  }
  // Whatever an object covers (a tall tree against the sky or a far marking) is no longer sky or marking.
  for (let i = 0; i < sky.length; i++) {
    if (objects[i]) {
      sky[i] = 0;
      mask[i] = 0;
    }
  }
  r.clamp();
  return { rgb: r.rgb, label, mask, regions: { sky } };
}

/**
 * Generates `n` road scenes; labels are steering angles in degrees (float32), masks the lane markings,
 * `regions.sky` the sky. Deterministic in `seed`. The caller owns the returned tensors.
 */
export function road(options: DatasetOptions = {}): Dataset<tf.Tensor1D> {
  const o = resolveOptions('data.road', options, 32);
  return generate(o, 'float32', ['sky'], renderRoad);
}
