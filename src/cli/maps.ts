/** What `demo` and `explain` do with a method's result: one non-negative map per image. */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import type { MethodInfo } from '../methods/registry';

/**
 * `[N,H,W]` |attribution| per pixel: the largest |value| over color channels for methods that return
 * one value per input channel (as `saliencyMap`'s default `maxAbs`), |map| for those that return a map.
 * With `size`, a map of another size (a layer attribution, at the layer's resolution) is resized to it
 * (bilinear, half-pixel centres). A result that is not a picture (a dense layer's attribution) is an
 * InputError. The caller owns the result; `result` is kept.
 */
export function pixelMaps(info: MethodInfo, result: tf.Tensor, size?: [number, number]): tf.Tensor3D {
  if (result.rank !== 3 && result.rank !== 4) {
    throw new InputError(info.name, `the result has shape [${result.shape}], which is not a picture; name a layer with a 4-D output`);
  }
  return tf.tidy(() => {
    const abs = tf.abs(result);
    const maps = (info.output === 'input' || result.rank === 4 ? tf.max(abs, -1) : abs) as tf.Tensor3D;
    if (!size || (maps.shape[1] === size[0] && maps.shape[2] === size[1])) return maps;
    return tf.image.resizeBilinear(tf.expandDims(maps, -1) as tf.Tensor4D, size, false, true).squeeze([3]) as tf.Tensor3D;
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
