/**
 * The model-parameter randomisation test (Adebayo et al. 2018, "Sanity checks for saliency maps"): a map
 * that explains the model should change when the model's learned weights are replaced by random ones.
 * Layers are randomised from the output towards the input:
 * - `cascading`: step k has layers 1..k (counted from the top) randomised together;
 * - `independent`: step k has only layer k randomised, the others as trained.
 * At each step the method's map is compared with the map of the trained model by Spearman rank
 * correlation per item, of the values (`spearman`) and of their magnitudes (`spearmanAbs`); the paper
 * reports both; for methods that return maps `[N,H,W]` also SSIM (`ssim`, skimage's defaults, maps of 7×7 and more) and, for maps of
 * at least 24×24, the Pearson correlation of their HOG features (`hog`, see ./hog; the paper's third measure). Values near 0 mean the map has lost what the trained weights put in it; a map that stays
 * near 1 fails the sanity check.
 *
 * Randomisation: every trainable weight of a layer (kernel, bias, batch-norm γ and β) is replaced by a
 * truncated normal of mean 0 and the weight's own standard deviation (0.05 where it is constant, as zero
 * biases), seeded per layer; Adebayo et al. re-initialised from the architecture's initializers, which a
 * loaded model does not record. Non-trainable state (batch-norm moving statistics) is kept. The trained
 * weights are restored when the test ends, however it ends. LayersModels only.
 *
 * `layers` names the layers to randomise, in order (default: every layer with trainable weights, from
 * the output to the input). The target of each item is fixed on the trained model (default: its argmax
 * class). Each step is one unit of the batch loop: `onProgress`, `signal` and `onPartial` (the steps done).
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError, OptionError, UnknownLayerError } from '../errors';
import { isLayersModel } from '../models/layers';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, LoopOptions, resolveTarget } from '../methods/common';
import type { AttributionFunction } from '../methods/smooth-grad';
import { runBatches } from '../methods/loop';
import { checkChoice, extendSpecs, resolveOptions } from '../methods/options';
import { pearson, spearman, ssim } from './common';
import { HOG_DEFAULTS, hogFeatures, hogFits } from './hog';
import { explainer } from './sensitivity';

export const RANDOMISATION_MODES = ['cascading', 'independent'] as const;
export type RandomisationMode = (typeof RANDOMISATION_MODES)[number];

/** Per step (layer), per item: the rank correlations with the trained model's map. */
export interface Randomisation {
  /** The layer randomised at each step (cascading: the newest of those randomised). */
  layers: string[];
  mode: RandomisationMode;
  /** `spearman[k][i]`: step k, item i. */
  spearman: number[][];
  /** The same on magnitudes. */
  spearmanAbs: number[][];
  /** `ssim[step][item]`: SSIM (see `ssim`) with the trained model's map, for methods that return maps `[N,H,W]` of at least 7×7 (the window); else null. */
  ssim: number[][] | null;
  /** `hog[step][item]`: Pearson correlation of HOG features (see `hogSimilarity`) for maps `[N,H,W]` of at least 24×24; else null. */
  hog: number[][] | null;
}

export interface RandomisationOptions extends CommonOptions, LoopOptions<Randomisation> {
  /** Default `cascading`. */
  mode?: RandomisationMode;
  /** Layers to randomise, in order. Default: every layer with trainable weights, output to input. */
  layers?: string[] | null;
  /** Options of a method named by string. */
  methodOptions?: Record<string, unknown>;
  /** Seed of the random weights. Default (also `null`): a random seed. */
  seed?: number | null;
}

export const RANDOMISATION_DEFAULTS = { mode: 'cascading' as RandomisationMode, seed: null as number | null };

export const RANDOMISATION_OPTIONS = extendSpecs(COMMON_OPTIONS, RANDOMISATION_DEFAULTS, {
  mode: { type: 'choice', choices: RANDOMISATION_MODES, description: 'randomise layers cumulatively from the top, or one at a time' },
  seed: { type: 'integer', description: 'seed of the random weights', defaultText: 'random' },
});

/** Flattened rows of an explanation, one per item. */
async function rowsOf(t: tf.Tensor, n: number): Promise<Float32Array[]> {
  const v = (await t.data()) as Float32Array;
  const len = v.length / n;
  return Array.from({ length: n }, (_, i) => v.subarray(i * len, (i + 1) * len));
}

/** The model-parameter randomisation test of a method on a LayersModel; see the module comment. */
export async function modelRandomisation(model: Model, input: tf.Tensor, method: string | AttributionFunction, options: RandomisationOptions = {}): Promise<Randomisation> {
  const where = 'modelRandomisation';
  checkModel(where, model);
  if (!isLayersModel(model)) throw new ModelError(where, 'the randomisation test needs a tf.LayersModel (its weights are replaced layer by layer); got a GraphModel or function');
  const o = resolveOptions(where, RANDOMISATION_OPTIONS, options);
  const mode = checkChoice(where, 'mode', o.mode, RANDOMISATION_MODES);
  const explain = explainer(where, method, o.methodOptions);
  const withWeights = model.layers.filter((l) => l.trainableWeights.length > 0).map((l) => l.name).reverse();
  const names = o.layers ?? withWeights;
  if (!Array.isArray(names) || names.length === 0) throw new OptionError(where, `layers must be a non-empty array of layer names, got ${JSON.stringify(names)}`);
  for (const name of names) {
    if (typeof name !== 'string' || !model.layers.some((l) => l.name === name)) throw new UnknownLayerError(where, String(name), model.layers.map((l) => l.name));
    if (!withWeights.includes(name)) throw new OptionError(where, `layer ${JSON.stringify(name)} has no trainable weights to randomise; layers with weights: ${withWeights.join(', ')}`);
  }
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const target = await resolveTarget(where, model, x, o.target, o);
  const call = () => explain(model, x, { target, preSoftmax: o.preSoftmax });
  const originalMap = await call();
  const isMap = originalMap.rank === 3;
  const original = await rowsOf(originalMap, n);
  if (!isMap) originalMap.dispose();
  const originalAbs = original.map((r) => Float32Array.from(r, Math.abs));
  const [mh, mw] = isMap ? originalMap.shape.slice(1) : [0, 0];
  const withHog = isMap && hogFits(mh, mw);
  const withSsim = isMap && Math.min(mh, mw) >= 7; // skimage's 7×7 window
  const originalHog = withHog ? original.map((r) => hogFeatures(r, mh, mw, HOG_DEFAULTS)) : [];
  const trained = new Map<string, tf.Tensor[]>();
  const randomise = (k: number) => {
    const layer = model.getLayer(names[k]);
    if (!trained.has(layer.name)) trained.set(layer.name, layer.trainableWeights.map((v) => v.read().clone()));
    layer.trainableWeights.forEach((v, j) => {
      const r = tf.tidy(() => {
        const w = v.read();
        const sd = tf.sqrt(tf.moments(w).variance);
        return tf.mul(tf.truncatedNormal(w.shape, 0, 1, 'float32', seed + 1000 * model.layers.indexOf(layer) + j), tf.where(tf.greater(sd, 0), sd, tf.scalar(0.05)));
      });
      v.write(r);
      r.dispose();
    });
  };
  const restore = (name: string) => {
    const saved = trained.get(name);
    if (!saved) return;
    model.getLayer(name).trainableWeights.forEach((v, j) => v.write(saved[j]));
    tf.dispose(saved);
    trained.delete(name);
  };
  type Step = { spearman: number[]; spearmanAbs: number[]; ssim: number[] | null; hog: number[] | null };
  const result = (steps: Step[]): Randomisation => ({
    layers: names.slice(0, steps.length), mode, spearman: steps.map((s) => s.spearman), spearmanAbs: steps.map((s) => s.spearmanAbs),
    ssim: withSsim ? steps.map((s) => s.ssim as number[]) : null,
    hog: withHog ? steps.map((s) => s.hog as number[]) : null,
  });
  try {
    return await runBatches<Step, Step[], Randomisation>({
      where, total: names.length, batchSize: 1, signal: o.signal, onProgress: o.onProgress, onPartial: o.onPartial,
      initial: [],
      evaluate: async (k) => {
        if (mode === 'independent' && k > 0) restore(names[k - 1]);
        randomise(k);
        const e = await call();
        try {
          const rows = await rowsOf(e, n);
          return {
            spearman: rows.map((r, i) => spearman(original[i], r)),
            spearmanAbs: rows.map((r, i) => spearman(originalAbs[i], Float32Array.from(r, Math.abs))),
            ssim: withSsim ? await ssim(originalMap, e) : null,
            hog: withHog ? rows.map((r, i) => pearson(originalHog[i], hogFeatures(r, mh, mw, HOG_DEFAULTS))) : null,
          };
        } finally {
          e.dispose();
        }
      },
      fold: (acc, step) => [...acc, step],
      finish: (acc) => result(acc),
    });
  } finally {
    for (const name of [...trained.keys()]) restore(name);
    if (isMap) originalMap.dispose();
  }
}
