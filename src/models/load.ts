/**
 * Loading and saving models: a tfjs LayersModel or GraphModel from a directory, a `model.json` path, a
 * `file://` or `http(s)://` URL, or the name of a shipped model (`shapes`, `road`, `rings`). Files are
 * read with Node's `fs` and URLs with `fetch`, so the errors can say exactly what is missing: the file,
 * a weights file named in the manifest, the right format, or the network.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import * as tf from '@tensorflow/tfjs';
import { ready } from '../backend';
import { ModelError, listChoices } from '../errors';
import { SHIPPED_MODELS, isShippedModelName, shippedModelPath } from './shipped';

const WHERE = 'loadModel';

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** The fetch used for http(s) URLs. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** Where model.json and its weight files come from. */
interface Source {
  /** What the user passed, for messages. */
  label: string;
  /** Reads a file relative to model.json's folder (or model.json itself for ''). */
  read(relative: string): Promise<Uint8Array>;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 };

/**
 * Loads a model. `source` is a shipped model's name (`shapes`, `road`, `rings`), a directory holding
 * `model.json`, a path to a model.json, or a `file://` / `http://` / `https://` URL of one. Returns a
 * `tf.LayersModel` for Keras-style models (`format: "layers-model"`) and a `tf.GraphModel` for converted
 * TensorFlow graphs (`format: "graph-model"`). The caller owns the model (`model.dispose()`).
 *
 * Throws ModelError for a path that does not exist, a file that is not a tfjs model.json, a weights
 * file that is missing or has the wrong size, or a URL that cannot be fetched.
 */
export async function loadModel(source: string, options: LoadModelOptions = {}): Promise<tf.LayersModel | tf.GraphModel> {
  // Building a model creates weight tensors: the backend must be ready (a cell may call this right after the import).
  await ready();
  if (typeof source !== 'string' || source.length === 0) {
    throw new ModelError(WHERE, `expected a model name (${SHIPPED_MODELS.join(', ')}), a path or a URL, got ${JSON.stringify(source)}`);
  }
  const src = await resolveSource(source, options);
  const json = parseModelJson(src.label, await src.read(''));
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => readWeights(src, manifest));
  const handler: tf.io.IOHandler = { load: async () => artifacts };
  try {
    return json.format === 'graph-model' || isGraphTopology(json.modelTopology)
      ? await tf.loadGraphModel(handler)
      : await tf.loadLayersModel(handler);
  } catch (e) {
    throw new ModelError(WHERE, `${src.label} could not be built into a model: ${(e as Error).message}`);
  }
}

async function resolveSource(source: string, options: LoadModelOptions): Promise<Source> {
  if (isShippedModelName(source)) return fileSource(shippedModelPath(source), `shipped model "${source}"`);
  if (/^https?:\/\//i.test(source)) return urlSource(source, options.fetch ?? globalThis.fetch);
  const file = /^file:\/\//i.test(source) ? fileURLToPath(source) : path.resolve(source);
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new ModelError(WHERE, `no such file or directory: ${file}; pass a directory holding model.json, a model.json path, a URL, or a shipped model: ${SHIPPED_MODELS.join(', ')}`);
  }
  if (stat.isDirectory()) {
    const json = path.join(file, 'model.json');
    try {
      await fs.access(json);
    } catch {
      let entries: string[] = [];
      try { entries = await fs.readdir(file); } catch { /* listing is only for the message */ }
      throw new ModelError(WHERE, `directory ${file} has no model.json (it has: ${listChoices(entries, 10) || 'nothing'})`);
    }
    return fileSource(json, json);
  }
  return fileSource(file, file);
}

function fileSource(modelJson: string, label: string): Source {
  const dir = path.dirname(modelJson);
  return {
    label,
    async read(relative) {
      const file = relative === '' ? modelJson : path.resolve(dir, relative);
      try {
        return new Uint8Array(await fs.readFile(file));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (relative === '') throw new ModelError(WHERE, `cannot read ${file} (${code ?? (e as Error).message})`);
        throw new ModelError(WHERE, `missing weights file ${file}, listed in the weightsManifest of ${label} (${code ?? (e as Error).message}); copy the model's .bin files beside its model.json`);
      }
    },
  };
}

function urlSource(url: string, fetchFn: typeof fetch | undefined): Source {
  if (!fetchFn) throw new ModelError(WHERE, `cannot load ${url}: this JavaScript runtime has no fetch; use Node 18 or newer, or download the model and pass its directory`);
  const base = new URL(url.endsWith('/') ? `${url}model.json` : url);
  return {
    label: base.href,
    async read(relative) {
      const target = relative === '' ? base : new URL(relative, base);
      let res: Response;
      try {
        res = await fetchFn(target.href);
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new ModelError(WHERE, `cannot fetch ${target.href} (${cause?.code ?? cause?.message ?? (e as Error).message}). ` +
          'Offline? Download model.json and every weights file its weightsManifest lists into one directory and pass that directory, ' +
          `or use a shipped model: ${SHIPPED_MODELS.join(', ')}`);
      }
      if (!res.ok) {
        const what = relative === '' ? 'model.json' : `weights file ${relative}`;
        throw new ModelError(WHERE, `${what} at ${target.href}: HTTP ${res.status} ${res.statusText}`.trim());
      }
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

function parseModelJson(label: string, bytes: Uint8Array): tf.io.ModelJSON {
  const head = Buffer.from(bytes.subarray(0, 8));
  if (head.subarray(1, 4).toString('latin1') === 'HDF') {
    throw new ModelError(WHERE, `${label} is a Keras HDF5 file, not a TensorFlow.js model; convert it with \`tensorflowjs_converter --input_format keras\``);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ModelError(WHERE, `${label} is not JSON, so not a TensorFlow.js model.json (convert SavedModel or Keras files with tensorflowjs_converter)`);
  }
  const j = json as Partial<tf.io.ModelJSON>;
  if (typeof j !== 'object' || j === null || typeof j.modelTopology !== 'object' || j.modelTopology === null) {
    throw new ModelError(WHERE, `${label} is JSON but not a TensorFlow.js model.json: it has no "modelTopology" object`);
  }
  if (!Array.isArray(j.weightsManifest)) {
    throw new ModelError(WHERE, `${label} has no "weightsManifest" array, so its weights cannot be found`);
  }
  if (j.format !== undefined && j.format !== 'layers-model' && j.format !== 'graph-model') {
    throw new ModelError(WHERE, `${label} has format ${JSON.stringify(j.format)}; supported: "layers-model", "graph-model"`);
  }
  return j as tf.io.ModelJSON;
}

function isGraphTopology(topology: unknown): boolean {
  return typeof topology === 'object' && topology !== null && Array.isArray((topology as { node?: unknown }).node);
}

async function readWeights(src: Source, manifest: tf.io.WeightsManifestConfig): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of manifest) {
    const groupParts: Uint8Array[] = [];
    for (const p of group.paths) groupParts.push(await src.read(p));
    const got = groupParts.reduce((s, b) => s + b.byteLength, 0);
    const expected = expectedBytes(group.weights);
    if (expected !== null && got !== expected) {
      throw new ModelError(WHERE, `weights files ${group.paths.join(', ')} of ${src.label} hold ${got} bytes, but the manifest describes ${expected}; the files do not belong to this model.json or are truncated`);
    }
    specs.push(...group.weights);
    parts.push(...groupParts);
  }
  const total = parts.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of parts) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return [specs, out.buffer];
}

/** Bytes a weight group should hold, or null when it cannot be known (quantized or string weights). */
function expectedBytes(weights: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const w of weights) {
    if (w.quantization || w.dtype === 'string' || !(w.dtype in DTYPE_BYTES)) return null;
    total += w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[w.dtype];
  }
  return total;
}

/**
 * Saves a LayersModel as `dir/model.json` plus `dir/weights.bin` (the format loadModel reads), creating
 * `dir` when needed. `metadata` goes into model.json's `userDefinedMetadata`.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: object): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (metadata) model.setUserDefinedMetadata(metadata);
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    };
    await fs.writeFile(path.join(dir, 'weights.bin'), Buffer.from(weights));
    await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
}
