/** Helpers for kernel tests: deterministic values, tfjs's cpu kernel as the reference, leak-checked runs. */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;

/** Deterministic values in [-1, 1) (mulberry32); `levels` > 0 rounds them to that many steps (ties). */
export function values(size: number, seed: number, levels = 0): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = levels > 0 ? Math.floor(u * levels) : u * 2 - 1;
  }
  return out;
}

export const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** tfjs's own cpu kernel, called on the cpu backend's instance with plain arrays in and out. */
export function cpuReference(kernelName: string, inputs: Record<string, { shape: number[]; values: Float32Array }>, attrs: object): Float32Array {
  const cpu = tf.findBackend('cpu') as tf.KernelBackend & { makeTensorInfo(s: number[], d: string, v: Float32Array): Info };
  const infos: Record<string, Info> = {};
  for (const [k, v] of Object.entries(inputs)) infos[k] = cpu.makeTensorInfo(v.shape, 'float32', v.values);
  const out = tf.getKernel(kernelName, 'cpu')!.kernelFunc({ inputs: infos, backend: cpu, attrs: attrs as tf.NamedAttrMap }) as Info;
  const result = cpu.readSync(out.dataId) as Float32Array;
  for (const t of [...Object.values(infos), out]) cpu.disposeData(t.dataId);
  return Float32Array.from(result);
}

/** Runs a kernel function on the active backend; returns its values and checks that it leaks nothing. */
export function runHere(fn: (args: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: never }) => Info,
  inputs: Record<string, { shape: number[]; values: Float32Array }>, attrs: object): { shape: number[]; values: Float32Array } {
  const backend = tf.backend();
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape, 'float32');
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = backend.numDataIds();
  const out = fn({ inputs: tensors, backend, attrs: attrs as never });
  const result = { shape: out.shape, values: Float32Array.from(backend.readSync(out.dataId) as Float32Array) };
  backend.disposeData(out.dataId);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(backend.numDataIds()).toBe(dataBefore);
  tf.dispose(Object.values(tensors));
  return result;
}

/** |a − b| ≤ tol · max|b| elementwise (relative to the largest value). */
export function expectClose(a: Float32Array, b: Float32Array, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol * Math.max(scale, 1e-30));
}
