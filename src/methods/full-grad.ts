/**
 * FullGrad (Srinivas and Fleuret 2019, "Full-Gradient Representation for Neural Network
 * Visualization"), as pytorch-grad-cam's `FullGrad`:
 *
 *   map = Σ_c ψ(|x_c · ∂y/∂x_c|) + Σ_layers Σ_c ψ(|b_c · ∂y/∂z_c|),
 *
 * over the input's channels and, for every layer with a per-channel bias (Conv2D, DepthwiseConv2D and
 * SeparableConv2D with a bias, BatchNormalization, whose bias is β − μ·γ/σ), its output channels, where
 * z is the layer's output before its activation (pytorch-grad-cam hooks the Conv2d and BatchNorm2d
 * modules, whose activations are separate modules). ψ is pytorch-grad-cam's post-processing of each
 * (item, channel) map: minus its minimum, divided by 1e-7 + its maximum, then resized to the input
 * (bilinear, half-pixel centres). Departures: the final min-max scaling of the sum is left to viz (the
 * CAM pipeline never scales); a layer's activation fused into it is undone for z (ReLU, ReLU6 and linear;
 * another fused activation on a biased layer is a LayerError naming it). Needs a tf.LayersModel (a
 * GraphModel folds its biases into fused ops: a ModelError); `[N,H,W]`, the argmax class by default.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, ModelError } from '../errors';
import { resolveModel } from '../models/adapter';
import { withGradientRules } from '../models/gradient-rules';
import { kerasLayers, layerActivationName, layerShape } from '../models/keras';
import type { Model } from '../models/types';
import { checkedSelector, checkInput, checkModel, COMMON_OPTIONS, CommonOptions } from './common';
import { upsampleMaps } from './cam-pipeline';
import { resolveOptions } from './options';

export type FullGradOptions = CommonOptions;

/** fullGrad's options: target and preSoftmax. */
export const FULL_GRAD_OPTIONS = COMMON_OPTIONS;

const BIASED = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'BatchNormalization']);

interface BiasLayer {
  name: string;
  activation: 'linear' | 'relu' | 'relu6';
  /** The per-channel bias `[c]`. Sync; the caller owns it. */
  bias(): tf.Tensor1D;
}

/** The layers with a per-channel bias and a 4-D output, in execution order. */
function biasLayers(where: string, model: tf.LayersModel): BiasLayer[] {
  const out: BiasLayer[] = [];
  for (const { layer } of kerasLayers(model)) {
    const cls = layer.getClassName();
    const shape = layerShape(layer);
    if (!BIASED.has(cls) || !shape || shape.length !== 4) continue;
    const config = layer.getConfig() as Record<string, unknown>;
    if (cls === 'BatchNormalization') {
      const axis = Array.isArray(config.axis) ? config.axis[0] : config.axis;
      if (axis !== -1 && axis !== 3) continue;
      out.push({
        name: layer.name, activation: 'linear',
        bias: () => tf.tidy(() => {
          const w = layer.getWeights();
          let i = 0;
          const gamma = config.scale === false ? null : w[i++];
          const beta = config.center === false ? null : w[i++];
          const [mean, variance] = [w[i++], w[i++]];
          const scale = tf.div(gamma ?? tf.onesLike(variance), tf.sqrt(tf.add(variance, Number(config.epsilon ?? 1e-3))));
          const b = tf.neg(tf.mul(mean, scale));
          return (beta ? tf.add(b, beta) : b) as tf.Tensor1D;
        }),
      });
      continue;
    }
    if (config.useBias === false) continue;
    const act = layerActivationName(layer) ?? 'linear';
    if (act !== 'linear' && act !== 'relu' && act !== 'relu6') {
      throw new LayerError(where, `FullGrad needs the output of layer "${layer.name}" (${cls}) before its activation, and cannot undo the fused activation ${act}; put the activation in its own layer`);
    }
    const weights = layer.getWeights();
    out.push({ name: layer.name, activation: act, bias: () => tf.clone(weights[weights.length - 1]) as tf.Tensor1D });
  }
  return out;
}

/** ψ of every (item, channel) map of `m` `[N,h,w,c]`, summed over channels at the layer's resolution: `[N,h,w,1]`. */
function scaledChannelSum(m: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const shifted = tf.sub(m, tf.min(m, [1, 2], true));
    return tf.sum(tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7)), 3, true) as tf.Tensor4D;
  });
}

/** FullGrad map `[N,H,W]`. The caller owns the result. Options: FULL_GRAD_OPTIONS (target, preSoftmax). */
export async function fullGrad(model: Model, input: tf.Tensor, options: FullGradOptions = {}): Promise<tf.Tensor3D> {
  const where = 'fullGrad';
  checkModel(where, model);
  const o = resolveOptions(where, FULL_GRAD_OPTIONS, options);
  const adapter = resolveModel(where, model);
  if (adapter.kind !== 'layers') {
    throw new ModelError(where, `FullGrad reads the biases of a tf.LayersModel's layers; ${adapter.kind === 'graph' ? 'a GraphModel folds them into fused ops' : 'a plain function has none'}; gradCam, vanillaGradient and integratedGradients work with this model`);
  }
  const x = await checkInput(where, model, input);
  const layers = biasLayers(where, model as tf.LayersModel);
  const select = checkedSelector(where, model, x, o);
  const size: [number, number] = [x.shape[1], x.shape[2]];
  return withGradientRules({ relu: 'standard' }, () => tf.tidy(() => {
    const r = adapter.outputGradients(x, layers.map((l) => l.name), (s) => tf.sum(select(s)) as tf.Scalar, o);
    let map = scaledChannelSum(tf.abs(tf.mul(r.inputGradient, x)) as tf.Tensor4D);
    layers.forEach((l, i) => {
      const y = r.activations[i];
      // ∂y/∂z of the fused activation, from its output: 1 (linear), y > 0 (ReLU), 0 < y < 6 (ReLU6).
      let gz = r.gradients[i];
      if (l.activation === 'relu') gz = tf.mul(gz, tf.cast(tf.greater(y, 0), 'float32'));
      if (l.activation === 'relu6') gz = tf.mul(gz, tf.cast(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 6)), 'float32'));
      const piece = scaledChannelSum(tf.abs(tf.mul(gz, l.bias())) as tf.Tensor4D);
      map = tf.add(map, upsampleMaps(piece, size));
    });
    return tf.squeeze(map, [3]) as tf.Tensor3D;
  }), { where, model });
}
