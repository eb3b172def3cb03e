/**
 * Gradient rules that apply only while saliency-lab computes input gradients, swapped into tfjs's
 * registries for one synchronous computation and restored afterwards (so the user's model, and tfjs for
 * everything else, are unchanged):
 *
 * - `AvgPool`: the true gradient of the forward pass. tfjs's own divides by the full window at borders
 *   with `same` padding, while the forward pass divides by the number of real pixels (FACTS.md).
 * - `Relu` and `Relu6`: the standard rule, or guided backprop (Springenberg et al. 2015: pass only
 *   positive gradients through positive inputs) or deconvnet (Zeiler and Fergus 2014: pass positive
 *   gradients whatever the input). Layers with a fused ReLU or ReLU6 run unfused under tf.grad, so these
 *   reach every ReLU of the model (MobileNets use ReLU6: guided backprop through them is guided too).
 * - `Conv2DBackpropFilter` and `DepthwiseConv2dNativeBackpropFilter` return zeros: attribution needs
 *   gradients with respect to inputs only, but tfjs's fused convolutions compute the filter gradient too
 *   (and wasm has no kernel for either).
 * - Gradients tfjs lacks or gets wrong (gradients.ts: StridedSlice, DepthToSpace, dilated convolutions,
 *   ...) and kernels wasm lacks (gradient-kernels.ts: the depthwise input gradient, UnsortedSegmentSum).
 * - Faster kernels registered with `registerScopedKernel` (see fast-kernels.ts) replace slow ones.
 *
 * A gradient that still cannot be taken (an op without a gradient, a kernel the backend lacks) is a
 * `GradientError` naming the op and the model's nodes or layers that use it, never tfjs's own message,
 * and the tensors tfjs had saved for the backward pass are freed.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError } from '../errors';
import { fastKernels } from './fast-kernels';
import { gradientKernels } from './gradient-kernels';
import { dilationFreeFusedConv2d, extraGradients, gateGradient } from './gradients';
import { describeGradientFailure } from './op-coverage';

export type { ReluRule } from './gradients';
import type { ReluRule } from './gradients';

export interface GradientRules {
  /** How gradients pass through ReLU. Default `standard`. */
  relu?: ReluRule;
}

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type GradConfig = Parameters<typeof tf.registerGradient>[0];

const scopedKernels: KernelConfig[] = [...fastKernels, ...gradientKernels];
const scopedGradients: GradConfig[] = [];

/** Adds a kernel that replaces tfjs's own (same name and backend) during input-gradient computations. */
export function registerScopedKernel(config: KernelConfig): void {
  const i = scopedKernels.findIndex((k) => k.kernelName === config.kernelName && k.backendName === config.backendName);
  if (i >= 0) scopedKernels.splice(i, 1);
  scopedKernels.push(config);
}

/** Adds a gradient rule that replaces tfjs's own (same kernel) during input-gradient computations. */
export function registerScopedGradient(config: GradConfig): void {
  const i = scopedGradients.findIndex((g) => g.kernelName === config.kernelName);
  if (i >= 0) scopedGradients.splice(i, 1);
  scopedGradients.push(config);
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

/**
 * The ReLU (or ReLU6) gradient under a rule: the unit passes its input for 0 < x (and x ≤ 6 for
 * ReLU6). Deconvnet ignores the input's sign, not ReLU6's cap (the cap keeps its gradient, as a clip
 * after a ReLU, how tfjs-layers writes ReLU(maxValue: 6), would).
 */
function reluGrad(kernelName: 'Relu' | 'Relu6', rule: ReluRule): GradConfig {
  const gate = { lo: 0, hi: kernelName === 'Relu' ? Infinity : 6, loInclusive: false };
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => gateGradient(dy as tf.Tensor, saved[0], gate, rule) }),
  };
}

/** Filter gradients saliency-lab never needs: the kernels that compute them, made to return zeros. */
const FILTER_GRADIENT_KERNELS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'];

function zeroFilterGradKernels(backendName: string): KernelConfig[] {
  const fill = tf.getKernel('Fill', backendName);
  if (!fill) return [];
  return FILTER_GRADIENT_KERNELS.map((kernelName) => ({
    kernelName,
    backendName,
    kernelFunc: ({ backend, attrs }) =>
      fill.kernelFunc({ inputs: {}, backend, attrs: { shape: (attrs as { filterShape: number[] }).filterShape, value: 0, dtype: 'float32' } }),
  }) as KernelConfig);
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

function swapFusedConv2d(): () => void {
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d };
  const old = fused.conv2d;
  fused.conv2d = dilationFreeFusedConv2d(old);
  return () => {
    fused.conv2d = old;
  };
}

/** Who is asking, for the errors: the public function's name and the model, whose nodes errors name. */
export interface GradientContext {
  where: string;
  model?: unknown;
}

/**
 * Frees what tfjs saved for a backward pass that failed: tfjs disposes it only after a backward pass
 * that succeeds (engine.gradients), so each failed one would leak every activation it recorded.
 */
function dropFailedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * Runs `fn` (synchronously) with saliency-lab's gradient rules in place. Nested calls share the outer
 * call's kernels; the ReLU rule is the innermost call's. A failure that tfjs reports for an op without a
 * gradient or a kernel the backend lacks becomes a GradientError for `context` (see op-coverage.ts).
 */
export function withGradientRules<T>(rules: GradientRules, fn: () => T, context?: GradientContext): T {
  const restores: (() => void)[] = [];
  const outermost = depth === 0;
  try {
    const rule = rules.relu ?? 'standard';
    restores.push(swapGradient(reluGrad('Relu', rule)), swapGradient(reluGrad('Relu6', rule)));
    if (outermost) {
      restores.push(swapGradient(trueAvgPoolGrad));
      for (const g of [...extraGradients, ...scopedGradients]) restores.push(swapGradient(g));
      restores.push(swapFusedConv2d());
      const backendName = tf.getBackend();
      for (const zero of zeroFilterGradKernels(backendName)) restores.push(swapKernel(zero));
      for (const k of scopedKernels) if (k.backendName === backendName) restores.push(swapKernel(k));
    }
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  } catch (e) {
    if (!outermost) throw e;
    dropFailedTape();
    const failure = e instanceof Error && !(e instanceof GradientError) ? describeGradientFailure(e.message, tf.getBackend(), context?.model) : null;
    if (failure) throw new GradientError(context?.where ?? 'withGradientRules', failure);
    throw e;
  } finally {
    for (const r of restores.reverse()) r();
  }
}
