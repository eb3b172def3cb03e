/**
 * Localisation against ground-truth masks (the synthetic data sets' `masks`), per item:
 * - `pointingHit` (Zhang et al. 2016, the pointing game): 1 when the map's maximum lies within `tolerance`
 *   pixels (Euclidean) of a mask pixel, else 0. The paper uses a 15-pixel tolerance on PASCAL/COCO
 *   images; the default here is 0 (the maximum itself inside the mask), which suits 64×64 images. Ties at
 *   the maximum: the first in row-major order.
 * - `energy` (the energy-based pointing game of Score-CAM, Wang et al. 2020): Σ_mask max(a, 0) / Σ max(a, 0),
 *   the share of the map's positive energy inside the mask; 0 for a map without positive values.
 * - `share`: Σ_mask |a| / Σ |a|, the share of the attribution's magnitude inside the mask (signed maps
 *   such as gradient × input count both signs).
 * - `chance`: the mask's share of the image, what `energy` and `share` score in expectation for a map
 *   unrelated to the mask, and a random map's pointing-game hit rate (tolerance 0).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import { checkNumber } from '../methods/options';
import { checkMap } from './common';

export interface LocalisationOptions {
  /** Pointing-game tolerance in pixels (Euclidean distance to the nearest mask pixel). Default 0. */
  tolerance?: number;
}

export const LOCALISATION_DEFAULTS = { tolerance: 0 };

/** Per-item localisation scores (see the module comment); arrays have one entry per batch item. */
export interface Localisation {
  pointingHit: number[];
  energy: number[];
  share: number[];
  chance: number[];
}

/** The pointing game, energy-based pointing game and mass share of maps `[N,H,W]` against 0/1 masks `[N,H,W]`. */
export async function localisation(map: tf.Tensor, mask: tf.Tensor, options: LocalisationOptions = {}): Promise<Localisation> {
  const where = 'localisation';
  const tolerance = options.tolerance === undefined ? LOCALISATION_DEFAULTS.tolerance : checkNumber(where, 'tolerance', options.tolerance, { min: 0 });
  const a = await checkMap(where, 'map', map);
  const m = await checkMap(where, 'mask', mask, a.shape);
  const [va, vm] = await Promise.all([a.data(), m.data()]);
  const [n, h, w] = a.shape;
  const px = h * w;
  const out: Localisation = { pointingHit: [], energy: [], share: [], chance: [] };
  for (let i = 0; i < n; i++) {
    const o = i * px;
    let area = 0;
    for (let p = 0; p < px; p++) {
      const v = vm[o + p];
      if (v !== 0 && v !== 1) throw new InputError(where, `mask must hold only 0 and 1, but item ${i} holds ${v}`);
      area += v;
    }
    if (area === 0) throw new InputError(where, `mask of item ${i} is empty: the measures need at least one mask pixel`);
    let best = 0;
    let posIn = 0;
    let pos = 0;
    let absIn = 0;
    let abs = 0;
    for (let p = 0; p < px; p++) {
      const v = va[o + p];
      if (v > va[o + best]) best = p;
      const inside = vm[o + p] === 1;
      if (v > 0) {
        pos += v;
        if (inside) posIn += v;
      }
      abs += Math.abs(v);
      if (inside) absIn += Math.abs(v);
    }
    out.pointingHit.push(nearMask(vm, o, h, w, Math.floor(best / w), best % w, tolerance) ? 1 : 0);
    out.energy.push(pos > 0 ? posIn / pos : 0);
    out.share.push(abs > 0 ? absIn / abs : 0);
    out.chance.push(area / px);
  }
  return out;
}

/** True when a mask pixel lies within `tol` pixels of (y, x). */
function nearMask(mask: ArrayLike<number>, offset: number, h: number, w: number, y: number, x: number, tol: number): boolean {
  const r = Math.floor(tol);
  for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
    for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
      if ((yy - y) ** 2 + (xx - x) ** 2 <= tol * tol && mask[offset + yy * w + xx] === 1) return true;
    }
  }
  return false;
}
