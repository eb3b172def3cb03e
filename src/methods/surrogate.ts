/**
 * The loop LIME and KernelSHAP share: per item, `samples` binary vectors over its groups (a method's
 * draw), each scored with the switched-off groups at the baseline, each weighted (a method's kernel),
 * and one weighted linear surrogate per item (./linear-fit) whose coefficients become the map: Captum's
 * `LimeBase` with `return_input_shape`, one interpretable model per example.
 */
import * as tf from '@tensorflow/tfjs';
import { groupMap, itemOf, maskOf, PerturbationContext, PerturbationOptions, runGroupUnits, unitLayout } from './group-perturbation';
import { weightedLasso } from './linear-fit';
import type { PixelGroups } from './pixel-groups';

export interface Surrogate {
  /** Samples for an item with `m` groups. */
  samples(m: number): number;
  /** Draw `t` of `m` groups: 1 keeps a group, 0 switches it to the baseline. */
  draw(m: number, t: number): Float32Array;
  /** A sample's weight from its draw and, when `stats`, its (x·x̃, |x̃|², |x − x̃|²) and |x|². */
  weight(keep: Float32Array, stats: ArrayLike<number>, norm: number): number;
  /** Whether `weight` needs the distance terms. */
  stats: boolean;
  /** The lasso's α (0: least squares). */
  alpha: number;
}

/** Runs a surrogate over the groups; the caller owns the map `[N,H,W]`. */
export async function runSurrogate(ctx: PerturbationContext, o: PerturbationOptions & { batchSize: number }, groups: PixelGroups, s: Surrogate): Promise<tf.Tensor3D> {
  const counts = groups.counts.map((m) => s.samples(m));
  const { offsets, total } = unitLayout(counts);
  const draws = new Map<string, Float32Array>();
  const drawOf = (m: number, t: number): Float32Array => {
    const key = `${m}:${t}`;
    let d = draws.get(key);
    if (!d) draws.set(key, (d = s.draw(m, t)));
    return d;
  };
  return runGroupUnits(ctx, o, total, (u, out, offset) => {
    const item = itemOf(offsets, u);
    maskOf(groups.labels[item], drawOf(groups.counts[item], u - offsets[item]), out, offset);
    return item;
  }, (scores, stats, done) => {
    const values = groups.counts.map((m, i) => {
      const rows = Math.max(0, Math.min(counts[i], done - offsets[i]));
      if (rows === 0) return new Float64Array(m);
      const x = new Float64Array(rows * m);
      const y = new Float64Array(rows);
      const w = new Float64Array(rows);
      for (let t = 0; t < rows; t++) {
        const keep = drawOf(m, t);
        x.set(keep, t * m);
        const u = offsets[i] + t;
        y[t] = scores[u];
        w[t] = s.weight(keep, stats ? stats.subarray(3 * u, 3 * u + 3) : [], ctx.norms[i]);
      }
      return weightedLasso(x, y, w, rows, m, s.alpha);
    });
    return groupMap(ctx, groups, values);
  }, s.stats);
}
