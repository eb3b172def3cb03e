/**
 * Model preprocessing for feature visualization: the optimizers work on images in [0, 1] and map them to
 * model input with a preset of viz's `preprocess` (unit [0, 1], symmetric [-1, 1], caffe, torch), so that
 * results come back in the model's input range and `deprocess` turns them into pictures.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { deprocess, preprocess, PREPROCESS_PRESETS, PreprocessPreset } from '../../viz/preprocess';

export { PREPROCESS_PRESETS };
export type { PreprocessPreset };

export function checkPreset(where: string, preset: unknown, channels: number): PreprocessPreset {
  if (!(PREPROCESS_PRESETS as readonly unknown[]).includes(preset)) {
    throw new OptionError(where, `unknown preprocess ${JSON.stringify(preset)}; choices: ${PREPROCESS_PRESETS.join(', ')}`);
  }
  if (preset !== 'unit' && channels !== 3) {
    throw new OptionError(where, `preprocess "${preset}" needs 3 (RGB) input channels, the model has ${channels}; use "unit"`);
  }
  return preset as PreprocessPreset;
}

/** Image in [0, 1] → model input. Sync, differentiable; the caller owns the result. */
export function toModelInput(image: tf.Tensor4D, preset: PreprocessPreset): tf.Tensor4D {
  return (preset === 'unit' ? tf.clone(image) : preprocess(image, preset)) as tf.Tensor4D;
}

/** Model input → image in [0, 1] (not clipped). Sync; the caller owns the result. */
export function fromModelInput(x: tf.Tensor4D, preset: PreprocessPreset): tf.Tensor4D {
  return (preset === 'unit' ? tf.clone(x) : deprocess(x, preset)) as tf.Tensor4D;
}

/** Smallest and largest model input value of each channel: the images of 0 and 1 under the preset. */
export async function inputRange(preset: PreprocessPreset, channels: number): Promise<{ min: number[]; max: number[] }> {
  if (preset === 'unit') return { min: new Array<number>(channels).fill(0), max: new Array<number>(channels).fill(1) };
  const ends = tf.tidy(() => preprocess(tf.stack([tf.zeros([1, 3]), tf.ones([1, 3])]), preset));
  const v = await ends.data();
  ends.dispose();
  return { min: [0, 1, 2].map((i) => Math.min(v[i], v[3 + i])), max: [0, 1, 2].map((i) => Math.max(v[i], v[3 + i])) };
}
