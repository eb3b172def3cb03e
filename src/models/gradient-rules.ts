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
 * - tfjs-layers' `ReLU` layer with `maxValue: 6` (Keras' `ReLU(6.)`, MobileNetV2's activation) runs as one
 *   `relu6` instead of `relu` then `clipByValue`: the same values, and the same gradient under every ReLU
 *   rule (it passes where 0 < x ≤ 6, guided or deconvnet as for `Relu`), in one pass over the activation
 *   each way instead of two (MobileNetV2 at 224: 35 such layers, about 6M values).
 *
 * A gradient that still cannot be taken (an op without a gradient, a kernel the backend lacks) is a
 * `GradientError` naming the op and the model's nodes or layers that use it, never tfjs's own message,
 * and the tensors tfjs had saved for the backward pass are freed.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError } from '../errors';
import { fastKernels, sweepFilterCache } from './fast-kernels';
import { gradientKernels } from './gradient-kernels';
import { dilationFreeFusedConv2d, extraGradients, gateGradient } from './gradients';
import { describeGradientFailure, opUsers } from './op-coverage';

export type { ReluRule } from './gradients';
import type { ReluRule } from './gradients';

export interface GradientRules {
  /** How gradients pass through ReLU. Default `standard`. */
  relu?: ReluRule;
  /**
   * DeepLift's rescale rule (Shrikumar et al. 2017, as Captum's DeepLift): the batch is [inputs; baselines]
   * (2N rows, item i's baseline at row N + i), and the gradient through each element-wise non-linearity
   * (DEEP_LIFT_NONLINEAR) is the multiplier Δy/Δx of input row i over baseline row N + i, for both rows,
   * or the ordinary gradient where |Δx| < 1e-10; max pooling follows Captum's rule (see maxPoolRescale).
   * Global max and softmax are a GradientError. Replaces the ReLU rule. Default false.
   */
  deepLift?: boolean;
}

/** The tfjs kernels that DeepLift's rescale rule covers. */
export const DEEP_LIFT_NONLINEAR = ['Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softplus', 'ClipByValue'] as const;

/** The kernels DeepLift cannot take through: global max (tf.max), and softmax (Captum's rule for it normalizes over the whole batch). */
const DEEP_LIFT_UNSUPPORTED = ['Max', 'Softmax'];

const DEEP_LIFT_EPSILON = 1e-10;

/** Thrown inside a backward pass for a kernel DeepLift has no rule for; withGradientRules turns it into a GradientError. */
class NoDeepLiftRule extends Error {
  constructor(readonly op: string) {
    super(`no DeepLift rule for ${op}`);
  }
}

/** The rescale rule for one unary kernel, over tfjs's own gradient for it (the ordinary gradient where Δx ≈ 0). */
function rescaleGrad(kernelName: string): GradConfig | null {
  const old = tf.getGradient(kernelName);
  if (!old) return null;
  const oldSavesX = (old.inputsToSave ?? []).includes('x');
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: old.outputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const plain = old.gradFunc(dy, oldSavesX ? saved : saved.slice(1), attrs) as Record<string, () => tf.Tensor>;
      return {
        x: () => {
          const [xi, xr] = tf.split(x, 2, 0);
          const f = (t: tf.Tensor) => tf.engine().runKernel(kernelName, { x: t }, attrs) as tf.Tensor;
          const dx = tf.sub(xi, xr);
          const small = tf.less(tf.abs(dx), DEEP_LIFT_EPSILON);
          const ratio = tf.div(tf.sub(f(xi), f(xr)), tf.where(small, tf.onesLike(dx), dx));
          const both = tf.concat([small, small]);
          return tf.where(both, plain.x(), tf.mul(dy as tf.Tensor, tf.concat([ratio, ratio])));
        },
      };
    },
  };
}

/**
 * Captum's max-pooling rule: with o, o′ the pooled input and baseline rows and M = max(o, o′), the
 * differences M − o′ (routed to the input's maximum of each window) and o − M (routed to the baseline's)
 * are added, so that each window passes on exactly dy · (o − o′); divided by Δx where |Δx| ≥ 1e-10, the
 * ordinary gradient elsewhere. Both halves get the same multiplier.
 */
function maxPoolRescale(): GradConfig | null {
  const old = tf.getGradient('MaxPool');
  if (!old) return null;
  return {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const route = (d: tf.Tensor) => (old.gradFunc(d, [x, y], attrs) as Record<string, () => tf.Tensor>).x();
      return {
        x: () => {
          const [xi, xr] = tf.split(x, 2, 0);
          const [o, or] = tf.split(y, 2, 0);
          const m = tf.maximum(o, or);
          const routed = route(tf.mul(dy as tf.Tensor, tf.concat([tf.sub(m, or), tf.sub(o, m)])));
          const [ui, ur] = tf.split(routed, 2, 0);
          const sum = tf.add(ui, ur);
          const dx = tf.sub(xi, xr);
          const small = tf.less(tf.abs(dx), DEEP_LIFT_EPSILON);
          const ratio = tf.div(sum, tf.where(small, tf.onesLike(dx), dx));
          return tf.where(tf.concat([small, small]), route(dy as tf.Tensor), tf.concat([ratio, ratio]));
        },
      };
    },
  };
}

/**
 * Minimum and Maximum against a value shared by input and baseline rows (tfjs-layers writes ReLU6 as
 * minimum(6, relu(x))): the rescale rule for the batched operand, as for a unary non-linearity. Between two
 * batched operands (a max of two activations) the ordinary gradient, as Captum takes for such ops.
 */
function minMaxRescale(kernelName: 'Minimum' | 'Maximum'): GradConfig | null {
  const old = tf.getGradient(kernelName);
  if (!old) return null;
  const f = kernelName === 'Minimum' ? tf.minimum : tf.maximum;
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const plain = old.gradFunc(dy, saved, attrs) as Record<string, () => tf.Tensor>;
      const rows = (dy as tf.Tensor).shape[0];
      const batched = (t: tf.Tensor) => rows % 2 === 0 && t.shape.length === (dy as tf.Tensor).shape.length && t.shape.every((d, i) => d === (dy as tf.Tensor).shape[i]);
      const shared = (t: tf.Tensor) => !batched(t) && (t.rank < (dy as tf.Tensor).rank || t.shape[0] === 1);
      const rescaled = (v: tf.Tensor, c: tf.Tensor, plainGrad: () => tf.Tensor) => () => {
        const [vi, vr] = tf.split(v, 2, 0);
        const dx = tf.sub(vi, vr);
        const small = tf.less(tf.abs(dx), DEEP_LIFT_EPSILON);
        const ratio = tf.div(tf.sub(f(vi, c), f(vr, c)), tf.where(small, tf.onesLike(dx), dx));
        return tf.where(tf.concat([small, small]), plainGrad(), tf.mul(dy as tf.Tensor, tf.concat([ratio, ratio])));
      };
      if (batched(a) && shared(b)) return { a: rescaled(a, b, plain.a), b: plain.b };
      if (batched(b) && shared(a)) return { a: plain.a, b: rescaled(b, a, plain.b) };
      return plain;
    },
  };
}

function refusing(kernelName: string): GradConfig {
  return {
    kernelName,
    gradFunc: () => {
      throw new NoDeepLiftRule(kernelName);
    },
  };
}

function deepLiftGradients(): GradConfig[] {
  const rules = [...DEEP_LIFT_NONLINEAR.map(rescaleGrad), maxPoolRescale(), minMaxRescale('Minimum'), minMaxRescale('Maximum')].filter((g): g is GradConfig => g !== null);
  return [...rules, ...DEEP_LIFT_UNSUPPORTED.map(refusing)];
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

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
let reluLayerPrototype: { call: LayerCall } | null = null;

/** Makes tfjs-layers' ReLU(maxValue: 6) one relu6 (see the top of this file). */
function swapRelu6Layer(): () => void {
  reluLayerPrototype ??= Object.getPrototypeOf(tf.layers.reLU({ maxValue: 6 })) as { call: LayerCall };
  const proto = reluLayerPrototype;
  const old = proto.call;
  proto.call = function (this: { maxValue?: number }, inputs, kwargs) {
    if (this.maxValue !== 6) return old.call(this, inputs, kwargs);
    return tf.relu6(Array.isArray(inputs) ? inputs[0] : inputs);
  };
  return () => {
    proto.call = old;
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
      sweepFilterCache();
      restores.push(swapGradient(trueAvgPoolGrad));
      for (const g of [...extraGradients, ...scopedGradients]) restores.push(swapGradient(g));
      restores.push(swapFusedConv2d(), swapRelu6Layer());
      const backendName = tf.getBackend();
      for (const zero of zeroFilterGradKernels(backendName)) restores.push(swapKernel(zero));
      for (const k of scopedKernels) if (k.backendName === backendName) restores.push(swapKernel(k));
    }
    // Last, over the gradients above (saliency-lab's own ClipByValue among them), which it rescales.
    if (rules.deepLift) for (const g of deepLiftGradients()) restores.push(swapGradient(g));
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  } catch (e) {
    if (!outermost) throw e;
    dropFailedTape();
    if (e instanceof NoDeepLiftRule) {
      const nodes = opUsers(context?.model, e.op);
      const used = nodes.length ? ` (used by ${nodes.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')})` : '';
      throw new GradientError(context?.where ?? 'withGradientRules', {
        op: e.op, nodes, backend: tf.getBackend(),
        detail: `DeepLift has no rule for ${e.op}${used}; it covers linear layers (convolutions, dense, average pooling, batch normalization, additions), max pooling and the element-wise ${DEEP_LIFT_NONLINEAR.join(', ')}. integratedGradients and occlusion work with this model`,
      });
    }
    const failure = e instanceof Error && !(e instanceof GradientError) ? describeGradientFailure(e.message, tf.getBackend(), context?.model) : null;
    if (failure) throw new GradientError(context?.where ?? 'withGradientRules', failure);
    throw e;
  } finally {
    for (const r of restores.reverse()) r();
  }
}
