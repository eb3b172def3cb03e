/**
 * Trains the shipped models from scratch: `trainShipped('shapes' | 'road' | 'rings', options)`, the API
 * behind `saliency-lab train`. Every batch is freshly generated data (chunks of CHUNK images), so the
 * models never see an image twice, and the same seed gives the same model on the same backend.
 *
 * Seeds: with `seed` s, training chunk c uses data seed s·1000 + c and the held-out evaluation uses data
 * seed s·1000 + 999; layer weights are initialized from s. Ground-truth tests use seeds far from these.
 *
 * Backend: whatever `ready()` picks. The wasm backend gets a Conv2DBackpropFilter kernel registered here
 * (train-kernels.ts); without wasm, the pure-JS cpu backend also trains, about 50 times slower.
 */
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { OptionError, throwIfAborted } from '../errors';
import { data } from '../data';
import type { Dataset } from '../data/common';
import { SHIPPED_INFO, SHIPPED_MODELS, type ShippedModelName, buildShippedArchitecture, isShippedModelName } from './shipped';
import { registerWasmTrainingKernels } from './train-kernels';
import { mulberry32 } from '../random';

const WHERE = 'trainShipped';

/** Images per generated chunk. */
export const CHUNK = 256;

/** Options of `trainShipped`; every field says its default. */
export interface TrainOptions {
  /** Seed for data and initial weights. Default 1 (the shipped weights). */
  seed?: number;
  /** A few seconds' run for tests and smoke checks: 2 chunks of 32 images, 64 held out. Default false. */
  short?: boolean;
  /** Number of training chunks of CHUNK images (overrides the data set's default). */
  chunks?: number;
  /** Held-out images to evaluate on at the end. Default 1000 (64 in short mode). */
  evalImages?: number;
  /** Called after every batch. */
  onProgress?: (p: TrainProgress) => void;
  /** Stops training between batches with a CancelledError. */
  signal?: AbortSignal;
}

export interface TrainProgress {
  /** Batches done and in all. */
  batch: number;
  batches: number;
  /** Mean training loss over the last (up to) 20 batches. */
  loss: number;
}

/** Held-out quality: accuracy for shapes; MAE, label std and their ratio for the regressions. */
export interface HeldOutMetrics {
  n: number;
  seed: number;
  accuracy?: number;
  mae?: number;
  labelStd?: number;
  maeOverStd?: number;
}

export interface TrainResult {
  /** The trained model; the caller owns it. */
  model: tf.LayersModel;
  metrics: HeldOutMetrics;
  /** Backend it trained on. */
  backend: string;
  seconds: number;
}

interface Recipe {
  chunks: number;
  batchSize: number;
  learningRate: number;
  /** Learning rate for the last quarter of training. */
  finalLearningRate: number;
}

const RECIPES: Record<ShippedModelName, Recipe> = {
  shapes: { chunks: 120, batchSize: 32, learningRate: 5e-3, finalLearningRate: 5e-4 },
  road: { chunks: 40, batchSize: 32, learningRate: 3e-3, finalLearningRate: 3e-4 },
  rings: { chunks: 60, batchSize: 32, learningRate: 3e-3, finalLearningRate: 3e-4 },
};

/** Data seed of training chunk c for seed s; `heldOutSeed(s)` is the evaluation seed. */
export function trainingDataSeed(seed: number, chunk: number): number {
  return seed * 1000 + chunk;
}
export function heldOutSeed(seed: number): number {
  return seed * 1000 + 999;
}

function generator(name: ShippedModelName): (o: { n: number; seed: number; size: number }) => Dataset {
  return data[name];
}

function disposeDataset(d: Dataset): void {
  tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
}

/** Trains one shipped architecture from scratch and evaluates it on held-out data. */
export async function trainShipped(name: ShippedModelName, options: TrainOptions = {}): Promise<TrainResult> {
  if (!isShippedModelName(name)) {
    throw new OptionError(WHERE, `unknown data set ${JSON.stringify(name)}; choices: ${SHIPPED_MODELS.join(', ')}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 4_000_000) throw new OptionError(WHERE, `seed must be an integer from 0 to 4000000, got ${seed}`);
  const recipe = RECIPES[name];
  const short = options.short ?? false;
  const chunks = options.chunks ?? (short ? 2 : recipe.chunks);
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > 999) throw new OptionError(WHERE, `chunks must be an integer from 1 to 999, got ${chunks}`);
  const chunkSize = short ? 32 : CHUNK;
  const evalImages = options.evalImages ?? (short ? 64 : 1000);

  registerWasmTrainingKernels();
  const info = await ready();
  const started = Date.now();
  const model = buildShippedArchitecture(name, 64, seed);
  const optimizer = tf.train.adam(recipe.learningRate);
  const classify = SHIPPED_INFO[name].task === 'classification';
  model.compile({ optimizer, loss: classify ? 'sparseCategoricalCrossentropy' : 'meanSquaredError' });

  const perChunk = Math.ceil(chunkSize / recipe.batchSize);
  const batches = chunks * perChunk;
  const recent: number[] = [];
  let batch = 0;
  try {
    for (let c = 0; c < chunks; c++) {
      if (c === Math.floor(chunks * 0.75)) {
        // tfjs's Adam keeps its rate in a protected field; setting it keeps the moment estimates.
        (optimizer as unknown as { learningRate: number }).learningRate = recipe.finalLearningRate;
      }
      const d = generator(name)({ n: chunkSize, seed: trainingDataSeed(seed, c), size: 64 });
      try {
        for (let b = 0; b < chunkSize; b += recipe.batchSize) {
          throwIfAborted(WHERE, options.signal);
          const size = Math.min(recipe.batchSize, chunkSize - b);
          const x = d.images.slice(b, size);
          const y = classify ? d.labels.slice(b, size).cast('float32') : d.labels.slice(b, size);
          const loss = await model.trainOnBatch(x, y);
          tf.dispose([x, y]);
          recent.push(Array.isArray(loss) ? loss[0] : loss);
          if (recent.length > 20) recent.shift();
          batch++;
          options.onProgress?.({ batch, batches, loss: recent.reduce((s, v) => s + v, 0) / recent.length });
          // Let timers and signals run between batches.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        disposeDataset(d);
      }
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
  const metrics = await evaluateShipped(model, name, { n: evalImages, seed: heldOutSeed(seed) });
  return { model, metrics, backend: info.name, seconds: (Date.now() - started) / 1000 };
}

/**
 * Measures a model of a shipped kind on `n` images of its data set made with `seed`: accuracy for
 * shapes, mean absolute error (and the label's standard deviation) for road and rings.
 */
export async function evaluateShipped(
  model: tf.LayersModel | tf.GraphModel,
  name: ShippedModelName,
  { n, seed, batchSize = 100 }: { n: number; seed: number; batchSize?: number },
): Promise<HeldOutMetrics> {
  const preds: number[] = [];
  const labels: number[] = [];
  const classify = SHIPPED_INFO[name].task === 'classification';
  const d = generator(name)({ n, seed, size: 64 });
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const x = d.images.slice(start, count);
      const out = model.predict(x) as tf.Tensor;
      const p = classify ? tf.argMax(out, -1) : tf.reshape(out, [-1]);
      preds.push(...(await p.data()));
      tf.dispose([x, out, p]);
    }
    labels.push(...(await d.labels.data()));
  } finally {
    disposeDataset(d);
  }
  if (classify) {
    const correct = preds.filter((p, i) => p === labels[i]).length;
    return { n, seed, accuracy: correct / n };
  }
  const mae = preds.reduce((s, p, i) => s + Math.abs(p - labels[i]), 0) / n;
  const mean = labels.reduce((s, v) => s + v, 0) / n;
  const labelStd = Math.sqrt(labels.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  return { n, seed, mae, labelStd, maeOverStd: mae / Math.max(labelStd, 1e-12) };
}

/** Options of `trainShuffledLabels`; every field says its default. */
export interface ShuffledTrainOptions {
  /** Seed of the data, the label permutation, the batch order and the initial weights. Default 1. */
  seed?: number;
  /** Size of the fixed training set (generated once, labels permuted). Default 256. */
  images?: number;
  /** Passes over it. Default 40. */
  epochs?: number;
  /** Images per batch. Default 32. */
  batchSize?: number;
  /** Adam's learning rate. Default 3e-3. */
  learningRate?: number;
  /** Called after every batch. */
  onProgress?: (p: TrainProgress) => void;
  /** Stops training between batches with a CancelledError. */
  signal?: AbortSignal;
}

export const SHUFFLED_TRAIN_DEFAULTS = { seed: 1, images: 256, epochs: 40, batchSize: 32, learningRate: 3e-3 };

/** How well the shuffled-label model fits the labels it was trained on (memorization). */
export interface ShuffledFit {
  images: number;
  epochs: number;
  seed: number;
  /** Classification: training accuracy on the permuted labels, and chance (1 / classes). */
  accuracy?: number;
  chance?: number;
  /** Regression: training MAE on the permuted labels, and the labels' standard deviation (a constant's MAE is about 0.8 of it). */
  mae?: number;
  labelStd?: number;
  backend: string;
  seconds: number;
}

/** Data seed of the shuffled-label training set: far from the shipped training (s·1000 + c) and test seeds. */
export function shuffledDataSeed(seed: number): number {
  return 5_000_000 + seed;
}

/**
 * The data randomisation test's model (Adebayo et al. 2018): a shipped architecture trained from scratch
 * on a fixed set of `images` images of its data set whose labels are randomly permuted, for `epochs`
 * passes (the paper trains until the permuted labels are memorized; a small model may not get there in
 * minutes: `fit` says how far it got). Seeded: data seed `shuffledDataSeed(seed)`, the permutation and
 * batch order from mulberry32(seed), layer weights from `seed`. The caller owns the model.
 */
export async function trainShuffledLabels(name: ShippedModelName, options: ShuffledTrainOptions = {}): Promise<{ model: tf.LayersModel; fit: ShuffledFit }> {
  const where = 'trainShuffledLabels';
  if (!isShippedModelName(name)) throw new OptionError(where, `unknown data set ${JSON.stringify(name)}; choices: ${SHIPPED_MODELS.join(', ')}`);
  const o = { ...SHUFFLED_TRAIN_DEFAULTS, ...options };
  const int = (k: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new OptionError(where, `${k} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  };
  int('seed', o.seed, 0, 4_000_000);
  int('images', o.images, 2, 100_000);
  int('epochs', o.epochs, 1, 10_000);
  int('batchSize', o.batchSize, 1, 4096);
  if (typeof o.learningRate !== 'number' || !(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new OptionError(where, `learningRate must be a number > 0, got ${JSON.stringify(o.learningRate)}`);
  registerWasmTrainingKernels();
  const info = await ready();
  const started = Date.now();
  const classify = SHIPPED_INFO[name].task === 'classification';
  const rand = mulberry32(o.seed);
  const d = generator(name)({ n: o.images, seed: shuffledDataSeed(o.seed), size: 64 });
  const labels = Array.from(await d.labels.data());
  for (let i = labels.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  const y = tf.tensor1d(labels, 'float32');
  const model = buildShippedArchitecture(name, 64, o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  model.compile({ optimizer, loss: classify ? 'sparseCategoricalCrossentropy' : 'meanSquaredError' });
  const perEpoch = Math.ceil(o.images / o.batchSize);
  const batches = o.epochs * perEpoch;
  const recent: number[] = [];
  let batch = 0;
  try {
    for (let e = 0; e < o.epochs; e++) {
      const order = Array.from({ length: o.images }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let b = 0; b < o.images; b += o.batchSize) {
        throwIfAborted(where, options.signal);
        const idx = tf.tensor1d(order.slice(b, b + o.batchSize), 'int32');
        const xb = tf.gather(d.images, idx);
        const yb = tf.gather(y, idx);
        const loss = await model.trainOnBatch(xb, yb);
        tf.dispose([idx, xb, yb]);
        recent.push(Array.isArray(loss) ? loss[0] : loss);
        if (recent.length > 20) recent.shift();
        batch++;
        options.onProgress?.({ batch, batches, loss: recent.reduce((s, v) => s + v, 0) / recent.length });
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await recalibrateBatchNorm(model, d.images);
    // How well it fits the permuted labels, at inference (batch-norm moving statistics).
    const preds: number[] = [];
    for (let b = 0; b < o.images; b += 64) {
      const xb = d.images.slice(b, Math.min(64, o.images - b));
      const out = model.predict(xb) as tf.Tensor;
      const p = classify ? tf.argMax(out, -1) : tf.reshape(out, [-1]);
      preds.push(...(await p.data()));
      tf.dispose([xb, out, p]);
    }
    const seconds = (Date.now() - started) / 1000;
    const base = { images: o.images, epochs: o.epochs, seed: o.seed, backend: info.name, seconds };
    if (classify) {
      const k = SHIPPED_INFO[name].classes?.length ?? 1;
      return { model, fit: { ...base, accuracy: preds.filter((p, i) => p === labels[i]).length / o.images, chance: 1 / k } };
    }
    const mean = labels.reduce((s, v) => s + v, 0) / labels.length;
    const labelStd = Math.sqrt(labels.reduce((s, v) => s + (v - mean) ** 2, 0) / labels.length);
    return { model, fit: { ...base, mae: preds.reduce((s, p, i) => s + Math.abs(p - labels[i]), 0) / o.images, labelStd } };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
    y.dispose();
    disposeDataset(d);
  }
}

/**
 * Sets each batch-normalization layer's moving mean and variance to the mean and (population) variance of
 * its input over `images` at the model's current weights, layer by layer from the input ("precise BN").
 * The moving averages that training leaves lag behind weights that moved fast (a memorizing model: 90%
 * training accuracy in training mode, 37% at inference after 40 epochs), so the inference model is not
 * the one that fit.
 */
async function recalibrateBatchNorm(model: tf.LayersModel, images: tf.Tensor4D, batchSize = 64): Promise<void> {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const sub = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const n = images.shape[0];
    let sum: Float64Array | null = null;
    let sumSq: Float64Array | null = null;
    let count = 0;
    for (let b = 0; b < n; b += batchSize) {
      const stats = tf.tidy(() => {
        const a = sub.predict(images.slice(b, Math.min(batchSize, n - b))) as tf.Tensor;
        const axes = Array.from({ length: a.rank - 1 }, (_, k) => k);
        count += a.size / a.shape[a.rank - 1];
        return tf.stack([tf.sum(a, axes), tf.sum(tf.square(a), axes)]);
      });
      const v = await stats.data();
      stats.dispose();
      const ch = v.length / 2;
      sum ??= new Float64Array(ch);
      sumSq ??= new Float64Array(ch);
      for (let k = 0; k < ch; k++) {
        sum[k] += v[k];
        sumSq[k] += v[ch + k];
      }
    }
    if (!sum || !sumSq) continue;
    const m = Float32Array.from(sum, (v) => v / count);
    const s2 = sumSq;
    const variance = Float32Array.from(m, (mu, k) => Math.max(0, s2[k] / count - mu * mu));
    const [gamma, beta] = layer.getWeights();
    const mean = tf.tensor1d(m);
    const vari = tf.tensor1d(variance);
    layer.setWeights([gamma, beta, mean, vari]);
    tf.dispose([mean, vari]);
  }
}
