/**
 * What saliency-lab's own kernels share (fast-kernels.ts, gradient-kernels.ts): running another kernel of
 * the same backend, freeing intermediates, reading a tensor's values without a copy, and writing a new
 * float32 tensor in place, and the dilated, padded output gradient that transposed convolutions correlate.
 * Only the wasm and cpu backends keep arrays these helpers can read.
 */
import * as tf from '@tensorflow/tfjs';

export type KernelConfig = Parameters<typeof tf.registerKernel>[0];
export type Backend = tf.KernelBackend;
export type Info = tf.TensorInfo;
export type Values = Float32Array | Int32Array | Uint8Array;

/** Runs another kernel of the same backend (the backend's own; these names are never swapped here). */
export function run(backend: Backend, backendName: string, kernelName: string, inputs: Record<string, Info>, attrs: object): Info {
  const kernel = tf.getKernel(kernelName, backendName);
  if (!kernel) throw new Error(`saliency-lab kernels: backend "${backendName}" has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

export function free(backend: Backend, ...infos: Info[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Reads a tensor's values without copying where the backend allows (wasm heap view, cpu array). */
export function values(backend: Backend, t: Info): Values {
  const b = backend as unknown as {
    typedArrayFromHeap?: (t: Info) => Values;
    data?: { get(id: tf.DataId): { values: Values } };
  };
  if (b.typedArrayFromHeap) return b.typedArrayFromHeap(t);
  if (b.data) return b.data.get(t.dataId).values;
  return backend.readSync(t.dataId) as Values;
}

/**
 * A new float32 tensor filled by `fill(out)`, written in place on wasm's heap or handed to cpu. `out`
 * starts as zeros unless `zeroed` is false (then `fill` must write every element).
 */
export function output(backend: Backend, shape: number[], fill: (out: Float32Array) => void, zeroed = true): Info {
  const b = backend as unknown as {
    makeOutput?: (shape: number[], dtype: 'float32') => Info;
    typedArrayFromHeap?: (t: Info) => Float32Array;
    makeTensorInfo?: (shape: number[], dtype: 'float32', values: Float32Array) => Info;
  };
  if (b.makeOutput && b.typedArrayFromHeap) {
    const out = b.makeOutput(shape, 'float32');
    try {
      const view = b.typedArrayFromHeap(out);
      if (zeroed) view.fill(0);
      fill(view);
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
    return out;
  }
  if (!b.makeTensorInfo) throw new Error(`saliency-lab kernels: backend "${tf.getBackend()}" keeps no readable arrays (wasm or cpu needed)`);
  const arr = new Float32Array(shape.reduce((a, d) => a * d, 1));
  fill(arr);
  return b.makeTensorInfo(shape, 'float32', arr);
}

/** What `transposedConvInput` needs to know of the forward convolution (NHWC; kh, kw: dilated extent). */
export interface TransposedConvGeometry {
  n: number; h: number; w: number; oh: number; ow: number; c: number;
  sh: number; sw: number; kh: number; kw: number; top: number; left: number;
}

/**
 * The output gradient `dy` [n,oh,ow,c] made ready for a stride-1 correlation that yields the input
 * gradient [n,h,w,·]: zero-dilated by the strides (zeros between rows and columns), trailing rows the
 * correlation never reads cut, and the explicit padding that correlation needs (kh − 1 − top before).
 * Shared by the convolution and depthwise input gradients. Intermediates go to `keep` (freed by the caller).
 */
export function transposedConvInput(
  backend: Backend, backendName: string, dy: Info, geo: TransposedConvGeometry, keep: (t: Info) => Info,
): { g: Info; pad: tf.backend_util.ExplicitPadding } {
  const { n, h, w, oh, ow, c, sh, sw, kh, kw, top, left } = geo;
  let g = dy;
  if (sh > 1 || sw > 1) {
    const r6 = keep(run(backend, backendName, 'Reshape', { x: g }, { shape: [n, oh, 1, ow, 1, c] }));
    const padded = keep(run(backend, backendName, 'PadV2', { x: r6 }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0,
    }));
    g = keep(run(backend, backendName, 'Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, c] }));
  }
  // A stride-1 "valid" correlation giving h rows needs h + kh − 1 rows of (padded) dy.
  const lh = oh * sh;
  const lw = ow * sw;
  const beforeH = kh - 1 - top;
  const beforeW = kw - 1 - left;
  let afterH = h + kh - 1 - beforeH - lh;
  let afterW = w + kw - 1 - beforeW - lw;
  if (afterH < 0 || afterW < 0) {
    // Trailing zeros of the dilation (or rows the forward pass never read) that fall outside.
    g = keep(run(backend, backendName, 'Slice', { x: g }, {
      begin: [0, 0, 0, 0], size: [n, lh + Math.min(afterH, 0), lw + Math.min(afterW, 0), c],
    }));
    afterH = Math.max(afterH, 0);
    afterW = Math.max(afterW, 0);
  }
  return { g, pad: [[0, 0], [beforeH, afterH], [beforeW, afterW], [0, 0]] };
}
