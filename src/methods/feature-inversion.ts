/**
 * Feature inversion (Mahendran and Vedaldi 2015, "Understanding Deep Image Representations by Inverting
 * Them"): optimize a new input, from seeded noise, so that its activation at a layer matches the given
 * image's, under the same image priors as activation maximization (L2, total variation, optional blur;
 * pixel or Fourier parameterization). The loss is the paper's normalized distance
 * ‖Φ(x) − Φ(x₀)‖² / ‖Φ(x₀)‖² per image; `objective` in `onStep` is the relative L2 error
 * ‖Φ(x) − Φ(x₀)‖ / ‖Φ(x₀)‖ (lower is better).
 *
 * Departures from the paper: Adam instead of momentum SGD, and a sigmoid keeps the image in range instead of
 * a bounded-range penalty. Random transforms are off by default (the target is the untransformed image's
 * activation); turning on jitter asks for a pre-image robust to shifts (Mahendran and Vedaldi 2016).
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import type { Model } from '../models/types';
import { checkInput, checkModel } from './common';
import { optimizeImage } from './optimize/loop';
import { createParameterization } from './optimize/parameterization';
import { createRng } from './optimize/rng';
import { checkLayer, layerHead, OptimizeOptions, resolveOptimizeOptions } from './optimize/setup';
import { OptionError } from '../errors';

export interface FeatureInversionOptions extends OptimizeOptions {
  /** The layer whose activation is matched. */
  layer: string;
}

/**
 * Inversion's own defaults: no random transforms, a light total-variation prior, and a longer, annealed
 * run (matching activations closely needs it: the gradient through max pooling reaches one pixel of each
 * window per step).
 */
const INVERSION_DEFAULTS: OptimizeOptions = { jitter: 0, scale: [1, 1], rotate: 0, tv: 0.1, steps: 400, stepSize: 0.2, schedule: 'cosine' };

/**
 * Reconstructs `image` (model input `[N,H,W,C]`) from its activation at `options.layer`. Returns an input
 * of the same shape in the model's input range (per `preprocess`); the caller owns it.
 *
 * Options: `layer` (required), and OptimizeOptions with these defaults changed: `jitter` 0, `scale` [1, 1],
 * `rotate` 0, `tv` 0.1, `steps` 400, `stepSize` 0.2, `schedule` `cosine`.
 */
export async function featureInversion(model: Model, image: tf.Tensor4D, options: FeatureInversionOptions): Promise<tf.Tensor4D> {
  const where = 'featureInversion';
  await ready();
  checkModel(where, model);
  if (options === null || typeof options !== 'object') throw new OptionError(where, 'options must be an object with a layer');
  const layer = checkLayer(where, model, options.layer);
  const x0 = await checkInput(where, model, image);
  const [n, h, w, c] = x0.shape;
  const r = resolveOptimizeOptions(where, model, { ...options, size: options.size ?? [h, w] }, INVERSION_DEFAULTS);
  if (r.height !== h || r.width !== w || r.channels !== c) {
    throw new OptionError(where, `size [${r.height},${r.width}] with ${r.channels} channels does not match the image [${x0.shape}]`);
  }
  const head = layerHead(model, layer);
  const target = tf.tidy(() => tf.clone(head(x0)));
  head.release();
  const axes = target.shape.map((_, i) => i).slice(1);
  const targetNorm = tf.tidy(() => tf.add(tf.sum(tf.square(target), axes), 1e-12));
  const rng = createRng(r.seed);
  const param = createParameterization(r.parameterization, [n, h, w, c]);
  try {
    const objective = (x: tf.Tensor4D) => {
      const relSq = tf.div(tf.sum(tf.square(tf.sub(head(x), target)), axes), targetNorm) as tf.Tensor1D;
      return { value: tf.neg(relSq) as tf.Tensor1D, report: tf.sqrt(relSq) };
    };
    return await optimizeImage({ where, param, initial: param.random(rng, r.noise), objective, release: head.release, rng, ...r });
  } finally {
    param.dispose();
    tf.dispose([target, targetNorm]);
  }
}
