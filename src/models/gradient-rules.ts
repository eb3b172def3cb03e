/**
 * Gradient rules that apply only while saliency-lab computes input gradients, swapped into tfjs's
 * registries for one synchronous computation and restored afterwards (so the user's model, and tfjs for
 * everything else, are unchanged):
 *
 * - `AvgPool`: the true gradient of the forward pass. tfjs's own divides by the full window at borders
 *   with `same` padding, while the forward pass divides by the number of real pixels (FACTS.md).
 * - `Relu`: the standard rule, or guided backprop (Springenberg et al. 2015: pass only positive gradients
 *   through positive inputs) or deconvnet (Zeiler and Fergus 2014: pass positive gradients whatever the
 *   input). Layers with a fused ReLU run unfused under tf.grad, so these reach every ReLU of the model.
 * - `Conv2DBackpropFilter` returns zeros: attribution needs gradients with respect to inputs only, but
 *   tfjs's fused convolution computes the filter gradient too (and wasm has no kernel for it).
 * - Faster kernels registered with `registerScopedKernel` (see fast-kernels.ts) replace slow ones.
 */
import * as tf from '@tensorflow/tfjs';
import { fastKernels } from './fast-kernels';

export type ReluRule = 'standard' | 'guided' | 'deconvnet';

export interface GradientRules {
  /** How gradients pass through ReLU. Default `standard`. */
  relu?: ReluRule;
}

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type GradConfig = Parameters<typeof tf.registerGradient>[0];

const scopedKernels: KernelConfig[] = [...fastKernels];

/** Adds a kernel that replaces tfjs's own (same name and backend) during input-gradient computations. */
export function registerScopedKernel(config: KernelConfig): void {
  const i = scopedKernels.findIndex((k) => k.kernelName === config.kernelName && k.backendName === config.backendName);
  if (i >= 0) scopedKernels.splice(i, 1);
  scopedKernels.push(config);
}

/** Number of real (unpadded) input positions each output window covers along one axis. */
export function windowCounts(inSize: number, outSize: number, filter: number, stride: number, padBefore: number): number[] {
  const counts: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padBefore;
    counts.push(Math.max(0, Math.min(start + filter, inSize) - Math.max(start, 0)));
  }
  return counts;
}

type PadAttr = 'same' | 'valid' | number;

function padBefore(inSize: number, outSize: number, filter: number, stride: number, pad: PadAttr): number {
  if (pad === 'valid') return 0;
  if (typeof pad === 'number') return pad;
  const total = Math.max((outSize - 1) * stride + filter - inSize, 0);
  return Math.floor(total / 2);
}

const trueAvgPoolGrad: GradConfig = {
  kernelName: 'AvgPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor4D[];
    const { filterSize, strides, pad } = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: PadAttr };
    const [fh, fw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const d = dy as tf.Tensor4D;
    const [, H, W] = x.shape;
    const [, oh, ow] = d.shape;
    return {
      x: () => {
        const ch = windowCounts(H, oh, fh, sh, padBefore(H, oh, fh, sh, pad));
        const cw = windowCounts(W, ow, fw, sw, padBefore(W, ow, fw, sw, pad));
        // tfjs's AvgPoolGrad spreads dy / (fh*fw) over each window; scaling dy by (fh*fw)/count first makes
        // that dy / count, the derivative of the forward pass's mean over the real pixels.
        const scale = new Float32Array(oh * ow);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) scale[i * ow + j] = (fh * fw) / Math.max(ch[i] * cw[j], 1);
        const scaled = tf.mul(d, tf.tensor4d(scale, [1, oh, ow, 1]));
        return tf.engine().runKernel('AvgPoolGrad', { dy: scaled, input: x }, { filterSize, strides, pad }) as tf.Tensor;
      },
    };
  },
};

function reluGrad(rule: ReluRule): GradConfig {
  return {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      if (rule === 'deconvnet') return { x: () => tf.relu(d) };
      if (rule === 'guided') return { x: () => tf.mul(tf.relu(d), tf.step(tf.cast(x, 'float32'))) };
      return { x: () => tf.mul(d, tf.step(tf.cast(x, 'float32'))) };
    },
  };
}

function zeroFilterGradKernel(backendName: string): KernelConfig | null {
  const fill = tf.getKernel('Fill', backendName);
  if (!fill) return null;
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ backend, attrs }) =>
      fill.kernelFunc({ inputs: {}, backend, attrs: { shape: (attrs as { filterShape: number[] }).filterShape, value: 0, dtype: 'float32' } }),
  } as KernelConfig;
}

let depth = 0;

function swapGradient(config: GradConfig): () => void {
  const old = tf.getGradient(config.kernelName);
  tf.registerGradient(config);
  return () => {
    if (old) tf.registerGradient(old);
    else tf.unregisterGradient(config.kernelName);
  };
}

function swapKernel(config: KernelConfig): () => void {
  const old = tf.getKernel(config.kernelName, config.backendName);
  if (old) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
  return () => {
    tf.unregisterKernel(config.kernelName, config.backendName);
    if (old) tf.registerKernel(old);
  };
}

/**
 * Runs `fn` (synchronously) with saliency-lab's gradient rules in place. Nested calls share the outer
 * call's kernels; the ReLU rule is the innermost call's.
 */
export function withGradientRules<T>(rules: GradientRules, fn: () => T): T {
  const restores: (() => void)[] = [];
  try {
    restores.push(swapGradient(reluGrad(rules.relu ?? 'standard')));
    if (depth === 0) {
      restores.push(swapGradient(trueAvgPoolGrad));
      const backendName = tf.getBackend();
      const zero = zeroFilterGradKernel(backendName);
      if (zero) restores.push(swapKernel(zero));
      for (const k of scopedKernels) if (k.backendName === backendName) restores.push(swapKernel(k));
    }
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  } finally {
    for (const r of restores.reverse()) r();
  }
}
