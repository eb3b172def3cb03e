/**
 * `shapes`: one target shape of SHAPE_CLASSES at a random place, scale, rotation and color, on a
 * textured background with clutter (line segments and dots that belong to no class). Label: the class
 * index (int32). Mask: the target shape's pixels.
 */
import * as tf from '@tensorflow/tfjs';
import { type Dataset, type DatasetOptions, resolveOptions, generate } from './common';
import { Raster, type RGB, hsv, inPolygon, segmentDistance, texture } from './raster';
import type { Rng } from './random';

/** Class names, in label order. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'cross', 'star', 'ring'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

function regularPolygon(corners: number, radius: number, innerRadius?: number): number[] {
  const pts: number[] = [];
  const steps = innerRadius === undefined ? corners : corners * 2;
  for (let k = 0; k < steps; k++) {
    const r = innerRadius !== undefined && k % 2 === 1 ? innerRadius : radius;
    const a = -Math.PI / 2 + (2 * Math.PI * k) / steps;
    pts.push(r * Math.cos(a), r * Math.sin(a));
  }
  return pts;
}

const TRIANGLE = regularPolygon(3, 1.15);
const STAR = regularPolygon(5, 1.1, 0.45);

/** Whether (u, v), in the shape's own frame (radius about 1), is inside shape `cls`. */
export function insideShape(cls: ShapeClass, u: number, v: number): boolean {
  switch (cls) {
    case 'circle': return u * u + v * v <= 0.9;
    case 'square': return Math.abs(u) <= 0.78 && Math.abs(v) <= 0.78;
    case 'triangle': return inPolygon(TRIANGLE, u, v - 0.2);
    case 'cross': return (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(u) <= 1 && Math.abs(v) <= 0.3);
    case 'star': return inPolygon(STAR, u, v + 0.05);
    case 'ring': {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= 0.36;
    }
  }
}

function renderShape(rng: Rng, size: number) {
  const r = new Raster(size, size);
  // Background: a muted, darker two-color texture.
  const hue = rng.random();
  texture(r, rng, hsv(hue, rng.uniform(0.1, 0.5), rng.uniform(0.15, 0.4)),
    hsv(hue + rng.uniform(-0.15, 0.15), rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.55)), 0.035, size / 8, size / 2);
  // Clutter: segments and dots in any color.
  const clutter = rng.int(3, 7);
  for (let k = 0; k < clutter; k++) {
    const color = hsv(rng.random(), rng.uniform(0, 1), rng.uniform(0.3, 1));
    if (rng.random() < 0.55) {
      const ax = rng.uniform(0, size), ay = rng.uniform(0, size);
      const len = rng.uniform(0.1, 0.3) * size, a = rng.uniform(0, Math.PI);
      const bx = ax + len * Math.cos(a), by = ay + len * Math.sin(a);
      const half = rng.uniform(0.4, 1.0) * (size / 64);
      r.fillWhere(Math.min(ax, bx) - 2, Math.min(ay, by) - 2, Math.max(ax, bx) + 2, Math.max(ay, by) + 2,
        (x, y) => segmentDistance(x, y, ax, ay, bx, by) <= half, () => color);
    } else {
      const cx = rng.uniform(0, size), cy = rng.uniform(0, size), rad = rng.uniform(0.015, 0.04) * size;
      r.fillWhere(cx - rad, cy - rad, cx + rad + 1, cy + rad + 1, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad, () => color);
    }
  }
  // Target: a bright, saturated shape with a little shading.
  const label = rng.int(0, SHAPE_CLASSES.length - 1);
  const cls = SHAPE_CLASSES[label];
  const radius = rng.uniform(0.13, 0.24) * size;
  const margin = radius * 1.15 + 1;
  const cx = rng.uniform(margin, size - margin), cy = rng.uniform(margin, size - margin);
  const angle = rng.uniform(-Math.PI / 6, Math.PI / 6);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const color = hsv(rng.random(), rng.uniform(0.55, 1), rng.uniform(0.75, 1));
  const shade = rng.uniform(-0.15, 0.15);
  const mask = new Float32Array(size * size);
  r.fillWhere(cx - margin, cy - margin, cx + margin, cy + margin, (x, y) => {
    const dx = (x - cx) / radius, dy = (y - cy) / radius;
    return insideShape(cls, cos * dx + sin * dy, -sin * dx + cos * dy);
  }, (x, y) => {
    const s = 1 + shade * ((x - cx) / radius);
    return [color[0] * s, color[1] * s, color[2] * s] as RGB;
  }, mask);
  r.clamp();
  return { rgb: r.rgb, label, mask, regions: {} };
}

/**
 * Generates `n` shapes scenes ([N, size, size, 3] float32 images in [0, 1]); `labels` are int32 indices
 * into SHAPE_CLASSES. Deterministic in `seed`. The caller owns the returned tensors.
 */
export function shapes(options: DatasetOptions = {}): Dataset<tf.Tensor1D> {
  const o = resolveOptions('data.shapes', options, 16);
  return generate(o, 'int32', [], renderShape);
}
