/**
 * Every registered method run on one backend over a random CNN, for the backend-agreement tests: the
 * same model, input and options on each backend, results read back as arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend, BackendName } from '../../src/backend';
import { runMethod, METHOD_NAMES } from '../../src/methods/registry';
import { relErr } from '../reference/net';
import { RandomCnn } from '../reference/models';

/** Small settings for the looping methods, so that slow backends (cpu, webgpu on lavapipe) stay quick. */
export const SMALL: Record<string, Record<string, unknown>> = {
  smoothGrad: { samples: 3, seed: 5 }, integratedGradients: { steps: 8 }, occlusion: { window: 3, stride: 2 },
  layerConductance: { steps: 4 }, internalInfluence: { steps: 4 }, layerIntegratedGradients: { steps: 4 },
  // SLIC groups (they depend on the input values only, so they are the same on every backend).
  featureAblation: { segments: 4 }, shapleyValueSampling: { segments: 4, samples: 2, seed: 5 },
  lime: { segments: 4, samples: 12, seed: 5 }, kernelShap: { segments: 4, samples: 12, seed: 5 }, rise: { samples: 8, cells: 2, seed: 5 },
  gradientShap: { samples: 3, seed: 5, stdevs: 0.05 }, expectedGradients: { samples: 3, seed: 5 }, guidedIg: { steps: 8 }, blurIg: { steps: 8, maxSigma: 3 }, xrai: { steps: 4 },
};

/** The registered methods, without `cam` where the model's head is not GAP → dense, and without `lrp` and `fullGrad` (LayersModels only) for a GraphModel. */
export function methodNames(cam: boolean, graph = false): string[] {
  return METHOD_NAMES.filter((name) => (cam || name !== 'cam') && !(graph && (name === 'lrp' || name === 'fullGrad')));
}

/** Whether cam applies to a random CNN in the form given (only fusedGapSoftmax has a GAP → dense head). */
export function camApplies(kind: RandomCnn, model: tf.LayersModel | tf.GraphModel): boolean {
  return kind === 'fusedGapSoftmax' && !(model instanceof tf.GraphModel);
}

/**
 * Runs the named methods on `backend`; input values and shape are given as data so that no tensor
 * crosses backends. Each method must leave `tf.memory().numTensors` as it found it.
 */
export async function allMethods(
  backend: BackendName, names: string[], model: tf.LayersModel | tf.GraphModel, values: Float32Array, shape: number[],
): Promise<Record<string, Float32Array>> {
  await setBackend(backend);
  const out: Record<string, Float32Array> = {};
  const x = tf.tensor4d(values, shape as [number, number, number, number]);
  for (const name of names) {
    const before = tf.memory().numTensors;
    const r = await runMethod(name, model, x, { target: [0, 1], ...SMALL[name] });
    out[name] = (await r.data()) as Float32Array;
    r.dispose();
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`${name} on ${backend}: ${leaked} tensors left behind`);
  }
  x.dispose();
  return out;
}

/** Throws naming every method whose results differ by `tol` or more relative to the largest value. */
export function expectAgree(a: Record<string, Float32Array>, b: Record<string, Float32Array>, labels: [string, string], tol = 1e-4): void {
  const bad: string[] = [];
  for (const name of Object.keys(b)) {
    const err = relErr(a[name], b[name]);
    if (!(err < tol)) bad.push(`${name}: ${labels[0]} and ${labels[1]} differ by ${err} relative to the largest value`);
  }
  if (bad.length) throw new Error(bad.join('\n'));
}
