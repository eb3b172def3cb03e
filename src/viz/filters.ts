/** Gaussian smoothing and bilinear resizing of map tensors and arrays: adapters around core/filters. */
import * as tf from '@tensorflow/tfjs';
import { ArrayInput, FloatArray, HostArray, readMaps, sameKind } from './array';
import { checkSigma, checkSize, resizeStack, smoothStack } from './core/filters';

/**
 * Gaussian smoothing of a map ([H,W] or [N,H,W], each map alone) with standard deviation `sigma` in
 * pixels. Matches scipy.ndimage.gaussian_filter with its defaults (mode "reflect", truncate 4.0): the
 * kernel spans ceil(4 sigma) pixels each side and borders mirror the map. sigma = 0 returns a copy.
 * Async: tensors are read with `await data()`. Returns the input's kind: a new tensor the caller owns, or
 * `{data, shape}`.
 */
export async function smooth(map: tf.Tensor, sigma: number): Promise<tf.Tensor>;
export async function smooth(map: HostArray, sigma: number): Promise<FloatArray>;
export async function smooth(map: ArrayInput, sigma: number): Promise<tf.Tensor | FloatArray> {
  const where = 'smooth';
  checkSigma(where, sigma);
  const s = await readMaps(where, 'map', map);
  return sameKind(map, smoothStack(s, sigma), [...map.shape]);
}

/**
 * Bilinear resize of a map ([H,W] or [N,H,W]) to `size` = [height, width], half-pixel centers (see
 * resizeStack). Async; returns the input's kind (a new tensor the caller owns, or `{data, shape}`).
 */
export async function resizeMap(map: tf.Tensor, size: [number, number]): Promise<tf.Tensor>;
export async function resizeMap(map: HostArray, size: [number, number]): Promise<FloatArray>;
export async function resizeMap(map: ArrayInput, size: [number, number]): Promise<tf.Tensor | FloatArray> {
  const where = 'resizeMap';
  const [h, w] = checkSize(where, size);
  const s = await readMaps(where, 'map', map);
  const shape = map.shape.length === 2 ? [h, w] : map.shape.length === 3 ? [s.n, h, w] : [s.n, h, w, 1];
  return sameKind(map, resizeStack(s, h, w), shape);
}
