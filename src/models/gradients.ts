/**
 * Gradient rules for ops whose gradient tfjs-core 4.22 lacks or gets wrong, registered by
 * `withGradientRules` only while saliency-lab computes gradients (restored afterwards). Each is checked
 * against finite differences on wasm and cpu in test/models/op-gradients.test.ts; op-coverage.ts lists
 * every op with where its gradient comes from.
 *
 * - `StridedSlice` (converted models slice features with it: SSR-Net's stage outputs, `x[:, :, :, :k]`):
 *   the output gradient scattered back into zeros of the input's shape, at the strided positions.
 * - `DepthToSpace`: the inverse rearrangement (space to depth) of the output gradient.
 * - `GatherNd`: the output gradient scattered to the gathered positions (`ScatterNd`, present on wasm).
 * - `MirrorPad`: tfjs keeps only the centre of the output gradient; the mirrored borders' gradients are
 *   added back onto the pixels they copy (reflect and symmetric).
 * - `Unpack` and `SplitV` with a single output (unstacking a batch of one, a split in one piece): tfjs's
 *   rules stack or concatenate their output gradients and fail when there is only one.
 * - `FloorDiv`: zero (tfjs gives the gradient of real division; floor is piecewise constant).
 * - `FusedBatchNorm` (every BatchNormalization layer, and the batch norms a converted graph keeps): the
 *   same gradient as tfjs's, broadcast per channel instead of tiled to the activation's shape (tfjs tiles
 *   γ/√(σ² + ε) to a full-size tensor and computes two more full-size products before it is needed:
 *   on a MobileNetV2 at 224×224 that was half of the backward pass).
 * - `ClipByValue` (tfjs-layers' ReLU(maxValue), clipping activations): one pass (see gateGradient).
 * - `Cumsum`: tfjs transposes the result for any axis but the last, giving a wrongly shaped gradient.
 * - `Conv2D` and `DepthwiseConv2dNative` with dilations > 1 (atrous convolutions): tfjs refuses them.
 *   The input gradient of a dilated convolution is the input gradient of the undilated convolution with
 *   the zero-dilated filter. Undilated convolutions keep tfjs's rule.
 * - `Conv3DBackpropInputV2` (Conv3DTranspose): a forward 3-D convolution, as tfjs does in 2-D.
 * - `Einsum` (two operands or one, as tfjs runs it: cpu only): each operand's gradient is another einsum,
 *   broadcast over indices that only that operand has.
 * - Comparisons and boolean ops (`Greater`, `Equal`, `LogicalAnd`, `Any`, ...): zero. Their outputs are
 *   boolean masks (ThresholdedReLU, `where`, Masking) with no gradient; tfjs registers none and fails.
 */
import * as tf from '@tensorflow/tfjs';
import { GATE_GRAD, GateAttrs } from './gradient-kernels';

type GradConfig = Parameters<typeof tf.registerGradient>[0];

/** How gradients pass a ReLU: as they are (`standard`), guided backprop's rule, or deconvnet's. */
export type ReluRule = 'standard' | 'guided' | 'deconvnet';
type GradFunc = GradConfig['gradFunc'];
type Attrs = Record<string, unknown>;

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);
const triple = (v: unknown): [number, number, number] => (Array.isArray(v) ? [v[0], v[1], v[2]] : [v as number, v as number, v as number]);

/** Runs a kernel by name (gradient kernels that tfjs exports no op for). */
function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Inserts `rate − 1` zeros between the elements of `x` along `axis` (length n → (n − 1)·rate + 1).
 * Reshape, pad and slice: differentiable and present on every backend.
 */
function dilateAxis(x: tf.Tensor, axis: number, rate: number): tf.Tensor {
  const n = x.shape[axis];
  if (rate === 1 || n === 0) return x;
  const split = [...x.shape.slice(0, axis + 1), 1, ...x.shape.slice(axis + 1)];
  const pads = split.map((_, i) => (i === axis + 1 ? [0, rate - 1] : [0, 0]) as [number, number]);
  const padded = tf.pad(tf.reshape(x, split), pads);
  const merged = [...x.shape.slice(0, axis), n * rate, ...x.shape.slice(axis + 1)];
  const size = merged.map((d, i) => (i === axis ? (n - 1) * rate + 1 : d));
  return tf.slice(tf.reshape(padded, merged), merged.map(() => 0), size);
}

/** The positions a strided slice reads along one axis: `count` of them, from `start` by `step` (> 0). */
function sliceCount(begin: number, end: number, stride: number): number {
  return stride > 0 ? Math.max(0, Math.ceil((end - begin) / stride)) : Math.max(0, Math.ceil((begin - end) / -stride));
}

const stridedSliceGrad: GradConfig = {
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const a = attrs as unknown as {
      begin: number[]; end: number[]; strides: number[];
      beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number;
    };
    return {
      x: () => {
        const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
        const counts = x.shape.map((_, i) => sliceCount(info.begin[i], info.end[i], info.strides[i]));
        if (counts.some((c) => c === 0)) return tf.zerosLike(x);
        // The output gradient with one axis per input axis (shrunk axes back as 1, new axes gone).
        let g = tf.reshape(dy as tf.Tensor, counts);
        const pads: [number, number][] = [];
        for (let i = 0; i < x.shape.length; i++) {
          const s = info.strides[i];
          let first = info.begin[i];
          if (s < 0) {
            // Read backwards from `begin`: reverse, then it is a forward read from the last position.
            g = tf.reverse(g, i);
            first = info.begin[i] + (counts[i] - 1) * s;
          }
          g = dilateAxis(g, i, Math.abs(s));
          pads.push([first, x.shape[i] - first - g.shape[i]]);
        }
        return tf.pad(g, pads);
      },
    };
  },
};

const depthToSpaceGrad: GradConfig = {
  kernelName: 'DepthToSpace',
  gradFunc: (dy, _saved, attrs) => {
    const { blockSize: b, dataFormat } = attrs as unknown as { blockSize: number; dataFormat: 'NHWC' | 'NCHW' };
    return {
      x: () => {
        let d = dy as tf.Tensor4D;
        if (dataFormat === 'NCHW') d = tf.transpose(d, [0, 2, 3, 1]);
        // Forward (NHWC): [n,h,w,b·b·c] → [n,h,w,b,b,c] → [n,h,b,w,b,c] → [n,h·b,w·b,c]; this undoes it.
        const [n, hb, wb, c] = d.shape;
        const h = hb / b;
        const w = wb / b;
        let g = tf.reshape(tf.transpose(tf.reshape(d, [n, h, b, w, b, c]), [0, 1, 3, 2, 4, 5]), [n, h, w, b * b * c]);
        if (dataFormat === 'NCHW') g = tf.transpose(g, [0, 3, 1, 2]);
        return g;
      },
    };
  },
};

const gatherNdGrad: GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved;
    return {
      params: () => tf.scatterND(indices, dy as tf.Tensor, params.shape),
      indices: () => tf.zerosLike(indices),
    };
  },
};

/**
 * The input gradient of `tf.mirrorPad(x, paddings, mode)` from its output gradient `dy`: the centre, plus
 * each mirrored border's gradient added back onto the pixels it copies. Sync; `x` has shape `xShape`.
 */
export function mirrorPadBackward(dy: tf.Tensor, xShape: number[], paddings: [number, number][], mode: 'reflect' | 'symmetric'): tf.Tensor {
  // reflect mirrors around the edge pixel (it is not repeated), symmetric repeats it.
  const offset = mode === 'reflect' ? 1 : 0;
  let g = dy;
  for (let axis = 0; axis < xShape.length; axis++) {
    const [before, after] = paddings[axis];
    if (before === 0 && after === 0) continue;
    const n = xShape[axis];
    const part = (start: number, size: number) => tf.slice(g, g.shape.map((_, i) => (i === axis ? start : 0)), g.shape.map((d, i) => (i === axis ? size : d)));
    const padAxis = (t: tf.Tensor, lo: number, hi: number) => tf.pad(t, t.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0]) as [number, number]));
    let sum = part(before, n);
    if (before > 0) sum = tf.add(sum, padAxis(tf.reverse(part(0, before), axis), offset, n - offset - before));
    if (after > 0) sum = tf.add(sum, padAxis(tf.reverse(part(before + n, after), axis), n - offset - after, offset));
    g = sum;
  }
  return g;
}

const mirrorPadGrad: GradConfig = {
  kernelName: 'MirrorPad',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { paddings, mode } = attrs as unknown as { paddings: [number, number][]; mode: 'reflect' | 'symmetric' };
    return { x: () => mirrorPadBackward(dy as tf.Tensor, x.shape, paddings, mode) };
  },
};

const asList = (dy: tf.Tensor | tf.Tensor[]) => (Array.isArray(dy) ? dy : [dy]);

const unpackGrad: GradConfig = {
  kernelName: 'Unpack',
  gradFunc: (dy, _saved, attrs) => ({ value: () => tf.stack(asList(dy), (attrs as unknown as { axis: number }).axis) }),
};

const splitGrad: GradConfig = {
  kernelName: 'SplitV',
  gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(asList(dy), (attrs as unknown as { axis: number }).axis) }),
};

/** `t` summed over the axes it was broadcast along to come from `shape`, then shaped as `shape`. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length ? tf.sum(t, axes) : t, shape);
}

const batchNormGrad: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const d = dy as tf.Tensor;
    const rsqrt = () => tf.rsqrt(tf.add(variance, eps));
    // γ/√(σ² + ε), per channel (small).
    const factor = () => (scale ? tf.mul(rsqrt(), scale) : rsqrt());
    return {
      x: () => tf.mul(d, factor()),
      mean: () => reduceTo(tf.neg(tf.mul(d, factor())), mean.shape),
      variance: () => reduceTo(tf.mul(tf.mul(d, tf.sub(x, mean)), tf.mul(tf.mul(factor(), tf.square(rsqrt())), -0.5)), mean.shape),
      scale: () => reduceTo(tf.mul(tf.mul(d, tf.sub(x, mean)), rsqrt()), mean.shape),
      offset: () => reduceTo(d, mean.shape),
    };
  },
};

/**
 * The gradient of a gate (ReLU, ReLU6, ClipByValue) under a rule, in one pass where the backend has
 * saliency-lab's gate kernel (wasm, cpu), else composed of tfjs ops (other backends).
 */
export function gateGradient(dy: tf.Tensor, x: tf.Tensor, gate: Omit<GateAttrs, 'rule'>, rule: ReluRule): tf.Tensor {
  if (x.dtype === 'float32' && tf.getKernel(GATE_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(GATE_GRAD, { dy, x }, { ...gate, rule } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const xf = tf.cast(x, 'float32');
  const below = tf.cast(tf.lessEqual(xf, gate.hi), 'float32');
  if (rule === 'deconvnet') return tf.mul(tf.relu(dy), below);
  const pass = tf.mul(gate.loInclusive ? tf.cast(tf.greaterEqual(xf, gate.lo), 'float32') : tf.step(tf.sub(xf, gate.lo)), below);
  return tf.mul(rule === 'guided' ? tf.relu(dy) : dy, pass);
}

const clipGrad: GradConfig = {
  kernelName: 'ClipByValue',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
    return { x: () => gateGradient(dy as tf.Tensor, saved[0], { lo: clipValueMin, hi: clipValueMax, loInclusive: true }, 'standard') };
  },
};

const cumsumGrad: GradConfig = {
  kernelName: 'Cumsum',
  gradFunc: (dy, _saved, attrs) => {
    const { axis, exclusive, reverse } = attrs as unknown as { axis: number; exclusive: boolean; reverse: boolean };
    return { x: () => tf.cumsum(dy as tf.Tensor, axis, exclusive, !reverse) };
  },
};

/** A 4-D filter [kh,kw,·,·] with `rate − 1` zeros between its taps: the undilated equivalent. */
function dilateFilter(filter: tf.Tensor, dh: number, dw: number): tf.Tensor4D {
  return dilateAxis(dilateAxis(filter, 0, dh), 1, dw) as tf.Tensor4D;
}

/** Replaces a gradient rule for dilations > 1 and keeps tfjs's own (`fallback`) for undilated ones. */
function withDilatedCase(kernelName: string, dilated: GradFunc): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [dh, dw] = pair((attrs as Attrs).dilations ?? 1);
      if (dh === 1 && dw === 1) {
        const own = tfjsGradients.get(kernelName);
        if (!own) throw new Error(`saliency-lab: tfjs has no gradient for ${kernelName}`);
        return own.gradFunc(dy, saved, attrs);
      }
      return dilated(dy, saved, attrs);
    },
  };
}

/** tfjs's own gradient rules for the kernels swapped above, read once (before any swap). */
const tfjsGradients = new Map<string, GradConfig>();
for (const name of ['Conv2D', 'DepthwiseConv2dNative']) {
  const own = tf.getGradient(name);
  if (own) tfjsGradients.set(name, own as GradConfig);
}

const dilatedConv2dGrad = withDilatedCase('Conv2D', (dy, saved, attrs) => {
  const [x, filter] = saved as tf.Tensor4D[];
  const { strides, pad, dataFormat, dilations } = attrs as unknown as { strides: [number, number]; pad: 'same' | 'valid'; dataFormat: 'NHWC' | 'NCHW'; dilations: [number, number] };
  const [dh, dw] = pair(dilations);
  return {
    x: () => runKernel('Conv2DBackpropInput', { dy: dy as tf.Tensor, filter: dilateFilter(filter, dh, dw) }, {
      strides, pad, dataFormat, dimRoundingMode: undefined, inputShape: x.shape,
    }) as tf.Tensor,
    filter: () => {
      // The gradient of the zero-dilated filter, read at its real taps.
      const big = dilateFilter(filter, dh, dw);
      const full = runKernel('Conv2DBackpropFilter', { x, dy: dy as tf.Tensor }, { strides, pad, dataFormat, dimRoundingMode: undefined, filterShape: big.shape }) as tf.Tensor4D;
      return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [dh, dw, 1, 1]);
    },
  };
});

const dilatedDepthwiseGrad = withDilatedCase('DepthwiseConv2dNative', (dy, saved, attrs) => {
  const [x, filter] = saved as tf.Tensor4D[];
  const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as { strides: [number, number]; pad: 'same' | 'valid'; dilations: [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  return {
    // The backprop-input kernels saliency-lab registers (gradient-kernels.ts) take dilations.
    x: () => runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy as tf.Tensor, filter }, { strides, pad, dilations, dimRoundingMode, inputShape: x.shape }) as tf.Tensor,
    filter: () => runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dy as tf.Tensor }, { strides, pad, dilations, dimRoundingMode, filterShape: filter.shape }) as tf.Tensor,
  };
});

const conv3dTransposeGrad: GradConfig = {
  kernelName: 'Conv3DBackpropInputV2',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as tf.Tensor5D[];
    const { strides, pad } = attrs as unknown as { strides: [number, number, number]; pad: 'same' | 'valid' };
    return {
      dy: () => tf.conv3d(ddx as tf.Tensor5D, filter, triple(strides), pad),
      filter: () => runKernel('Conv3DBackpropFilterV2', { x: ddx as tf.Tensor, dy }, { strides, pad, filterShape: filter.shape }) as tf.Tensor,
    };
  },
};

/** Einsum operand terms and output term, as tfjs accepts them ("ab,bc->ac", "abc->ca"). */
function parseEinsum(equation: string): { inputs: string[]; output: string } {
  const [lhs, output] = equation.replace(/\s/g, '').split('->');
  return { inputs: lhs.split(','), output };
}

/**
 * ∂/∂operand of einsum: the einsum of the output gradient with the other operand onto the indices of this
 * operand that appear elsewhere, then broadcast over the indices only this operand has (they were summed).
 */
function einsumOperandGrad(dy: tf.Tensor, output: string, term: string, other: { term: string; value: tf.Tensor } | null, shape: number[]): tf.Tensor {
  const seen = output + (other ? other.term : '');
  const kept = term.split('').filter((c) => seen.includes(c)).join('');
  const eq = other ? `${output},${other.term}->${kept}` : `${output}->${kept}`;
  const g = other ? tf.einsum(eq, dy, other.value) : tf.einsum(eq, dy);
  if (kept.length === term.length) return g;
  const withOnes = term.split('').map((c, i) => (kept.includes(c) ? shape[i] : 1));
  return tf.broadcastTo(tf.reshape(g, withOnes), shape);
}

const einsumGrad: GradConfig = {
  kernelName: 'Einsum',
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const { equation } = attrs as unknown as { equation: string };
    const { inputs, output } = parseEinsum(equation);
    const d = dy as tf.Tensor;
    if (inputs.length === 1) return [() => einsumOperandGrad(d, output, inputs[0], null, saved[0].shape)] as never;
    return [
      () => einsumOperandGrad(d, output, inputs[0], { term: inputs[1], value: saved[1] }, saved[0].shape),
      () => einsumOperandGrad(d, output, inputs[1], { term: inputs[0], value: saved[0] }, saved[1].shape),
    ] as never;
  },
};

/** Ops whose outputs are boolean masks or piecewise constant: their gradient is zero. Input names per op. */
const ZERO_GRADIENT_OPS: Record<string, string[]> = {
  FloorDiv: ['a', 'b'],
  Equal: ['a', 'b'], NotEqual: ['a', 'b'], Greater: ['a', 'b'], GreaterEqual: ['a', 'b'], Less: ['a', 'b'], LessEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'], LogicalOr: ['a', 'b'], LogicalNot: ['x'], All: ['x'], Any: ['x'],
};

function zeroGrad(kernelName: string, inputs: string[]): GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros(saved[i].shape, 'float32')])),
  };
}

/** Every gradient rule this file provides, keyed by kernel. */
export const extraGradients: GradConfig[] = [
  stridedSliceGrad, depthToSpaceGrad, gatherNdGrad, mirrorPadGrad, unpackGrad, splitGrad, batchNormGrad, clipGrad, cumsumGrad, dilatedConv2dGrad, dilatedDepthwiseGrad,
  conv3dTransposeGrad, einsumGrad,
  ...Object.entries(ZERO_GRADIENT_OPS).map(([name, inputs]) => zeroGrad(name, inputs)),
];

type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];

/**
 * `tf.fused.conv2d` for the length of a gradient computation: a dilated convolution whose fused part is
 * linear runs with the zero-dilated filter instead (the same numbers), because tfjs's fused gradient
 * refuses dilations (with a fused nonlinearity tfjs runs the ops unfused, and the `Conv2D` rule above
 * serves). tfjs-layers calls it for every Conv2D layer; GraphModels have their own copy of the op, which
 * this cannot reach (their dilated `_FusedConv2D` nodes without an activation stay a GradientError).
 */
export function dilationFreeFusedConv2d(original: typeof tf.fused.conv2d): typeof tf.fused.conv2d {
  return ((args: FusedConv2dArgs) => {
    const [dh, dw] = pair(args.dilations ?? 1);
    const linear = (args.activation ?? 'linear') === 'linear';
    if ((dh > 1 || dw > 1) && linear && args.filter instanceof tf.Tensor && args.filter.rank === 4) {
      return original({ ...args, filter: dilateFilter(args.filter, dh, dw), dilations: [1, 1] });
    }
    return original(args);
  }) as typeof tf.fused.conv2d;
}
