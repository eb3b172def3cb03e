/**
 * Kernels for the webgpu backend that saliency-lab swaps in while it computes input gradients (see
 * models/gradient-rules.ts: `registerScopedKernel`), written in WGSL through tfjs-backend-webgpu's program
 * API (`backend.runWebGPUProgram`). Nothing here imports tfjs-backend-webgpu: it is optional, and a
 * program is a plain object.
 *
 * tfjs-backend-webgpu 4.22 has every kernel the methods' gradients reach (checked against the cpu
 * backend's list: it lacks only string, ragged, sparse, Unique, BitwiseAnd and NonMaxSuppressionV4).
 * One gives other numbers than cpu:
 *
 * - `MaxPoolGrad`: tfjs-backend-webgpu routes each window's gradient to the LAST maximum when values tie
 *   (its position shader keeps `value >= max`), cpu (and PyTorch) to the FIRST. Ties are common (all-zero
 *   windows after a ReLU), and rules that pass gradients through ReLU zeros (deconvnet) then differ from
 *   cpu by 14% of the largest value. This one finds the first maximum in row-major window order with
 *   `>` from −∞, as cpu does (a window of only −∞ or NaN passes nothing), then gathers: each input element
 *   sums the output gradients of the windows whose maximum it is.
 */
import * as tf from '@tensorflow/tfjs';
import { registerScopedKernel } from '../models/gradient-rules';

type Info = tf.TensorInfo;
type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

/** The fields of tfjs-backend-webgpu's WebGPUProgram that a flat, one-output-element-per-thread program sets. */
interface FlatProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: true;
  getUserCode(): string;
}

type Uniform = { type: 'int32' | 'float32'; data: number[] };

/** The one method of the webgpu backend used here. */
interface WebGPUBackendLike {
  runWebGPUProgram(program: FlatProgram, inputs: Info[], dtype: tf.DataType, uniforms: Uniform[]): Info;
  disposeData(id: tf.DataId): void;
}

const WORKGROUP: [number, number, number] = [64, 1, 1];

function flatProgram(key: string, outputShape: number[], variableNames: string[], uniforms: string, body: string): FlatProgram {
  const size = outputShape.reduce((a, d) => a * d, 1);
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    // The backend folds dispatches above its per-dimension limit into y and z (reshapeDispatch).
    dispatch: [Math.ceil(size / WORKGROUP[0]), 1, 1],
    variableNames,
    uniforms,
    workgroupSize: WORKGROUP,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          ${body}
        }
      }`,
  };
}

/** Per output element: the window offset (row · filterWidth + column) of its first maximum, or −1. */
const FIRST_MAX_POSITIONS = `
  let batch = coords[0];
  let d = coords[3];
  let corner = vec2<i32>(coords.yz) * uniforms.strides - uniforms.pads;
  var best = -uniforms.INFINITY;
  var position = -1;
  for (var wR = 0; wR < uniforms.filterDims.x; wR++) {
    let xR = corner.x + wR;
    if (xR < 0 || xR >= uniforms.inDims.x) { continue; }
    for (var wC = 0; wC < uniforms.filterDims.y; wC++) {
      let xC = corner.y + wC;
      if (xC < 0 || xC >= uniforms.inDims.y) { continue; }
      let value = getX(batch, xR, xC, d);
      if (value > best) {
        best = value;
        position = wR * uniforms.filterDims.y + wC;
      }
    }
  }
  setOutputAtIndexI32(index, position);`;

/** Per input element: the sum of dy over the windows whose first maximum it is. */
const GATHER_AT_POSITIONS = `
  let batch = coords[0];
  let d = coords[3];
  var sum = 0.0;
  for (var wR = 0; wR < uniforms.filterDims.x; wR++) {
    let rowNum = coords[1] + uniforms.pads.x - wR;
    if (rowNum < 0 || rowNum % uniforms.strides.x != 0) { continue; }
    let oR = rowNum / uniforms.strides.x;
    if (oR >= uniforms.outDims.x) { continue; }
    for (var wC = 0; wC < uniforms.filterDims.y; wC++) {
      let colNum = coords[2] + uniforms.pads.y - wC;
      if (colNum < 0 || colNum % uniforms.strides.y != 0) { continue; }
      let oC = colNum / uniforms.strides.y;
      if (oC >= uniforms.outDims.y) { continue; }
      if (i32(getPositions(batch, oR, oC, d)) == wR * uniforms.filterDims.y + wC) {
        sum += getDy(batch, oR, oC, d);
      }
    }
  }
  setOutputAtIndex(index, sum);`;

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** MaxPoolGrad with cpu's tie rule (the first maximum of each window), on the GPU. */
export function maxPoolGradFirstMaxWebGPU({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: MaxPoolGradAttrs }): Info {
  const { dy, input } = inputs;
  const gpu = backend as unknown as WebGPUBackendLike;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const pair = (a: number, b: number): Uniform => ({ type: 'int32', data: [a, b] });
  const strides = pair(info.strideHeight, info.strideWidth);
  const pads = pair(info.padInfo.top, info.padInfo.left);
  const filter = pair(info.filterHeight, info.filterWidth);
  const positions = gpu.runWebGPUProgram(
    flatProgram('saliencyMaxPoolFirstMax', info.outShape, ['x'],
      'strides : vec2<i32>, pads : vec2<i32>, inDims : vec2<i32>, filterDims : vec2<i32>,', FIRST_MAX_POSITIONS),
    [input], 'int32', [strides, pads, pair(info.inHeight, info.inWidth), filter],
  );
  try {
    return gpu.runWebGPUProgram(
      flatProgram('saliencyMaxPoolGradGather', info.inShape, ['dy', 'positions'],
        'strides : vec2<i32>, pads : vec2<i32>, outDims : vec2<i32>, filterDims : vec2<i32>,', GATHER_AT_POSITIONS),
      [dy, positions], 'float32', [strides, pads, pair(info.outHeight, info.outWidth), filter],
    );
  } finally {
    gpu.disposeData(positions.dataId);
  }
}

export const webgpuKernels: KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'webgpu', kernelFunc: maxPoolGradFirstMaxWebGPU as unknown as KernelConfig['kernelFunc'] },
];

for (const k of webgpuKernels) registerScopedKernel(k);
