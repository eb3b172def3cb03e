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
