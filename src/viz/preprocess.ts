/**
 * Preprocessing presets of common models, and their inverses, so that an input a model saw (or an image
 * that feature visualization optimized in model space) can be shown as a picture again.
 *
 * Every preset maps an RGB image with values in [0, 1] (as loadImage returns) to model input:
 * - "unit": unchanged, [0, 1].
 * - "symmetric": 2x - 1, in [-1, 1] (Keras' "tf" mode: MobileNet, Inception, Xception).
 * - "caffe": RGB to BGR, scaled to [0, 255], minus the ImageNet BGR means [103.939, 116.779, 123.68]
 *   (Keras' "caffe" mode: VGG16, VGG19, ResNet50).
 * - "torch": (x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225] per RGB channel (Keras' "torch" mode,
 *   torchvision's ImageNet models).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../errors';

export const PREPROCESS_PRESETS = ['unit', 'symmetric', 'caffe', 'torch'] as const;
export type PreprocessPreset = (typeof PREPROCESS_PRESETS)[number];

const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

function check(where: string, x: unknown, preset: unknown): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new InputError(where, `image must be a tf.Tensor, but got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new InputError(where, 'image tensor is disposed');
  if (x.rank < 3 || x.shape[x.rank - 1] !== 3) {
    throw new InputError(where, `image must have 3 channels last ([H,W,3] or [N,H,W,3]), but got shape [${x.shape.join(', ')}]`);
  }
  if (!(PREPROCESS_PRESETS as readonly unknown[]).includes(preset)) {
    throw new OptionError(where, `invalid preset ${JSON.stringify(preset)}; choices: ${PREPROCESS_PRESETS.join(', ')}`);
  }
  return x;
}

/** Swaps the first and last channel (RGB <-> BGR). */
function flipChannels(x: tf.Tensor): tf.Tensor {
  return tf.reverse(x, -1);
}

/**
 * Model input from an RGB image in [0, 1] ([H,W,3] or [N,H,W,3]) per `preset` (see the module comment).
 * Returns a new float32 tensor that the caller owns.
 */
export function preprocess(image: tf.Tensor, preset: PreprocessPreset): tf.Tensor {
  const x = check('preprocess', image, preset);
  return tf.tidy(() => {
    const f = tf.cast(x, 'float32');
    switch (preset) {
      case 'unit': return f.clone();
      case 'symmetric': return f.mul(2).sub(1);
      case 'caffe': return flipChannels(f).mul(255).sub(tf.tensor1d(CAFFE_BGR_MEAN));
      case 'torch': return f.sub(tf.tensor1d(TORCH_MEAN)).div(tf.tensor1d(TORCH_STD));
    }
  });
}

/**
 * The inverse of `preprocess`: model input back to an RGB image with values in [0, 1] (not clipped:
 * optimized inputs may leave the range; toPNG and saveImage clamp). Returns a new tensor the caller owns.
 */
export function deprocess(x: tf.Tensor, preset: PreprocessPreset): tf.Tensor {
  const t = check('deprocess', x, preset);
  return tf.tidy(() => {
    const f = tf.cast(t, 'float32');
    switch (preset) {
      case 'unit': return f.clone();
      case 'symmetric': return f.add(1).div(2);
      case 'caffe': return flipChannels(f.add(tf.tensor1d(CAFFE_BGR_MEAN)).div(255));
      case 'torch': return f.mul(tf.tensor1d(TORCH_STD)).add(tf.tensor1d(TORCH_MEAN));
    }
  });
}
