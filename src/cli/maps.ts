/** What `demo` and `explain` do with a method's result: one non-negative map per image. */
import * as tf from '@tensorflow/tfjs';
import type { MethodInfo } from '../methods/registry';

/**
 * `[N,H,W]` |attribution| per pixel: the largest |value| over color channels for methods that return
 * one value per input channel (as `saliencyMap`'s default `maxAbs`), |map| for those that return a map.
 * The caller owns the result; `result` is kept.
 */
export function pixelMaps(info: MethodInfo, result: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const abs = tf.abs(result);
    return (info.output === 'input' || result.rank === 4 ? tf.max(abs, -1) : abs) as tf.Tensor3D;
  });
}

/**
 * Each map divided by its sum (so it sums to 1): the fraction of the attribution on each pixel, which
 * puts methods of very different magnitudes on one scale. A map that is zero everywhere stays zero.
 */
export function massMaps(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.div(maps, tf.add(tf.sum(maps, [1, 2], true), 1e-12)) as tf.Tensor3D);
}

/**
 * Per image, the share of the map's mass inside `mask` divided by the mask's share of the image: 1 means
 * the method is no more drawn to the mask than a uniform map, 2 means twice as much.
 */
export async function shareRatios(maps: tf.Tensor3D, masks: tf.Tensor3D): Promise<{ share: number[]; area: number[] }> {
  const [share, area] = tf.tidy(() => {
    const total = tf.add(tf.sum(maps, [1, 2]), 1e-12);
    return [tf.div(tf.sum(tf.mul(maps, masks), [1, 2]), total), tf.mean(masks, [1, 2])] as tf.Tensor1D[];
  });
  const out = { share: Array.from(await share.data() as Float32Array), area: Array.from(await area.data() as Float32Array) };
  tf.dispose([share, area]);
  return out;
}
