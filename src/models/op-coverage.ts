/**
 * Which ops and layers saliency-lab can take gradients through, and where each gradient comes from: the
 * one list behind the README's op table (`scripts/op-table.js` writes it), the tests that check every
 * listed gradient on every listed backend (test/models/op-gradients.test.ts: each GraphModel op and
 * Keras layer class here against finite differences), and the GradientError a user sees for the rest.
 *
 * Every op tfjs-converter maps to (its op list) and every layer class tfjs-layers can load is either in
 * `OP_COVERAGE` or in `OUT_OF_SCOPE` with the reason; a test checks that against tfjs's own lists.
 */
import type { GradientFailure } from '../errors';
import { GraphIndex } from './graph';
import { kerasLayers } from './keras';
import { isGraphModel, isLayersModel } from './kind';

/**
 * - `tfjs`: tfjs's own gradient, unchanged, works on the backends listed.
 * - `saliency-lab`: saliency-lab's rule or kernel (in place only while it takes gradients).
 * - `not needed`: no float input reaches the output through it differentiably (shapes, constants,
 *   integer ops), or it passes its input through unchanged.
 * - `none`: no gradient: a GradientError names it (occlusion and Score-CAM still work).
 */
export type GradientSource = 'tfjs' | 'saliency-lab' | 'not needed' | 'none';

export type TestedBackend = 'cpu' | 'wasm';

export interface OpCoverage {
  /** GraphModel ops (tfjs-converter's names). */
  ops: string[];
  /** tfjs-layers classes that run it (and activations, as `activation:name`). */
  layers: string[];
  /** tfjs kernels involved: the forward kernel and any kernel its gradient needs. */
  kernels: string[];
  gradient: GradientSource;
  /** Backends on which the tests check the gradient (where it works). */
  backends: TestedBackend[];
  /** What saliency-lab does, or why there is no gradient. */
  note: string;
}

const BOTH: TestedBackend[] = ['cpu', 'wasm'];

const row = (ops: string[], layers: string[], kernels: string[], gradient: GradientSource, note = '', backends: TestedBackend[] = BOTH): OpCoverage =>
  ({ ops, layers, kernels, gradient, backends: gradient === 'none' || gradient === 'not needed' ? [] : backends, note });

export const OP_COVERAGE: readonly OpCoverage[] = [
  // Convolutions and pooling
  row(['Conv2D', 'Conv1D'], ['Conv2D', 'Conv1D'], ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], 'saliency-lab',
    'tfjs\'s rule; dilations > 1 (atrous) by saliency-lab (tfjs refuses them); input gradient on wasm through the forward convolution (fast-kernels.ts); filter gradient skipped'),
  row(['_FusedConv2D'], [], ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], 'saliency-lab',
    'every fused activation (tfjs runs a fused nonlinearity unfused under gradients); filter gradient skipped. A dilated node without an activation stays a GradientError (tfjs\'s fused gradient refuses dilations and GraphModels carry their own copy of the op)'),
  row(['DepthwiseConv2d', 'DepthwiseConv2dNative'], ['DepthwiseConv2D', 'SeparableConv2D'], ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'], 'saliency-lab',
    'input gradient as a forward depthwise convolution of the dilated, padded output gradient with the flipped filter (wasm has no kernel; dilations supported on both)'),
  row(['FusedDepthwiseConv2dNative'], [], ['FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'], 'saliency-lab',
    'as DepthwiseConv2dNative, with every fused activation; a dilated node without an activation stays a GradientError'),
  row(['Conv2DBackpropInput'], ['Conv2DTranspose'], ['Conv2DBackpropInput', 'Conv2D', 'Conv2DBackpropFilter'], 'tfjs', 'transposed convolution: its input gradient is a forward convolution'),
  row(['Conv3D'], ['Conv3D'], ['Conv3D', 'Conv3DBackpropInputV2'], 'saliency-lab', 'tfjs\'s rule; on wasm its input-gradient kernel by saliency-lab (wasm\'s own gives wrong numbers)'),
  row([], ['Conv3DTranspose'], ['Conv3DBackpropInputV2', 'Conv3D'], 'saliency-lab',
    'a forward 3-D convolution (tfjs has no rule); tested on cpu only: tfjs-backend-wasm\'s Conv3DBackpropInputV2 kernel, this layer\'s forward pass, gives wrong numbers', ['cpu']),
  row(['AvgPool'], ['AveragePooling2D', 'AveragePooling1D', 'GlobalAveragePooling1D'], ['AvgPool', 'AvgPoolGrad'], 'saliency-lab',
    'the true gradient at `same` borders (tfjs divides by the full window)'),
  row(['MaxPool'], ['MaxPooling2D', 'MaxPooling1D', 'GlobalMaxPooling1D'], ['MaxPool', 'MaxPoolGrad'], 'saliency-lab', 'one-pass kernel, ties to the first maximum on both backends'),
  row(['AvgPool3D', 'MaxPool3D'], ['AveragePooling3D', 'MaxPooling3D'], ['AvgPool3D', 'MaxPool3D', 'AvgPool3DGrad', 'MaxPool3DGrad'], 'tfjs'),
  row(['Dilation2D'], [], ['Dilation2D', 'Dilation2DBackpropInput'], 'tfjs', 'morphological dilation; tested on cpu only: tfjs-backend-wasm\'s Dilation2D kernel gives other numbers than cpu\'s, forward pass included', ['cpu']),
  row(['MaxPoolWithArgmax'], [], ['MaxPoolWithArgmax'], 'none', 'tfjs has no gradient'),
  // Dense layers and matrix products
  row(['MatMul', 'BatchMatMul', 'BatchMatMulV2'], ['Dense', 'Dot'], ['BatchMatMul'], 'tfjs'),
  row(['_FusedMatMul'], [], ['_FusedMatMul', 'BatchMatMul'], 'tfjs', 'every fused activation (unfused under gradients)'),
  row(['Einsum'], [], ['Einsum'], 'saliency-lab', 'each operand\'s gradient is an einsum; tfjs runs Einsum on cpu only (wasm has no kernel)', ['cpu']),
  row(['MatrixBandPart'], [], ['MatrixBandPart'], 'tfjs', 'composed of tfjs ops with gradients'),
  // Normalization and softmax
  row(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'], ['BatchNormalization'], ['FusedBatchNorm'], 'tfjs', 'inference mode: a per-channel affine map'),
  row([], ['LayerNormalization'], ['Mean', 'Sub', 'Rsqrt', 'Multiply'], 'tfjs', 'composed of tfjs ops with gradients'),
  row(['LRN'], [], ['LRN', 'LRNGrad'], 'tfjs'),
  row(['EuclideanNorm'], [], ['Sqrt', 'Sum', 'Square'], 'tfjs', 'composed of tfjs ops with gradients'),
  row(['Softmax', 'LogSoftmax'], ['Softmax', 'activation:softmax', 'activation:logSoftmax'], ['Softmax', 'LogSoftmax'], 'tfjs', 'methods explain the scores before a final softmax by default'),
  // Activations
  row(['Relu', 'Relu6'], ['ReLU', 'activation:relu', 'activation:relu6'], ['Relu', 'Relu6'], 'saliency-lab', 'the method\'s rule: standard, guided backprop or deconvnet'),
  row(['LeakyRelu', 'Prelu', 'Elu', 'Selu'], ['LeakyReLU', 'PReLU', 'ELU', 'activation:elu', 'activation:selu'], ['LeakyRelu', 'Prelu', 'Elu', 'EluGrad', 'Selu'], 'tfjs'),
  row(['Sigmoid', 'Tanh', 'Softplus'], ['Activation', 'activation:sigmoid', 'activation:tanh', 'activation:softplus', 'activation:hardSigmoid', 'activation:softsign',
    'activation:swish', 'activation:mish', 'activation:gelu', 'activation:gelu_new', 'activation:linear'], ['Sigmoid', 'Tanh', 'Softplus'], 'tfjs',
  'swish is x·sigmoid(x) and hard-swish x·relu6(x + 3)/6 in converted graphs (Mul, Sigmoid, Relu6, AddV2 nodes)'),
  row([], ['ThresholdedReLU'], ['Greater'], 'saliency-lab', 'the comparison\'s gradient is zero (tfjs registers none)'),
  row(['Abs', 'Neg', 'Exp', 'Log', 'Log1p', 'Expm1', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Erf', 'Sin', 'Cos', 'Tan', 'Sinh', 'Cosh',
    'Asin', 'Acos', 'Atan', 'Asinh', 'Acosh', 'Atanh', 'Atan2', 'Sign', 'Round', 'Floor', 'Ceil', 'ClipByValue', 'IsNan', 'IsFinite', 'IsInf'],
  [], ['Abs', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Erf', 'Sin', 'Cos', 'ClipByValue'], 'tfjs', 'elementwise math (Sign, Round, Floor, Ceil, IsNan: zero)'),
  // Arithmetic
  row(['Add', 'AddV2', 'BiasAdd', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'FloorDiv', 'Mod', 'FloorMod'],
    ['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Rescaling'], ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference'], 'tfjs', 'with broadcasting (squeeze-and-excite products)'),
  row(['AddN'], [], ['AddN'], 'tfjs'),
  row(['DivNoNan'], [], ['RealDiv', 'Equal', 'Select'], 'saliency-lab', 'tfjs\'s Div and Select rules, with saliency-lab\'s zero gradient for its Equal'),
  row(['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot'], ['Masking'],
    ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot', 'Any', 'All'], 'saliency-lab', 'zero: boolean masks (tfjs registers no rule)'),
  row(['Select', 'SelectV2'], [], ['Select'], 'tfjs', 'gradient to the chosen branch (the condition\'s comparison: zero, above)'),
  // Reductions
  row(['Mean', 'Sum', 'Max', 'Min', 'Prod'], ['GlobalAveragePooling2D', 'GlobalMaxPooling2D'], ['Mean', 'Sum', 'Max', 'Min', 'Prod'], 'tfjs'),
  row(['All', 'Any'], [], ['All', 'Any'], 'saliency-lab', 'zero (tfjs registers no rule)'),
  row(['Cumsum'], [], ['Cumsum'], 'saliency-lab', 'tfjs\'s rule transposes the result for any axis but the last'),
  row(['Cumprod'], [], ['Cumprod'], 'none', 'tfjs has no gradient'),
  row(['ArgMax', 'ArgMin'], [], ['ArgMax', 'ArgMin'], 'not needed', 'integer outputs'),
  row(['TopKV2'], [], ['TopK'], 'none', 'tfjs has no gradient (post-processing of scores; explain the scores before it)'),
  // Slicing, joining, shapes
  row(['StridedSlice'], [], ['StridedSlice'], 'saliency-lab', 'the output gradient scattered into zeros at the strided positions (every mask; tfjs has no rule)'),
  row(['Slice'], ['Cropping2D'], ['Slice'], 'tfjs'),
  row(['ConcatV2', 'Concat'], ['Concatenate'], ['Concat'], 'tfjs'),
  row(['Split', 'SplitV'], [], ['SplitV'], 'tfjs'),
  row(['Pack', 'Unpack'], [], ['Pack', 'Unpack'], 'tfjs'),
  row(['Tile'], ['RepeatVector'], ['Tile'], 'tfjs'),
  row(['GatherV2', 'Gather'], [], ['GatherV2', 'UnsortedSegmentSum'], 'saliency-lab', 'tfjs\'s rule; its UnsortedSegmentSum kernel, which wasm lacks, by saliency-lab'),
  row(['GatherNd'], [], ['GatherNd', 'ScatterNd'], 'saliency-lab', 'the output gradient scattered back (ScatterNd; tfjs has no rule)'),
  row(['Reverse', 'ReverseV2'], [], ['Reverse'], 'tfjs'),
  row(['Transpose'], ['Permute'], ['Transpose'], 'tfjs'),
  row(['Reshape', 'ExpandDims', 'Squeeze', 'EnsureShape'], ['Flatten', 'Reshape'], ['Reshape'], 'tfjs'),
  row(['Pad', 'PadV2', 'MirrorPad'], ['ZeroPadding2D'], ['PadV2', 'MirrorPad'], 'tfjs', 'constant, reflect and symmetric'),
  row(['SpaceToBatchND', 'BatchToSpaceND'], [], ['SpaceToBatchND', 'BatchToSpaceND'], 'tfjs', 'how TensorFlow lowers atrous convolutions'),
  row(['DepthToSpace'], [], ['DepthToSpace'], 'saliency-lab', 'the inverse rearrangement (tfjs has no rule)'),
  row(['BroadcastTo'], [], ['BroadcastTo', 'Tile'], 'tfjs'),
  row(['Cast'], [], ['Cast'], 'tfjs'),
  row(['Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'FakeQuantWithMinMaxVars'], ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'],
    ['Identity'], 'tfjs', 'pass-through at inference (tfjs-converter runs StopGradient and FakeQuant as identities)'),
  row(['ScatterNd', 'TensorScatterUpdate', 'SparseToDense'], [], ['ScatterNd', 'TensorScatterUpdate', 'SparseToDense'], 'none', 'tfjs has no gradient'),
  // Images
  row(['ResizeBilinear', 'ResizeNearestNeighbor'], ['UpSampling2D'], ['ResizeBilinear', 'ResizeNearestNeighbor', 'ResizeBilinearGrad', 'ResizeNearestNeighborGrad'], 'tfjs', 'both corner conventions'),
  row(['CropAndResize'], ['CenterCrop'], ['CropAndResize'], 'none', 'tfjs has no gradient'),
  row(['ImageProjectiveTransformV3'], [], ['Transform'], 'none', 'tfjs has no gradient'),
  // Recurrent layers (image captioning, CRNN text recognition)
  row([], ['SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D', 'Bidirectional', 'TimeDistributed', 'RNN', 'SimpleRNNCell', 'GRUCell', 'LSTMCell', 'ConvLSTM2DCell', 'StackedRNNCells'],
    ['BatchMatMul', 'Sigmoid', 'Tanh'], 'tfjs', 'unrolled over time by tfjs-layers'),
  // Constants and shapes
  row(['Const', 'Placeholder', 'PlaceholderWithDefault', 'Shape', 'ShapeN', 'Size', 'Rank', 'NoOp', 'Fill', 'Zeros', 'Ones', 'ZerosLike', 'OnesLike', 'Range', 'LinSpace',
    'OneHot', 'BroadcastArgs', 'RandomStandardNormal', 'RandomUniform', 'RandomUniformInt', 'TruncatedNormal', 'Multinomial', 'Bincount', 'DenseBincount', 'BitwiseAnd',
    'LowerBound', 'UpperBound'], ['InputLayer', 'Embedding', 'CategoryEncoding'], ['Fill', 'OneHot', 'Range'], 'not needed',
  'constants, shapes and integer ops (an Embedding\'s input is integer ids: there is no input gradient)'),
];

/** Ops and layer classes outside image models, with the reason (each group: a reason and its names). */
export const OUT_OF_SCOPE: readonly { reason: string; ops: string[]; layers: string[] }[] = [
  {
    reason: 'control flow: a GraphModel with it runs only through executeAsync, and tfjs takes no gradients through it',
    ops: ['EmptyTensorList', 'LoopCond', 'Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'TensorArrayV3', 'TensorArrayWriteV3', 'TensorArrayReadV3',
      'TensorArrayGatherV3', 'TensorArrayScatterV3', 'TensorArrayConcatV3', 'TensorArraySplitV3', 'TensorArraySizeV3', 'TensorArrayCloseV3', 'StatelessIf', 'If',
      'StatelessWhile', 'While', 'TensorListScatter', 'TensorListScatterV2', 'TensorListGather', 'TensorListGetItem', 'TensorListSetItem', 'TensorListReserve',
      'TensorListFromTensor', 'TensorListStack', 'TensorListSplit', 'TensorListConcat', 'TensorListConcatV2', 'TensorListPopBack', 'TensorListPushBack',
      'TensorListLength', 'TensorListResize'],
    layers: [],
  },
  {
    reason: 'detection post-processing and dynamic shapes (executeAsync only)',
    ops: ['NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'Where', 'ListDiff', 'Unique', 'UniqueV2'],
    layers: [],
  },
  { reason: 'complex numbers and spectral ops', ops: ['Complex', 'ComplexAbs', 'Imag', 'Real', 'FFT', 'IFFT', 'RFFT', 'IRFFT'], layers: [] },
  {
    reason: 'strings, hash tables, sparse and ragged tensors, decision forests',
    ops: ['StaticRegexReplace', 'StringNGrams', 'StringSplit', 'StringToHashBucketFast', 'HashTable', 'HashTableV2', 'LookupTableImport', 'LookupTableImportV2',
      'LookupTableFind', 'LookupTableFindV2', 'LookupTableSize', 'LookupTableSizeV2', 'InitializeTable', 'InitializeTableV2', 'SparseFillEmptyRows',
      'SparseReshape', 'SparseSegmentMean', 'SparseSegmentSum', 'RaggedGather', 'RaggedRange', 'RaggedTensorToTensor', 'SimpleMLCreateModelResource',
      'SimpleMLLoadModelFromPathWithHandle', 'SimpleMLInferenceOpWithHandle'],
    layers: [],
  },
  {
    reason: 'preprocessing layers whose tfjs-layers forward pass fails on a batch of images (Resizing, RandomWidth: "x must be rank 3 or 4, but got rank 1")',
    ops: [],
    layers: ['Resizing', 'RandomWidth'],
  },
  {
    reason: 'debug printing: tfjs-converter\'s Print passes its input through uncloned and the executor frees it (the forward pass fails on wasm)',
    ops: ['Print'],
    layers: [],
  },
  { reason: 'containers (their layers are listed one by one)', ops: [], layers: ['Model', 'Functional', 'Sequential'] },
];

/** Finds the row of a tfjs kernel (forward or gradient kernel), or of a GraphModel op. */
function rowsOf(name: string): OpCoverage[] {
  return OP_COVERAGE.filter((r) => r.kernels.includes(name) || r.ops.includes(name));
}

/** The model's GraphModel nodes or LayersModel layers that use any of `rows` (at most a few are named). */
function usersIn(model: unknown, rows: OpCoverage[]): string[] {
  try {
    if (isGraphModel(model)) {
      const ops = new Set(rows.flatMap((r) => r.ops));
      return new GraphIndex('describeGradientFailure', model).order.filter((n) => ops.has(n.op)).map((n) => n.name);
    }
    if (isLayersModel(model)) {
      const classes = new Set(rows.flatMap((r) => r.layers));
      return kerasLayers(model).filter(({ layer }) => classes.has(layer.getClassName())).map(({ layer }) => `${layer.name} (${layer.getClassName()})`);
    }
  } catch {
    // A model whose graph cannot be read: the op alone is named.
  }
  return [];
}

/** The model's nodes or layers that use tfjs kernel or GraphModel op `op` (at most a few are named in messages). */
export function opUsers(model: unknown, op: string): string[] {
  return usersIn(model, rowsOf(op));
}

const NO_GRADIENT = /Cannot compute gradient: gradient function not found for (\w+)/;
const NO_KERNEL = /Kernel '(\w+)' not registered for backend '(\w+)'/;
const DILATED_FUSED = /Error in gradient of fused (conv2D|depthwiseConv2d): dilation rates/;
const BROKEN_RULE = /Error in gradient for op (\w+)\. (.*)/;

const NO_GRADIENT_METHODS = 'occlusion and scoreCam need no gradients and work with this model';

/**
 * The GradientError for a tfjs failure during a gradient computation, or null when `message` is not one
 * (then the original error stands). Names the op, the model's nodes or layers that use it, and what
 * still works.
 */
export function describeGradientFailure(message: string, backend: string, model?: unknown): GradientFailure | null {
  let op: string;
  let why: string;
  let forwardMissing = false;
  let m: RegExpMatchArray | null;
  if ((m = message.match(NO_GRADIENT))) {
    op = m[1];
    why = `tfjs has no gradient for ${op}`;
  } else if ((m = message.match(NO_KERNEL))) {
    op = m[1];
    const forward = rowsOf(op).some((r) => r.kernels[0] === op);
    forwardMissing = forward;
    why = `the ${m[2]} backend has no ${op} kernel`;
  } else if ((m = message.match(DILATED_FUSED))) {
    op = m[1] === 'conv2D' ? 'FusedConv2D' : 'FusedDepthwiseConv2D';
    why = 'tfjs\'s fused convolution has no gradient for dilations above 1 without a fused activation';
  } else if ((m = message.match(BROKEN_RULE))) {
    op = m[1];
    why = `tfjs's gradient for ${op} fails (${m[2].slice(0, 160)})`;
  } else {
    return null;
  }
  const rows = rowsOf(op);
  const nodes = usersIn(model, rows.length ? rows : []);
  const label = rows.length && rows[0].ops.length ? rows[0].ops.join('/') : op;
  const where = nodes.length ? `; used by ${nodes.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${nodes.length > 5 ? `, ... (${nodes.length} in all)` : ''}` : '';
  const rest = forwardMissing
    ? `this model cannot run on the ${backend} backend at all; choose another backend, e.g. setBackend('cpu')`
    : `gradient methods cannot run on it; ${NO_GRADIENT_METHODS}`;
  return { op, nodes, backend, detail: `no gradient through op ${label} on the ${backend} backend: ${why}${where}. ${rest[0].toUpperCase()}${rest.slice(1)}` };
}

/** The README's op-coverage table (Markdown), generated from OP_COVERAGE. */
export function opCoverageTable(): string {
  const lines = ['| GraphModel ops | Keras layers | gradient from | tested on | notes |', '|---|---|---|---|---|'];
  const cell = (xs: string[]) => (xs.length ? xs.map((x) => `\`${x}\``).join(', ') : '—');
  for (const r of OP_COVERAGE) {
    lines.push(`| ${cell(r.ops)} | ${cell(r.layers)} | ${r.gradient} | ${r.backends.length ? r.backends.join(', ') : '—'} | ${r.note.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

/** Exposed for tests: the tfjs names each row covers. */
export function coveredNames(): { ops: Set<string>; layers: Set<string> } {
  const ops = new Set([...OP_COVERAGE.flatMap((r) => r.ops), ...OUT_OF_SCOPE.flatMap((g) => g.ops)]);
  const layers = new Set([...OP_COVERAGE.flatMap((r) => r.layers), ...OUT_OF_SCOPE.flatMap((g) => g.layers)]);
  return { ops, layers };
}

