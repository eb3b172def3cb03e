/** What every synthetic data set takes and returns. */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { Rng, mixSeeds } from './random';

/** Options every generator takes. */
export interface DatasetOptions {
  /** Number of images. Default 64. */
  n?: number;
  /** Seed: the same seed gives the same images; image i depends only on (seed, i). Default 0. */
  seed?: number;
  /** Image height and width in pixels. Default 64. */
  size?: number;
}

/**
 * A batch of synthetic images with labels and ground truth. The caller owns (and disposes) every tensor,
 * `regions` included.
 */
export interface Dataset<L extends tf.Tensor1D = tf.Tensor1D> {
  /** [N, H, W, 3] float32 in [0, 1]. */
  images: tf.Tensor4D;
  /** [N]: int32 class indices (shapes) or float32 values (road: steering angle, rings: ring count). */
  labels: L;
  /** [N, H, W] float32 0/1: the pixels a method should point at. */
  masks: tf.Tensor3D;
  /** Further named [N, H, W] 0/1 masks (road: `sky`; rings: `target`, `distractor` scales). */
  regions: Record<string, tf.Tensor3D>;
}

export const DEFAULT_OPTIONS: Required<DatasetOptions> = { n: 64, seed: 0, size: 64 };

/** Merges defaults and checks each option; `where` names the generator in errors. */
export function resolveOptions(where: string, options: DatasetOptions, minSize: number): Required<DatasetOptions> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  if (!Number.isInteger(o.n) || o.n < 1) throw new OptionError(where, `n must be a positive integer, got ${o.n}`);
  if (!Number.isInteger(o.seed)) throw new OptionError(where, `seed must be an integer, got ${o.seed}`);
  if (!Number.isInteger(o.size) || o.size < minSize || o.size > 1024) {
    throw new OptionError(where, `size must be an integer from ${minSize} to 1024, got ${o.size}`);
  }
  return o;
}

/** One rendered example, as plain arrays of one image's size. */
export interface Example {
  rgb: Float32Array;
  label: number;
  mask: Float32Array;
  regions: Record<string, Float32Array>;
}

/** Renders n examples with per-image generators and packs them into tensors. */
export function generate<L extends tf.Tensor1D>(
  o: Required<DatasetOptions>,
  labelDtype: 'int32' | 'float32',
  regionNames: readonly string[],
  render: (rng: Rng, size: number) => Example,
): Dataset<L> {
  const { n, size, seed } = o;
  const px = size * size;
  const images = new Float32Array(n * px * 3);
  const masks = new Float32Array(n * px);
  const labels = labelDtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  const regions = Object.fromEntries(regionNames.map((name) => [name, new Float32Array(n * px)]));
  for (let i = 0; i < n; i++) {
    const ex = render(new Rng(mixSeeds(seed, i)), size);
    images.set(ex.rgb, i * px * 3);
    masks.set(ex.mask, i * px);
    labels[i] = ex.label;
    for (const name of regionNames) regions[name].set(ex.regions[name], i * px);
  }
  return {
    images: tf.tensor4d(images, [n, size, size, 3], 'float32'),
    labels: tf.tensor1d(labels, labelDtype) as L,
    masks: tf.tensor3d(masks, [n, size, size], 'float32'),
    regions: Object.fromEntries(regionNames.map((name) => [name, tf.tensor3d(regions[name], [n, size, size], 'float32')])),
  };
}
