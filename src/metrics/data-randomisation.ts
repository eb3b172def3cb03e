/**
 * The data randomisation test (Adebayo et al. 2018, "Sanity checks for saliency maps", section 5): a map
 * that explains what the model learned from its labels should differ between the trained model and the
 * same architecture trained on the same kind of data with the labels randomly permuted. The maps of both
 * models at the same inputs, for the same target (fixed on the trained model), are compared per item by
 * Spearman rank correlation of values and of magnitudes, SSIM and HOG correlation (the last two for maps
 * `[N,H,W]`, SSIM from 7×7, HOG from 24×24), as `modelRandomisation` does. Values near 0 pass; a map that stays near 1
 * does not depend on what the labels taught.
 *
 * The shuffled-label model is `options.shuffled` when given (the caller keeps it), else trained here by
 * `trainShuffledLabels(dataset, training)` (src/models/train.ts) on the shipped architecture named by
 * `dataset` (default: the model's `userDefinedMetadata.dataset`, which the shipped models record) and
 * disposed at the end. `fit` reports how well it memorized the permuted labels: the paper trains to
 * memorization, a small model given a few minutes may get only part of the way.
 *
 * Progress: `onProgress(done, total)` over the training batches and then the two explanation calls;
 * `signal` stops training between batches and the test between steps (a CancelledError).
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError, OptionError } from '../errors';
import { isLayersModel } from '../models/layers';
import { isShippedModelName, SHIPPED_MODELS, type ShippedModelName } from '../models/shipped';
import { ShuffledFit, ShuffledTrainOptions, trainShuffledLabels } from '../models/train';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, resolveTarget } from '../methods/common';
import { checkpoint } from '../methods/loop';
import type { AttributionFunction } from '../methods/smooth-grad';
import { resolveOptions } from '../methods/options';
import { effectiveSignal } from '../signal';
import { pearson, spearman, ssim } from './common';
import { HOG_DEFAULTS, hogFeatures, hogFits } from './hog';
import { explainer } from './sensitivity';

export interface DataRandomisationOptions extends CommonOptions {
  /** A model trained on permuted labels; default: trained here (see `training`). */
  shuffled?: tf.LayersModel | null;
  /** The shipped architecture and data set to train it on; default: the model's `userDefinedMetadata.dataset`. */
  dataset?: ShippedModelName | null;
  /** Options of `trainShuffledLabels` (images, epochs, seed, ...); its onProgress and signal come from here. */
  training?: Omit<ShuffledTrainOptions, 'onProgress' | 'signal'>;
  /** Options of a method named by string. */
  methodOptions?: Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Per item: the similarity of the trained and the shuffled-label model's maps. */
export interface DataRandomisation {
  spearman: number[];
  spearmanAbs: number[];
  /** For maps `[N,H,W]` of at least 7×7 (the SSIM window); else null. */
  ssim: number[] | null;
  /** For maps `[N,H,W]` of at least 24×24; else null. */
  hog: number[] | null;
  /** How the shuffled-label model fits its permuted labels; null when it was given. */
  fit: ShuffledFit | null;
}

function datasetOf(where: string, model: Model, given: unknown): ShippedModelName {
  if (given !== undefined && given !== null) {
    if (typeof given === 'string' && isShippedModelName(given)) return given;
    throw new OptionError(where, `dataset must be one of ${SHIPPED_MODELS.join(', ')}, got ${JSON.stringify(given)}`);
  }
  const meta = (model as { getUserDefinedMetadata?: () => unknown }).getUserDefinedMetadata?.() as { dataset?: unknown } | undefined;
  if (typeof meta?.dataset === 'string' && isShippedModelName(meta.dataset)) return meta.dataset;
  throw new OptionError(where, `the model does not say which data set it was trained on (userDefinedMetadata.dataset); give dataset (${SHIPPED_MODELS.join(', ')}) or a shuffled-label model (shuffled)`);
}

/** The data randomisation test of a method; see the module comment. */
export async function dataRandomisation(model: Model, input: tf.Tensor, method: string | AttributionFunction, options: DataRandomisationOptions = {}): Promise<DataRandomisation> {
  const where = 'dataRandomisation';
  checkModel(where, model);
  const o = resolveOptions(where, COMMON_OPTIONS, options);
  const explain = explainer(where, method, o.methodOptions);
  const given = o.shuffled ?? null;
  if (given !== null && !isLayersModel(given)) throw new ModelError(where, 'shuffled must be a tf.LayersModel trained on permuted labels');
  const dataset = given ? null : datasetOf(where, model, o.dataset);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const target = await resolveTarget(where, model, x, o.target, o);
  const signal = effectiveSignal(o.signal);
  let batches = 0;
  let total = 2;
  let shuffled = given;
  let fit: ShuffledFit | null = null;
  try {
    if (!shuffled && dataset) {
      const t = await trainShuffledLabels(dataset, {
        ...o.training, signal,
        onProgress: (p) => {
          batches = p.batches;
          total = p.batches + 2;
          o.onProgress?.(p.batch, total);
        },
      });
      shuffled = t.model;
      fit = t.fit;
    }
    const model2 = shuffled as tf.LayersModel;
    await checkpoint(where, signal);
    const a = await explain(model, x, { target, preSoftmax: o.preSoftmax });
    let b: tf.Tensor | null = null;
    try {
      o.onProgress?.(batches + 1, total);
      await checkpoint(where, signal);
      b = await explain(model2, x, { target, preSoftmax: o.preSoftmax });
      o.onProgress?.(batches + 2, total);
      const [va, vb] = (await Promise.all([a.data(), b.data()])) as Float32Array[];
      const len = va.length / n;
      const row = (v: Float32Array, i: number) => v.subarray(i * len, (i + 1) * len);
      const isMap = a.rank === 3;
      const [h, w] = isMap ? a.shape.slice(1) : [0, 0];
      const withHog = isMap && hogFits(h, w);
      const items = Array.from({ length: n }, (_, i) => i);
      return {
        spearman: items.map((i) => spearman(row(va, i), row(vb, i))),
        spearmanAbs: items.map((i) => spearman(Float32Array.from(row(va, i), Math.abs), Float32Array.from(row(vb, i), Math.abs))),
        ssim: isMap && Math.min(h, w) >= 7 ? await ssim(a, b) : null,
        hog: withHog ? items.map((i) => pearson(hogFeatures(row(va, i), h, w, HOG_DEFAULTS), hogFeatures(row(vb, i), h, w, HOG_DEFAULTS))) : null,
        fit,
      };
    } finally {
      tf.dispose([a, ...(b ? [b] : [])]);
    }
  } finally {
    if (!given && shuffled) shuffled.dispose();
  }
}
