/**
 * What the widgets compute in the kernel, on the library's public seams: method maps, top-k
 * predictions, occlusion with partial maps, layer activations, filter visualizations. Results are host
 * arrays ready to send; every tensor made here is disposed here.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, LayerError, OptionError } from '../../errors';
import { forwardScores } from '../../models/forward';
import { listLayers } from '../../models/layers';
import type { Model } from '../../models/types';
import { layerActivations } from '../../methods/layer-activations';
import { planOcclusion, runOcclusion, type OcclusionContext } from '../../methods/occlusion';
import { getMethod } from '../../methods/registry';
import { filterGallery } from '../../methods/activation-maximization';
import { byteArray, floatArray, type WireArray } from '../arrays';

/** Images [N,H,W,C] (C 1 or 3, values in `range`) as uint8 RGB pixels [N,H,W,3]. */
export async function toPixels(x: tf.Tensor4D, range: [number, number]): Promise<WireArray<'uint8'>> {
  const [n, h, w, c] = x.shape;
  if (c !== 1 && c !== 3) throw new InputError('widget', `images must have 1 or 3 channels to be shown, got ${c} (shape [${x.shape}])`);
  const d = await x.data();
  const out = new Uint8Array(n * h * w * 3);
  const scale = 255 / (range[1] - range[0]);
  for (let p = 0, q = 0; p < n * h * w; p++, q += 3) {
    for (let k = 0; k < 3; k++) {
      const v = Math.round((d[p * c + (c === 3 ? k : 0)] - range[0]) * scale);
      out[q + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return byteArray(out, [n, h, w, 3]);
}

/**
 * A method's map per image, [N,H,W] float32: maps as they come; input-shaped attributions summed over
 * channels (signed, as Captum's visualize_image_attr does for its heat map). Layer attributions (shaped
 * like a 4-D layer's output) are summed over channels and resized to the image (bilinear, half-pixel
 * centres). Other maps at another size than the image (CAM without upsampling) are refused.
 */
export async function methodMaps(model: Model, x: tf.Tensor4D, method: string, options: Record<string, unknown>): Promise<Float32Array> {
  const entry = getMethod(method);
  const [, h, w] = x.shape;
  const r = await entry.run(model, x, options);
  try {
    if (r.rank !== 3 && r.rank !== 4) throw new OptionError(method, `the result has shape [${r.shape}], which is not a picture; name a layer with a 4-D output`);
    const map = tf.tidy(() => {
      const m = r.rank === 4 ? tf.sum(r, 3) : r;
      if (entry.output !== 'layer' || (m.shape[1] === h && m.shape[2] === w)) return m;
      return tf.squeeze(tf.image.resizeBilinear(tf.expandDims(m, 3) as tf.Tensor4D, [h, w], false, true), [3]);
    });
    try {
      if (map.shape[1] !== h || map.shape[2] !== w) {
        throw new OptionError(method, `map of size ${map.shape[1]}×${map.shape[2]} does not match the image ${h}×${w}; use upsample: true`);
      }
      return Float32Array.from(await map.data());
    } finally {
      if (map !== r) map.dispose();
    }
  } finally {
    r.dispose();
  }
}

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

/**
 * The top `k` outputs per image with their scores (the model's own output, e.g. probabilities), and the
 * number of outputs.
 */
export async function topPredictions(model: Model, x: tf.Tensor4D, k: number, classes?: readonly string[]): Promise<{ top: Prediction[][]; outputs: number }> {
  const scores = tf.tidy(() => forwardScores('widget', model, x, { preSoftmax: false }));
  try {
    const [n, m] = scores.shape;
    const d = await scores.data();
    const top = Array.from({ length: n }, (_, i) => {
      const row = Array.from({ length: m }, (_, j) => j).sort((a, b) => d[i * m + b] - d[i * m + a]).slice(0, Math.min(k, m));
      return row.map((j) => ({ index: j, label: classes?.[j] ?? String(j), score: d[i * m + j] }));
    });
    return { top, outputs: m };
  } finally {
    scores.dispose();
  }
}

export const OCCLUSION_BASELINES = ['zeros', 'mean', 'blur'] as const;
export type OcclusionBaseline = (typeof OCCLUSION_BASELINES)[number];

/** The fill of occluded windows, [1,H,W,C] (or [1,1,1,C]): zeros, the image's channel means, or a Gaussian blur. */
export function occlusionBaseline(x: tf.Tensor4D, kind: OcclusionBaseline): tf.Tensor4D {
  return tf.tidy(() => {
    if (kind === 'zeros') return tf.zerosLike(x.slice([0, 0, 0, 0], [1, 1, 1, -1])) as tf.Tensor4D;
    if (kind === 'mean') return tf.mean(x, [1, 2], true) as tf.Tensor4D;
    // A separable Gaussian (sigma = 1/16 of the short side) by depthwise convolution.
    const [, h, w, c] = x.shape;
    const sigma = Math.max(1, Math.min(h, w) / 16);
    const r = Math.ceil(2 * sigma);
    const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
    const sum = taps.reduce((a, b) => a + b, 0);
    const k = tf.tensor1d(taps.map((t) => t / sum));
    const kx = tf.tile(tf.reshape(k, [1, 2 * r + 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const ky = tf.tile(tf.reshape(k, [2 * r + 1, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(x.slice([0, 0, 0, 0], [1, -1, -1, -1]), [[0, 0], [r, r], [r, r], [0, 0]], 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kx, 1, 'valid'), ky, 1, 'valid') as tf.Tensor4D;
  });
}

export interface OcclusionRun {
  window: number;
  stride: number;
  baseline: tf.Tensor4D;
  batchSize: number;
  signal: AbortSignal;
  /** After each batch: the map so far (mean drop over the windows evaluated yet; 0 elsewhere). */
  onPartial(map: Float32Array, done: number, total: number): void;
}

/**
 * Occlusion of one image with the library's plan / run split (Captum's conventions, as `occlusion()`):
 * the context (checked input, target, clean score) is the caller's and kept across reruns; the windows
 * are planned for this run; the drops go batch by batch through the batched-evaluation loop, which
 * yields between batches, and each partial map is handed to `onPartial`. Returns the final map [H,W].
 */
export async function occlusionMap(ctx: OcclusionContext, run: OcclusionRun): Promise<Float32Array> {
  const plan = await planOcclusion(ctx, { window: run.window, stride: run.stride, baseline: run.baseline });
  try {
    const map = await runOcclusion(ctx, plan, {
      batchSize: run.batchSize, signal: run.signal,
      onPartial: async (partial, done, total) => run.onPartial(Float32Array.from(await partial.data()), done, total),
    });
    try {
      return Float32Array.from(await map.data());
    } finally {
      map.dispose();
    }
  } finally {
    plan.dispose();
  }
}

export interface LayerChoice {
  name: string;
  shape: number[];
}

/** Layers whose output is 4-D ([N,h,w,c]), with their shapes for one image of `x`'s size. */
export function layersWith4D(model: Model): LayerChoice[] {
  return listLayers(model)
    .filter((l) => l.outputShape !== null && l.outputShape.length === 4)
    .map((l) => ({ name: l.name, shape: (l.outputShape as (number | null)[]).slice(1).map((d) => d ?? -1) }));
}

/** One layer's activations for one image as channel maps [C,h,w]. */
export async function channelMaps(model: Model, x: tf.Tensor4D, layer: string): Promise<WireArray<'float32'>> {
  const [a] = await layerActivations(model, x, { layers: [layer] });
  try {
    if (a.activation.rank !== 4) throw new LayerError('activationGallery', `layer "${layer}" has output shape [${a.activation.shape}]; pick a layer with a 4-D output`);
    const t = tf.tidy(() => tf.transpose(a.activation.slice([0, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]), [2, 0, 1]));
    const data = Float32Array.from(await t.data());
    const shape = t.shape;
    t.dispose();
    return floatArray(data, shape);
  } finally {
    tf.dispose([a.activation, a.mean, a.max, a.min, a.std]);
  }
}

/** Filter visualizations (activation maximization, all at once) of some channels, as uint8 RGB [K,h,w,3]. */
export async function filterImages(model: Model, layer: string, channels: number[], options: { steps: number; size?: number; signal: AbortSignal; onStep?: (step: number) => void }): Promise<WireArray<'uint8'>> {
  const images = await filterGallery(model, layer, {
    channels, steps: options.steps, signal: options.signal,
    ...(options.size ? { size: [options.size, options.size] as [number, number] } : {}),
    onStep: (e) => options.onStep?.(e.step),
  });
  try {
    // Stretch each image to [0, 1] for display.
    const shown = tf.tidy(() => {
      const lo = tf.min(images, [1, 2, 3], true), hi = tf.max(images, [1, 2, 3], true);
      return tf.div(tf.sub(images, lo), tf.maximum(tf.sub(hi, lo), 1e-12)) as tf.Tensor4D;
    });
    try {
      return await toPixels(shown, [0, 1]);
    } finally {
      shown.dispose();
    }
  } finally {
    images.dispose();
  }
}
