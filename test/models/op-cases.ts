/**
 * One small GraphModel per op configuration, for the op-gradient tests: each case builds the nodes that
 * tfjs-converter writes for that op (same attributes and constant inputs) after a Placeholder `x` of
 * shape [-1, ...shape]. `ops` names the converter ops the case exercises.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, GraphWriter } from '../fixtures/graph-model';

/**
 * A case's graph as a GraphModel, its constants drawn from seeds that depend on the case alone (so every
 * backend sees the same), and freed once loaded.
 */
export async function buildCase(c: OpCase): Promise<{ model: tf.GraphModel; outputs: string[] }> {
  seed = 100 + [...c.label].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 100000, 0);
  made = [];
  const g = new GraphWriter();
  const outputs = c.build(g, g.placeholder('x', [-1, ...c.shape.slice(1)]));
  try {
    return { model: await g.build(), outputs };
  } finally {
    tf.dispose(made);
  }
}

export interface OpCase {
  ops: string[];
  label: string;
  /** One item's shape, batch first (1). */
  shape: number[];
  /** Adds the nodes after input `x`; returns the output node names (`name:i` for later outputs). */
  build(g: GraphWriter, x: string): string[];
  /** Input scale (values are ±(0.1 + |N(0,1)|)·scale). */
  scale?: number;
  /** Finite-difference step. */
  h?: number;
  /** The graph takes one item at a time (a fixed batch of 1): finite differences run item by item. */
  oneAtATime?: boolean;
}

/** Seeds restart at each case build (see `seeded`), so that every backend sees the same constants. */
let seed = 100;
/** The constants a case's build made (GraphWriter reads them at build and does not own them). */
let made: tf.Tensor[] = [];
const keep = (t: tf.Tensor) => (made.push(t), t);
const w = (g: GraphWriter, name: string, shape: number[], std = 0.5) => g.constant(name, keep(tf.randomNormal(shape, 0, std, 'float32', seed++)));
const pos = (g: GraphWriter, name: string, shape: number[]) => g.constant(name, keep(tf.tidy(() => tf.add(tf.abs(tf.randomNormal(shape, 0, 0.5, 'float32', seed++)), 0.5))));
const int = (g: GraphWriter, name: string, v: number[] | number, shape?: number[]) => g.constant(name, keep(tf.tensor(v, shape, 'int32')));
const scalar = (g: GraphWriter, name: string, v: number) => g.constant(name, keep(tf.scalar(v)));
const IMG = [1, 5, 5, 3];

/**
 * [batch, ...rest] as tfjs-converter writes a shape with a dynamic batch: Shape → StridedSlice (the
 * first entry) → Pack with the constant sizes. Exercises those shape-only nodes too.
 */
function batchShape(g: GraphWriter, x: string, rest: number[]): string {
  const shape = g.node('shape', 'Shape', [x], { out_type: attr.int32 });
  const n = g.node('batch', 'StridedSlice', [shape, int(g, 'b0', [0]), int(g, 'b1', [1]), int(g, 'b2', [1])], {
    T: attr.int32, Index: attr.int32, begin_mask: attr.int(0), end_mask: attr.int(0), ellipsis_mask: attr.int(0), new_axis_mask: attr.int(0), shrink_axis_mask: attr.int(1) });
  return g.node('packed', 'Pack', [n, ...rest.map((d, i) => int(g, `dim${i}`, d, []))], { T: attr.int32, N: attr.int(rest.length + 1), axis: attr.int(0) });
}
const S1 = attr.ints([1, 1, 1, 1]);
const S2 = attr.ints([1, 2, 2, 1]);
const SAME = attr.str('SAME');
const VALID = attr.str('VALID');
const NHWC = attr.str('NHWC');

const conv = (name: string, strides: ReturnType<typeof attr.ints>, padding: ReturnType<typeof attr.str>, dilations = S1) =>
  ({ strides, padding, data_format: NHWC, dilations, use_cudnn_on_gpu: attr.bool(true) });

const unary = (op: string, scale?: number, extra: Record<string, unknown> = {}): OpCase =>
  ({ ops: [op], label: op, shape: IMG, scale, build: (g, x) => [g.node('y', op, [x], extra)] });
const binary = (op: string, other: 'weights' | 'positive' = 'weights'): OpCase => ({
  ops: [op], label: `${op} (broadcast per channel)`, shape: IMG,
  build: (g, x) => [g.node('y', op, [x, other === 'positive' ? pos(g, 'b', [3]) : w(g, 'b', [3])])],
});

/** Fused activations tfjs-converter writes into _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul. */
const FUSED_ACTIVATIONS = ['', 'Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Prelu', 'Sigmoid'];
/**
 * Depthwise: TensorFlow's remapper fuses no LeakyRelu into depthwise convolutions and tfjs-converter's op
 * list reads no `leakyrelu_alpha` for them (the forward kernel then runs without one).
 */
const DEPTHWISE_ACTIVATIONS = FUSED_ACTIVATIONS.filter((a) => a !== 'LeakyRelu');

function fusedArgs(g: GraphWriter, act: string, channels: number): string[] {
  const bias = w(g, `bias_${act || 'none'}`, [channels]);
  return act === 'Prelu' ? [bias, w(g, 'alpha', [channels], 0.2)] : [bias];
}

export const OP_CASES: OpCase[] = [
  // Convolutions and pooling
  { ops: ['Conv2D'], label: 'Conv2D 3×3 stride 2 same', shape: IMG, build: (g, x) => [g.node('y', 'Conv2D', [x, w(g, 'k', [3, 3, 3, 4])], conv('', S2, SAME))] },
  { ops: ['Conv2D'], label: 'Conv2D 2×2 valid', shape: IMG, build: (g, x) => [g.node('y', 'Conv2D', [x, w(g, 'k', [2, 2, 3, 2])], conv('', S1, VALID))] },
  { ops: ['Conv2D'], label: 'Conv2D 3×3 dilation 2 same (atrous)', shape: [1, 6, 6, 2], build: (g, x) => [g.node('y', 'Conv2D', [x, w(g, 'k', [3, 3, 2, 3])], conv('', S1, SAME, attr.ints([1, 2, 2, 1])))] },
  { ops: ['Conv1D'], label: 'Conv1D', shape: [1, 8, 3], build: (g, x) => [g.node('y', 'Conv1D', [x, w(g, 'k', [3, 3, 2])], { stride: attr.int(1), padding: SAME, data_format: attr.str('NWC'), dilation: attr.int(1) })] },
  ...FUSED_ACTIVATIONS.map((act): OpCase => ({
    ops: ['_FusedConv2D'], label: `_FusedConv2D BiasAdd${act ? ` + ${act}` : ''}`, shape: IMG,
    build: (g, x) => {
      const args = fusedArgs(g, act, 4);
      return [g.node('y', '_FusedConv2D', [x, w(g, 'k', [3, 3, 3, 4]), ...args], {
        ...conv('', S2, SAME), num_args: attr.int(args.length), fused_ops: attr.strs(act ? ['BiasAdd', act] : ['BiasAdd']), leakyrelu_alpha: attr.f(0.2), epsilon: attr.f(0),
      })];
    },
  })),
  { ops: ['_FusedConv2D'], label: '_FusedConv2D dilation 2 + Relu', shape: [1, 6, 6, 2], build: (g, x) => [g.node('y', '_FusedConv2D', [x, w(g, 'k', [3, 3, 2, 3]), w(g, 'b', [3])], {
    ...conv('', S1, SAME, attr.ints([1, 2, 2, 1])), num_args: attr.int(1), fused_ops: attr.strs(['BiasAdd', 'Relu']) })] },
  { ops: ['DepthwiseConv2dNative'], label: 'DepthwiseConv2dNative 3×3 stride 2 same, multiplier 2', shape: IMG, build: (g, x) => [g.node('y', 'DepthwiseConv2dNative', [x, w(g, 'k', [3, 3, 3, 2])], conv('', S2, SAME))] },
  { ops: ['DepthwiseConv2dNative'], label: 'DepthwiseConv2dNative 3×3 stride 1 valid', shape: IMG, build: (g, x) => [g.node('y', 'DepthwiseConv2dNative', [x, w(g, 'k', [3, 3, 3, 1])], conv('', S1, VALID))] },
  { ops: ['DepthwiseConv2dNative'], label: 'DepthwiseConv2dNative 5×5 stride 2 same (EfficientNet)', shape: [1, 7, 7, 2], build: (g, x) => [g.node('y', 'DepthwiseConv2dNative', [x, w(g, 'k', [5, 5, 2, 1])], conv('', S2, SAME))] },
  { ops: ['DepthwiseConv2dNative'], label: 'DepthwiseConv2dNative dilation 2', shape: [1, 6, 6, 2], build: (g, x) => [g.node('y', 'DepthwiseConv2dNative', [x, w(g, 'k', [3, 3, 2, 1])], conv('', S1, SAME, attr.ints([1, 2, 2, 1])))] },
  { ops: ['DepthwiseConv2d'], label: 'DepthwiseConv2d', shape: IMG, build: (g, x) => [g.node('y', 'DepthwiseConv2d', [x, w(g, 'k', [3, 3, 3, 1])], conv('', S1, SAME))] },
  ...DEPTHWISE_ACTIVATIONS.map((act): OpCase => ({
    ops: ['FusedDepthwiseConv2dNative'], label: `FusedDepthwiseConv2dNative BiasAdd${act ? ` + ${act}` : ''}`, shape: IMG,
    build: (g, x) => {
      const args = fusedArgs(g, act, 3);
      return [g.node('y', 'FusedDepthwiseConv2dNative', [x, w(g, 'k', [3, 3, 3, 1]), ...args], {
        ...conv('', S2, SAME), num_args: attr.int(args.length), fused_ops: attr.strs(act ? ['BiasAdd', act] : ['BiasAdd']), leakyrelu_alpha: attr.f(0.2),
      })];
    },
  })),
  { ops: ['Conv2DBackpropInput'], label: 'Conv2DBackpropInput (transposed conv) stride 2 same', shape: [1, 3, 3, 4],
    build: (g, x) => [g.node('y', 'Conv2DBackpropInput', [batchShape(g, x, [6, 6, 2]), w(g, 'k', [3, 3, 2, 4]), x], { strides: S2, padding: SAME, data_format: NHWC })] },
  { ops: ['Conv3D'], label: 'Conv3D', shape: [1, 4, 4, 3, 2], build: (g, x) => [g.node('y', 'Conv3D', [x, w(g, 'k', [2, 2, 2, 2, 3])], { strides: attr.ints([1, 1, 1, 1, 1]), padding: SAME, data_format: attr.str('NDHWC'), dilations: attr.ints([1, 1, 1, 1, 1]) })] },
  { ops: ['AvgPool'], label: 'AvgPool 3×3 stride 2 same', shape: IMG, build: (g, x) => [g.node('y', 'AvgPool', [x], { ksize: attr.ints([1, 3, 3, 1]), strides: S2, padding: SAME, data_format: NHWC })] },
  { ops: ['MaxPool'], label: 'MaxPool 3×3 stride 2 same', shape: IMG, build: (g, x) => [g.node('y', 'MaxPool', [x], { ksize: attr.ints([1, 3, 3, 1]), strides: S2, padding: SAME, data_format: NHWC })] },
  { ops: ['MaxPool'], label: 'MaxPool 2×2 stride 2 valid', shape: [1, 4, 4, 3], build: (g, x) => [g.node('y', 'MaxPool', [x], { ksize: attr.ints([1, 2, 2, 1]), strides: S2, padding: VALID, data_format: NHWC })] },
  { ops: ['AvgPool3D', 'MaxPool3D'], label: 'AvgPool3D, MaxPool3D', shape: [1, 4, 4, 4, 2], build: (g, x) => {
    const k = { ksize: attr.ints([1, 2, 2, 2, 1]), strides: attr.ints([1, 2, 2, 2, 1]), padding: VALID, data_format: attr.str('NDHWC') };
    return [g.node('a', 'AvgPool3D', [x], k), g.node('m', 'MaxPool3D', [x], k)];
  } },
  { ops: ['Dilation2D'], label: 'Dilation2D', shape: IMG, build: (g, x) => [g.node('y', 'Dilation2D', [x, w(g, 'k', [2, 2, 3])], { strides: S1, rates: S1, padding: SAME })] },
  // Matrix products
  { ops: ['MatMul'], label: 'MatMul', shape: [1, 6], build: (g, x) => [g.node('y', 'MatMul', [x, w(g, 'k', [6, 4])], { transpose_a: attr.bool(false), transpose_b: attr.bool(false) })] },
  { ops: ['MatMul'], label: 'MatMul transpose_b', shape: [1, 6], build: (g, x) => [g.node('y', 'MatMul', [x, w(g, 'k', [4, 6])], { transpose_a: attr.bool(false), transpose_b: attr.bool(true) })] },
  { ops: ['BatchMatMul', 'BatchMatMulV2'], label: 'BatchMatMul(V2) broadcast', shape: [1, 3, 4], build: (g, x) => [
    g.node('a', 'BatchMatMulV2', [x, w(g, 'k', [1, 4, 2])], { adj_x: attr.bool(false), adj_y: attr.bool(false) }),
    g.node('b', 'BatchMatMul', [x, w(g, 'k2', [1, 4, 3])], { adj_x: attr.bool(false), adj_y: attr.bool(false) }),
  ] },
  ...['', 'Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Prelu', 'Sigmoid'].map((act): OpCase => ({
    ops: ['_FusedMatMul'], label: `_FusedMatMul BiasAdd${act ? ` + ${act}` : ''}`, shape: [1, 6],
    build: (g, x) => {
      const args = fusedArgs(g, act, 4);
      return [g.node('y', '_FusedMatMul', [x, w(g, 'k', [6, 4]), ...args], {
        num_args: attr.int(args.length), fused_ops: attr.strs(act ? ['BiasAdd', act] : ['BiasAdd']), transpose_a: attr.bool(false), transpose_b: attr.bool(false), leakyrelu_alpha: attr.f(0.2), epsilon: attr.f(0),
      })];
    },
  })),
  { ops: ['Einsum'], label: 'Einsum bhwc,cd->bhwd', shape: [1, 3, 3, 4], build: (g, x) => [g.node('y', 'Einsum', [x, w(g, 'k', [4, 2])], { equation: attr.str('bhwc,cd->bhwd'), N: attr.int(2) })] },
  { ops: ['Einsum'], label: 'Einsum bi,bi->b (both operands from x)', shape: [1, 6], build: (g, x) => [g.node('y', 'Einsum', [x, g.node('s', 'Sin', [x])], { equation: attr.str('bi,bi->b'), N: attr.int(2) })] },
  { ops: ['Einsum'], label: 'Einsum bij->bj (a summed index)', shape: [1, 3, 4], build: (g, x) => [g.node('y', 'Einsum', [x], { equation: attr.str('bij->bj'), N: attr.int(1) })] },
  { ops: ['MatrixBandPart'], label: 'MatrixBandPart', shape: [1, 4, 4], build: (g, x) => [g.node('y', 'MatrixBandPart', [x, int(g, 'lo', 1, []), int(g, 'hi', 1, [])], { Tindex: attr.int32 })] },
  // Normalization, softmax
  ...['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'].map((op): OpCase => ({
    ops: [op], label: op, shape: IMG,
    build: (g, x) => [g.node('y', op, [x, w(g, 'scale', [3]), w(g, 'offset', [3]), w(g, 'mean', [3]), pos(g, 'var', [3])], { epsilon: attr.f(0.001), data_format: NHWC, is_training: attr.bool(false) })],
  })),
  { ops: ['LRN'], label: 'LRN', shape: IMG, build: (g, x) => [g.node('y', 'LRN', [x], { depth_radius: attr.int(1), bias: attr.f(1), alpha: attr.f(0.5), beta: attr.f(0.75) })] },
  { ops: ['EuclideanNorm'], label: 'EuclideanNorm over channels', shape: IMG, build: (g, x) => [g.node('y', 'EuclideanNorm', [x, int(g, 'axes', [3])], { keep_dims: attr.bool(true), Tidx: attr.int32 })] },
  unary('Softmax'), unary('LogSoftmax'),
  // Activations and elementwise math
  unary('Relu'), { ...unary('Relu6', 4), label: 'Relu6 (inputs beyond 6 too)' }, unary('Elu'), unary('Selu'), unary('Sigmoid'), unary('Tanh'), unary('Softplus'),
  { ...unary('LeakyRelu', 1, { alpha: attr.f(0.1) }) },
  { ops: ['Prelu'], label: 'Prelu', shape: IMG, build: (g, x) => [g.node('y', 'Prelu', [x, w(g, 'alpha', [3], 0.2)])] },
  { ops: ['Sigmoid', 'Mul'], label: 'swish: x · sigmoid(x)', shape: IMG, build: (g, x) => [g.node('y', 'Mul', [x, g.node('s', 'Sigmoid', [x])])] },
  { ops: ['Relu6', 'AddV2', 'Mul'], label: 'hard-swish: x · relu6(x + 3) / 6', shape: IMG, scale: 2, build: (g, x) => {
    const r = g.node('r', 'Relu6', [g.node('p', 'AddV2', [x, scalar(g, 'three', 3)])]);
    return [g.node('y', 'Mul', [x, g.node('q', 'Mul', [r, scalar(g, 'sixth', 1 / 6)])])];
  } },
  ...['Abs', 'Neg', 'Exp', 'Square', 'Erf', 'Sin', 'Cos', 'Tan', 'Sinh', 'Cosh', 'Atan', 'Asinh', 'Sign', 'Round', 'Floor', 'Ceil'].map((op) => unary(op, op === 'Exp' || op === 'Sinh' || op === 'Cosh' ? 0.5 : 1)),
  ...['Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Expm1', 'Asin', 'Acos', 'Atanh', 'Acosh'].map((op): OpCase => ({
    ops: [op], label: `${op} (on a valid range)`, shape: IMG,
    // abs keeps the input in each function's domain: |x| ∈ [0.1, ~3]; scaled for the (−1, 1) ones, shifted for acosh.
    build: (g, x) => {
      let v = g.node('a', 'Abs', [x]);
      if (op === 'Asin' || op === 'Acos' || op === 'Atanh') v = g.node('t', 'Tanh', [v]);
      if (op === 'Acosh') v = g.node('t', 'AddV2', [v, scalar(g, 'one', 1.2)]);
      return [g.node('y', op, [v])];
    },
  })),
  { ops: ['Atan2'], label: 'Atan2', shape: IMG, build: (g, x) => [g.node('y', 'Atan2', [x, pos(g, 'b', [3])])] },
  { ops: ['ClipByValue'], label: 'ClipByValue', shape: IMG, build: (g, x) => [g.node('y', 'ClipByValue', [x, scalar(g, 'lo', -0.5), scalar(g, 'hi', 0.7)])] },
  { ops: ['IsNan', 'IsFinite', 'IsInf', 'Select', 'SelectV2'], label: 'IsNan / IsFinite / IsInf masks through Select(V2)', shape: IMG, build: (g, x) => [
    g.node('a', 'Select', [g.node('n', 'IsNan', [x]), g.node('z', 'ZerosLike', [x]), x]),
    g.node('b', 'SelectV2', [g.node('f', 'IsFinite', [x]), x, g.node('z2', 'ZerosLike', [x])]),
    g.node('c', 'SelectV2', [g.node('i', 'IsInf', [x]), g.node('z3', 'ZerosLike', [x]), g.node('sq', 'Square', [x])]),
  ] },
  // Arithmetic
  ...['Add', 'AddV2', 'BiasAdd', 'Sub', 'Mul', 'Maximum', 'Minimum', 'SquaredDifference'].map((op) => binary(op)),
  ...['RealDiv', 'Div', 'DivNoNan', 'FloorDiv', 'Mod', 'FloorMod'].map((op) => binary(op, 'positive')),
  { ops: ['Pow'], label: 'Pow', shape: IMG, build: (g, x) => [g.node('y', 'Pow', [g.node('a', 'Abs', [x]), pos(g, 'p', [3])])] },
  { ops: ['AddN'], label: 'AddN', shape: IMG, build: (g, x) => [g.node('y', 'AddN', [x, g.node('s', 'Square', [x]), x], { N: attr.int(3) })] },
  ...['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual'].map((op): OpCase => ({
    ops: [op, 'Cast'], label: `${op} mask · x`, shape: IMG,
    build: (g, x) => [g.node('y', 'Mul', [x, g.node('m', 'Cast', [g.node('c', op, [x, w(g, 'b', [3])])], { SrcT: attr.boolean, DstT: attr.float })])],
  })),
  { ops: ['LogicalAnd', 'LogicalOr', 'LogicalNot'], label: 'LogicalAnd / LogicalOr / LogicalNot masks · x', shape: IMG, build: (g, x) => {
    const a = g.node('ga', 'Greater', [x, scalar(g, 'z', 0)]);
    const b = g.node('lb', 'Less', [x, scalar(g, 'h', 0.8)]);
    const m = g.node('m', 'LogicalOr', [g.node('and', 'LogicalAnd', [a, b]), g.node('not', 'LogicalNot', [a])]);
    return [g.node('y', 'Mul', [x, g.node('f', 'Cast', [m], { SrcT: attr.boolean, DstT: attr.float })])];
  } },
  // Reductions
  ...['Mean', 'Sum', 'Max', 'Min', 'Prod'].map((op): OpCase => ({
    ops: [op], label: `${op} over space`, shape: IMG, build: (g, x) => [g.node('y', op, [x, int(g, 'axes', [1, 2])], { keep_dims: attr.bool(false), Tidx: attr.int32 })],
  })),
  { ops: ['Mean'], label: 'Mean over channels, keep_dims', shape: IMG, build: (g, x) => [g.node('y', 'Mean', [x, int(g, 'axes', [3])], { keep_dims: attr.bool(true), Tidx: attr.int32 })] },
  { ops: ['All', 'Any'], label: 'All / Any masks · x', shape: IMG, build: (g, x) => {
    const pos0 = g.node('p', 'Greater', [x, scalar(g, 'z', 0)]);
    const all = g.node('all', 'All', [pos0, int(g, 'axes', [3])], { keep_dims: attr.bool(true), Tidx: attr.int32 });
    const any = g.node('any', 'Any', [pos0, int(g, 'axes2', [3])], { keep_dims: attr.bool(true), Tidx: attr.int32 });
    const m = g.node('m', 'LogicalOr', [all, any]);
    return [g.node('y', 'Mul', [x, g.node('f', 'Cast', [m], { SrcT: attr.boolean, DstT: attr.float })])];
  } },
  ...[1, 3].map((axis): OpCase => ({
    ops: ['Cumsum'], label: `Cumsum axis ${axis} (reverse, exclusive)`, shape: IMG,
    build: (g, x) => [g.node('y', 'Cumsum', [x, int(g, 'axis', axis, [])], { exclusive: attr.bool(axis === 3), reverse: attr.bool(axis === 1), Tidx: attr.int32 })],
  })),
  // Slicing, joining, shapes
  { ops: ['StridedSlice'], label: 'StridedSlice x[:, 1:5:2, :, 1::2]', shape: IMG, build: (g, x) => [g.node('y', 'StridedSlice', [x, int(g, 'b', [0, 1, 0, 1]), int(g, 'e', [0, 5, 0, 0]), int(g, 's', [1, 2, 1, 2])], {
    begin_mask: attr.int(0b0101), end_mask: attr.int(0b1101), ellipsis_mask: attr.int(0), new_axis_mask: attr.int(0), shrink_axis_mask: attr.int(0), Index: attr.int32 })] },
  { ops: ['StridedSlice'], label: 'StridedSlice x[..., 2] (ellipsis, shrink)', shape: IMG, build: (g, x) => [g.node('y', 'StridedSlice', [x, int(g, 'b', [0, 2]), int(g, 'e', [0, 3]), int(g, 's', [1, 1])], {
    begin_mask: attr.int(0), end_mask: attr.int(0), ellipsis_mask: attr.int(1), new_axis_mask: attr.int(0), shrink_axis_mask: attr.int(2), Index: attr.int32 })] },
  { ops: ['StridedSlice'], label: 'StridedSlice x[:, ::-1, 3:0:-2] (negative strides)', shape: IMG, build: (g, x) => [g.node('y', 'StridedSlice', [x, int(g, 'b', [0, 0, 3]), int(g, 'e', [0, 0, 0]), int(g, 's', [1, -1, -2])], {
    begin_mask: attr.int(0b011), end_mask: attr.int(0b011), ellipsis_mask: attr.int(0), new_axis_mask: attr.int(0), shrink_axis_mask: attr.int(0), Index: attr.int32 })] },
  { ops: ['StridedSlice'], label: 'StridedSlice x[:, tf.newaxis, 1:3] (new axis)', shape: IMG, build: (g, x) => [g.node('y', 'StridedSlice', [x, int(g, 'b', [0, 0, 1]), int(g, 'e', [0, 0, 3]), int(g, 's', [1, 1, 1])], {
    begin_mask: attr.int(0b001), end_mask: attr.int(0b001), ellipsis_mask: attr.int(0), new_axis_mask: attr.int(0b010), shrink_axis_mask: attr.int(0), Index: attr.int32 })] },
  { ops: ['Slice'], label: 'Slice', shape: IMG, build: (g, x) => [g.node('y', 'Slice', [x, int(g, 'b', [0, 1, 0, 1]), int(g, 's', [-1, 3, 4, 2])], { Index: attr.int32 })] },
  { ops: ['ConcatV2'], label: 'ConcatV2 on channels', shape: IMG, build: (g, x) => [g.node('y', 'ConcatV2', [x, g.node('s', 'Square', [x]), int(g, 'axis', 3, [])], { N: attr.int(2), Tidx: attr.int32 })] },
  { ops: ['Concat'], label: 'Concat on rows', shape: IMG, build: (g, x) => [g.node('y', 'Concat', [int(g, 'axis', 1, []), x, g.node('s', 'Square', [x])], { N: attr.int(2) })] },
  { ops: ['Split'], label: 'Split channels in 3', shape: IMG, build: (g, x) => { g.node('y', 'Split', [int(g, 'axis', 3, []), x], { num_split: attr.int(3) }); return ['y', 'y:1', 'y:2']; } },
  { ops: ['SplitV'], label: 'SplitV [1, 2]', shape: IMG, build: (g, x) => { g.node('y', 'SplitV', [x, int(g, 'sizes', [1, 2]), int(g, 'axis', 3, [])], { num_split: attr.int(2), Tlen: attr.int32 }); return ['y', 'y:1']; } },
  { ops: ['Pack'], label: 'Pack on axis 1', shape: IMG, build: (g, x) => [g.node('y', 'Pack', [x, g.node('s', 'Square', [x])], { N: attr.int(2), axis: attr.int(1) })] },
  { ops: ['Unpack'], label: 'Unpack a single-entry axis', shape: [1, 1, 4, 3], build: (g, x) => [g.node('y', 'Unpack', [x], { num: attr.int(1), axis: attr.int(1) })] },
  { ops: ['Split'], label: 'Split in one piece', shape: IMG, build: (g, x) => [g.node('y', 'Split', [int(g, 'axis', 3, []), x], { num_split: attr.int(1) })] },
  { ops: ['Unpack'], label: 'Unpack axis 3', shape: IMG, build: (g, x) => { g.node('y', 'Unpack', [x], { num: attr.int(3), axis: attr.int(3) }); return ['y', 'y:1', 'y:2']; } },
  { ops: ['Tile'], label: 'Tile', shape: IMG, build: (g, x) => [g.node('y', 'Tile', [x, int(g, 'reps', [1, 2, 1, 2])], { Tmultiples: attr.int32 })] },
  { ops: ['GatherV2'], label: 'GatherV2 channels [2, 0, 0]', shape: IMG, build: (g, x) => [g.node('y', 'GatherV2', [x, int(g, 'idx', [2, 0, 0]), int(g, 'axis', 3, [])], { batch_dims: attr.int(0), Tindices: attr.int32, Tparams: attr.float })] },
  { ops: ['Gather'], label: 'Gather rows (axis 0 of a transposed view)', shape: [1, 4, 3], build: (g, x) => {
    const t = g.node('t', 'Transpose', [x, int(g, 'perm', [1, 0, 2])], { Tperm: attr.int32 });
    const gathered = g.node('gt', 'Gather', [t, int(g, 'idx', [3, 1, 1])], { Tindices: attr.int32, Tparams: attr.float });
    return [g.node('y', 'Transpose', [gathered, int(g, 'perm2', [1, 0, 2])], { Tperm: attr.int32 })];
  } },
  { ops: ['GatherNd'], label: 'GatherNd (on a batch-last view)', shape: [1, 4, 3], build: (g, x) => {
    const t = g.node('t', 'Transpose', [x, int(g, 'perm', [1, 2, 0])], { Tperm: attr.int32 });
    const gathered = g.node('gn', 'GatherNd', [t, int(g, 'idx', [1, 0, 3, 2, 1, 0], [3, 2])], { Tindices: attr.int32, Tparams: attr.float });
    return [g.node('y', 'Transpose', [gathered, int(g, 'perm2', [1, 0])], { Tperm: attr.int32 })];
  } },
  { ops: ['Reverse', 'ReverseV2'], label: 'Reverse, ReverseV2', shape: IMG, build: (g, x) => [
    g.node('a', 'ReverseV2', [x, int(g, 'axis', [1, 3])], { Tidx: attr.int32 }),
    g.node('b', 'Reverse', [x, g.constant('dims', keep(tf.tensor1d([false, false, true, false], 'bool')))]),
  ] },
  { ops: ['Transpose'], label: 'Transpose', shape: IMG, build: (g, x) => [g.node('y', 'Transpose', [x, int(g, 'perm', [0, 3, 1, 2])], { Tperm: attr.int32 })] },
  { ops: ['EnsureShape'], label: 'EnsureShape (a fixed batch)', shape: IMG, oneAtATime: true, build: (g, x) => [g.node('y', 'EnsureShape', [x, int(g, 'shape', IMG)])] },
  { ops: ['Reshape', 'ExpandDims', 'Squeeze'], label: 'Reshape, ExpandDims, Squeeze', shape: IMG, build: (g, x) => {
    const e = g.node('e', 'ExpandDims', [x, int(g, 'ax', 1, [])], { Tdim: attr.int32 });
    const s = g.node('s', 'Squeeze', [e], { squeeze_dims: attr.ints([1]) });
    return [g.node('r', 'Reshape', [s, int(g, 'shape', [-1, 25, 3])], { Tshape: attr.int32 })];
  } },
  { ops: ['Pad', 'PadV2'], label: 'Pad, PadV2', shape: IMG, build: (g, x) => [
    g.node('a', 'Pad', [x, int(g, 'p', [0, 0, 1, 2, 2, 1, 0, 0], [4, 2])], { Tpaddings: attr.int32 }),
    g.node('b', 'PadV2', [x, int(g, 'p2', [0, 0, 0, 1, 1, 0, 0, 1], [4, 2]), scalar(g, 'cv', 0.5)], { Tpaddings: attr.int32 }),
  ] },
  ...['REFLECT', 'SYMMETRIC'].map((mode): OpCase => ({
    ops: ['MirrorPad'], label: `MirrorPad ${mode}`, shape: IMG,
    build: (g, x) => [g.node('y', 'MirrorPad', [x, int(g, 'p', [0, 0, 1, 2, 2, 1, 0, 0], [4, 2])], { mode: attr.str(mode), Tpaddings: attr.int32 })],
  })),
  { ops: ['SpaceToBatchND', 'BatchToSpaceND'], label: 'SpaceToBatchND → Conv2D → BatchToSpaceND (atrous, as TensorFlow lowers it)', shape: [1, 6, 6, 2], build: (g, x) => {
    const s2b = g.node('s2b', 'SpaceToBatchND', [x, int(g, 'block', [2, 2]), int(g, 'pads', [2, 2, 2, 2], [2, 2])], { Tblock_shape: attr.int32, Tpaddings: attr.int32 });
    const c = g.node('c', 'Conv2D', [s2b, w(g, 'k', [3, 3, 2, 3])], conv('', S1, VALID));
    return [g.node('y', 'BatchToSpaceND', [c, int(g, 'block2', [2, 2]), int(g, 'crops', [0, 0, 0, 0], [2, 2])], { Tblock_shape: attr.int32, Tcrops: attr.int32 })];
  } },
  { ops: ['DepthToSpace'], label: 'DepthToSpace block 2', shape: [1, 3, 3, 8], build: (g, x) => [g.node('y', 'DepthToSpace', [x], { block_size: attr.int(2), data_format: NHWC })] },
  { ops: ['BroadcastTo'], label: 'BroadcastTo', shape: [1, 1, 4, 3], build: (g, x) => [g.node('y', 'BroadcastTo', [x, batchShape(g, x, [3, 4, 3])], { Tidx: attr.int32 })] },
  { ops: ['Cast'], label: 'Cast float → float', shape: IMG, build: (g, x) => [g.node('y', 'Cast', [x], { SrcT: attr.float, DstT: attr.float })] },
  { ops: ['Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'FakeQuantWithMinMaxVars'], label: 'pass-through nodes', shape: IMG, build: (g, x) => {
    const i = g.node('i', 'Identity', [x]);
    const n = g.node('n', 'IdentityN', [i, x], { T: { list: { type: ['DT_FLOAT', 'DT_FLOAT'] } } });
    const s = g.node('s', 'Snapshot', [n]);
    const sg = g.node('sg', 'StopGradient', [s]);
    return [g.node('fq', 'FakeQuantWithMinMaxVars', [sg], { min: attr.f(-6), max: attr.f(6) })];
  } },
  // Images
  ...[[false, false], [true, false], [false, true]].map(([ac, hp]): OpCase => ({
    ops: ['ResizeBilinear'], label: `ResizeBilinear 5→8×9${ac ? ' align_corners' : ''}${hp ? ' half_pixel_centers' : ''}`, shape: IMG,
    build: (g, x) => [g.node('y', 'ResizeBilinear', [x, int(g, 'size', [8, 9])], { align_corners: attr.bool(ac), half_pixel_centers: attr.bool(hp) })],
  })),
  ...[[false, false], [true, false], [false, true]].map(([ac, hp]): OpCase => ({
    ops: ['ResizeNearestNeighbor'], label: `ResizeNearestNeighbor 5→8×11${ac ? ' align_corners' : ''}${hp ? ' half_pixel_centers' : ''}`, shape: IMG,
    build: (g, x) => [g.node('y', 'ResizeNearestNeighbor', [x, int(g, 'size', [8, 11])], { align_corners: attr.bool(ac), half_pixel_centers: attr.bool(hp) })],
  })),
];

/** Cases for ops without a gradient: the gradient must fail with a GradientError naming the node. */
export const NO_GRADIENT_CASES: OpCase[] = [
  { ops: ['MaxPoolWithArgmax'], label: 'MaxPoolWithArgmax', shape: IMG, build: (g, x) => { g.node('y', 'MaxPoolWithArgmax', [x], { ksize: attr.ints([1, 2, 2, 1]), strides: S2, padding: VALID, include_batch_in_index: attr.bool(false) }); return ['y']; } },
  { ops: ['Cumprod'], label: 'Cumprod', shape: IMG, build: (g, x) => [g.node('y', 'Cumprod', [x, int(g, 'axis', 3, [])], { exclusive: attr.bool(false), reverse: attr.bool(false), Tidx: attr.int32 })] },
  { ops: ['TopKV2'], label: 'TopKV2', shape: [1, 6], build: (g, x) => { g.node('y', 'TopKV2', [x, int(g, 'k', 2, [])], { sorted: attr.bool(true) }); return ['y']; } },
  { ops: ['CropAndResize'], label: 'CropAndResize', shape: IMG, build: (g, x) => [g.node('y', 'CropAndResize', [x, g.constant('boxes', keep(tf.tensor2d([[0.1, 0.1, 0.9, 0.8]]))), int(g, 'ind', [0]), int(g, 'size', [3, 3])], { method: attr.str('bilinear'), extrapolation_value: attr.f(0) })] },
  { ops: ['ImageProjectiveTransformV3'], label: 'ImageProjectiveTransformV3', shape: IMG, build: (g, x) => [g.node('y', 'ImageProjectiveTransformV3', [x, g.constant('tr', keep(tf.tensor2d([[1, 0.1, 0, 0.1, 1, 0, 0, 0]]))), int(g, 'os', [5, 5]), scalar(g, 'fill', 0)], {
    interpolation: attr.str('BILINEAR'), fill_mode: attr.str('CONSTANT'), dtype: attr.float })] },
  { ops: ['TensorScatterUpdate'], label: 'TensorScatterUpdate', shape: [1, 4], build: (g, x) => [g.node('y', 'TensorScatterUpdate', [x, int(g, 'idx', [0, 1], [1, 2]), g.node('v', 'Mean', [x, int(g, 'ax', [1])], { keep_dims: attr.bool(false), Tidx: attr.int32 })], { Tindices: attr.int32 })] },
  { ops: ['ScatterNd'], label: 'ScatterNd', shape: [1, 3], build: (g, x) => [g.node('y', 'ScatterNd', [int(g, 'idx', [1], [1, 1]), x, int(g, 'shape', [2, 3])], { Tindices: attr.int32 })] },
  { ops: ['SparseToDense'], label: 'SparseToDense', shape: [3], build: (g, x) => [g.node('y', 'SparseToDense', [int(g, 'idx', [0, 2, 5], [3]), int(g, 'shape', [6]), x, scalar(g, 'dflt', 0)], { Tindices: attr.int32, validate_indices: attr.bool(true) })] },
];
