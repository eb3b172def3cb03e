/**
 * Kernels for the webgpu backend that saliency-lab swaps in while it computes input gradients (see
 * models/gradient-rules.ts: `registerScopedKernel`), written in WGSL through tfjs-backend-webgpu's program
 * API (`backend.runWebGPUProgram`). Nothing here imports tfjs-backend-webgpu: it is optional, and a
 * program is a plain object.
 *
 * tfjs-backend-webgpu 4.22 has every kernel the methods' gradients reach (checked against the cpu
 * backend's list: it lacks only string, ragged, sparse, Unique, BitwiseAnd and NonMaxSuppressionV4).
 * Four need replacing:
 *
 * - `MaxPoolGrad`: tfjs-backend-webgpu routes each window's gradient to the LAST maximum when values tie
 *   (its position shader keeps `value >= max`), cpu (and PyTorch) to the FIRST. Ties are common (all-zero
 *   windows after a ReLU), and rules that pass gradients through ReLU zeros (deconvnet) then differ from
 *   cpu by 14% of the largest value. This one finds the first maximum in row-major window order with
 *   `>` from −∞, as cpu does (a window of only −∞ or NaN passes nothing), then gathers: each input element
 *   sums the output gradients of the windows whose maximum it is.
 * - `PadV2` above rank 4: tfjs-backend-webgpu's shader indexes its coordinates as a vector, and WGSL has
 *   no 5- or 6-vectors (its shader fails to compile: "cannot index type 'vec5'", and the result is
 *   garbage). The gradient of `slice` is a pad: the Fourier parameterization of feature visualization
 *   slices a 5-D spectrum, so its gradient failed on webgpu. This pad first merges each unpadded axis into
 *   the axis before it (a merged axis is padded by the padding times the merged size), which brings every
 *   pad that pads at most 4 groups of axes to rank 4, then runs one rank-4 shader.
 * - `ResizeBilinearGrad` and `ResizeNearestNeighborGrad`: ignore `halfPixelCenters` (see
 *   resizeBilinearAdjointWebGPU).
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

/** Reshape through the backend's own kernel (a new view of the same data; the caller frees it). */
function reshape(backend: tf.KernelBackend, x: Info, shape: number[]): Info {
  const kernel = tf.getKernel('Reshape', 'webgpu');
  if (!kernel) throw new Error('webgpu-kernels: the webgpu backend has no Reshape kernel');
  return kernel.kernelFunc({ inputs: { x }, backend, attrs: { shape } }) as Info;
}

/**
 * Shape and paddings with every unpadded axis merged into the axis before it (leading unpadded axes form
 * one unpadded axis), padded to rank 4 with leading axes of size 1. Merging an unpadded inner axis of
 * size n into its outer neighbour multiplies that neighbour's size and padding by n. Null when more than 4
 * groups remain (padded axes separated by nothing to merge).
 */
export function collapsePad(shape: number[], paddings: [number, number][]): { shape: number[]; paddings: [number, number][] } | null {
  const outShape: number[] = [];
  const outPads: [number, number][] = [];
  for (let i = 0; i < shape.length; i++) {
    const [before, after] = paddings[i];
    const last = outShape.length - 1;
    if (before === 0 && after === 0 && last >= 0) {
      outShape[last] *= shape[i];
      outPads[last] = [outPads[last][0] * shape[i], outPads[last][1] * shape[i]];
    } else {
      outShape.push(shape[i]);
      outPads.push([before, after]);
    }
  }
  if (outShape.length > 4) return null;
  while (outShape.length < 4) {
    outShape.unshift(1);
    outPads.unshift([0, 0]);
  }
  return { shape: outShape, paddings: outPads };
}

const PAD_RANK4 = `
  let c = coords - uniforms.before;
  if (any(c < vec4<i32>(0)) || any(c >= uniforms.xShape)) {
    setOutputAtIndex(index, uniforms.constantValue);
  } else {
    setOutputAtIndex(index, getX(c.x, c.y, c.z, c.w));
  }`;

/** PadV2 at any rank whose padded axes form at most 4 groups (see the module comment). */
export function padV2WebGPU({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: { paddings: [number, number][]; constantValue: number } }): Info {
  const { x } = inputs;
  const { paddings, constantValue } = attrs;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const collapsed = collapsePad(x.shape, paddings);
  if (!collapsed) {
    throw new Error(`PadV2 (webgpu, saliency-lab): padding ${paddings.length} axes in more than 4 separate groups is not supported (paddings ${JSON.stringify(paddings)})`);
  }
  const gpu = backend as unknown as WebGPUBackendLike;
  const x4 = reshape(backend, x, collapsed.shape);
  const out4Shape = collapsed.shape.map((d, i) => collapsed.paddings[i][0] + d + collapsed.paddings[i][1]);
  let out4: Info | null = null;
  try {
    out4 = gpu.runWebGPUProgram(
      flatProgram('saliencyPadRank4', out4Shape, ['x'], 'constantValue : f32, before : vec4<i32>,', PAD_RANK4),
      [x4], x.dtype, [{ type: 'float32', data: [constantValue] }, { type: 'int32', data: collapsed.paddings.map((p) => p[0]) }],
    );
    return reshape(backend, out4, outShape);
  } finally {
    gpu.disposeData(x4.dataId);
    if (out4) gpu.disposeData(out4.dataId);
  }
}

/**
 * Per input element: the sum of dy over the output pixels whose bilinear taps include it, each weighted
 * as the forward kernel weighs the pixel (the taps as models/gradient-kernels.ts's `bilinearTaps`:
 * src = ratio · o + offset, lo = max(0, ⌊src⌋), hi = min(n − 1, ⌈src⌉), weight of hi = src − lo). Only
 * the output rows and columns whose source lies within one pixel are visited.
 */
const RESIZE_BILINEAR_ADJOINT = `
  let batch = coords[0];
  let d = coords[3];
  let y = coords[1];
  let x = coords[2];
  let oyFrom = max(0, i32(floor((f32(y) - 1.0 - uniforms.offset.x) / uniforms.ratio.x)) - 1);
  let oyTo = min(uniforms.outDims.x - 1, i32(ceil((f32(y) + 1.0 - uniforms.offset.x) / uniforms.ratio.x)) + 1);
  let oxFrom = max(0, i32(floor((f32(x) - 1.0 - uniforms.offset.y) / uniforms.ratio.y)) - 1);
  let oxTo = min(uniforms.outDims.y - 1, i32(ceil((f32(x) + 1.0 - uniforms.offset.y) / uniforms.ratio.y)) + 1);
  var sum = 0.0;
  for (var oy = oyFrom; oy <= oyTo; oy++) {
    let sy = uniforms.ratio.x * f32(oy) + uniforms.offset.x;
    let loY = max(0, i32(floor(sy)));
    let hiY = min(uniforms.inDims.x - 1, i32(ceil(sy)));
    let fy = sy - f32(loY);
    var wy = 0.0;
    if (loY == y) { wy += 1.0 - fy; }
    if (hiY == y) { wy += fy; }
    if (loY != y && hiY != y) { continue; }
    for (var ox = oxFrom; ox <= oxTo; ox++) {
      let sx = uniforms.ratio.y * f32(ox) + uniforms.offset.y;
      let loX = max(0, i32(floor(sx)));
      let hiX = min(uniforms.inDims.y - 1, i32(ceil(sx)));
      let fx = sx - f32(loX);
      var wx = 0.0;
      if (loX == x) { wx += 1.0 - fx; }
      if (hiX == x) { wx += fx; }
      sum += getDy(batch, oy, ox, d) * wy * wx;
    }
  }
  setOutputAtIndex(index, sum);`;

/**
 * ResizeBilinearGrad as the exact adjoint of the forward sampling, `halfPixelCenters` included:
 * tfjs-backend-webgpu's kernel ignores it (as tfjs's cpu and wasm kernels, replaced the same way in
 * models/gradient-kernels.ts), so gradients through a half-pixel resize (Keras resizing, UpSampling2D,
 * DeepDream's octaves on a fixed-size model) came out shifted and differed from cpu's.
 */
export function resizeBilinearAdjointWebGPU({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: { alignCorners: boolean; halfPixelCenters: boolean } }): Info {
  const { dy, images } = inputs;
  const gpu = backend as unknown as WebGPUBackendLike;
  const [, h, w] = images.shape;
  const [, oh, ow] = dy.shape;
  const ratio = (n: number, o: number) => (attrs.alignCorners && o > 1 ? (n - 1) / (o - 1) : n / o);
  const [ry, rx] = [ratio(h, oh), ratio(w, ow)];
  const offset = (r: number) => (attrs.halfPixelCenters ? 0.5 * r - 0.5 : 0);
  return gpu.runWebGPUProgram(
    flatProgram('saliencyResizeBilinearAdjoint', images.shape, ['dy'],
      'ratio : vec2<f32>, offset : vec2<f32>, inDims : vec2<i32>, outDims : vec2<i32>,', RESIZE_BILINEAR_ADJOINT),
    [dy], 'float32',
    [{ type: 'float32', data: [ry, rx] }, { type: 'float32', data: [offset(ry), offset(rx)] }, { type: 'int32', data: [h, w] }, { type: 'int32', data: [oh, ow] }],
  );
}

/** Per input element: the sum of dy over the output pixels that copy it (the taps as gradient-kernels.ts's `nearestTaps`). */
const RESIZE_NEAREST_ADJOINT = `
  let batch = coords[0];
  let d = coords[3];
  let y = coords[1];
  let x = coords[2];
  let oyFrom = max(0, i32(floor((f32(y) - 1.0 - uniforms.offset.x) / uniforms.ratio.x)) - 1);
  let oyTo = min(uniforms.outDims.x - 1, i32(ceil((f32(y) + 1.0 - uniforms.offset.x) / uniforms.ratio.x)) + 1);
  let oxFrom = max(0, i32(floor((f32(x) - 1.0 - uniforms.offset.y) / uniforms.ratio.y)) - 1);
  let oxTo = min(uniforms.outDims.y - 1, i32(ceil((f32(x) + 1.0 - uniforms.offset.y) / uniforms.ratio.y)) + 1);
  var sum = 0.0;
  for (var oy = oyFrom; oy <= oyTo; oy++) {
    let sy = uniforms.ratio.x * f32(oy) + uniforms.offset.x;
    // Math.round (half up) when aligning corners, floor otherwise; never below 0 or above the last row.
    let iy = max(0, min(uniforms.inDims.x - 1, i32(floor(sy + uniforms.rounding))));
    if (iy != y) { continue; }
    for (var ox = oxFrom; ox <= oxTo; ox++) {
      let sx = uniforms.ratio.y * f32(ox) + uniforms.offset.y;
      let ix = max(0, min(uniforms.inDims.y - 1, i32(floor(sx + uniforms.rounding))));
      if (ix == x) { sum += getDy(batch, oy, ox, d); }
    }
  }
  setOutputAtIndex(index, sum);`;

/** ResizeNearestNeighborGrad, `halfPixelCenters` included (tfjs-backend-webgpu's kernel ignores it, as for bilinear). */
export function resizeNearestAdjointWebGPU({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: { alignCorners: boolean; halfPixelCenters: boolean } }): Info {
  const { dy, images } = inputs;
  const gpu = backend as unknown as WebGPUBackendLike;
  const [, h, w] = images.shape;
  const [, oh, ow] = dy.shape;
  const ratio = (n: number, o: number) => (attrs.alignCorners && o > 1 ? (n - 1) / (o - 1) : n / o);
  const [ry, rx] = [ratio(h, oh), ratio(w, ow)];
  const offset = (r: number) => (attrs.halfPixelCenters ? 0.5 * r : 0);
  return gpu.runWebGPUProgram(
    flatProgram('saliencyResizeNearestAdjoint', images.shape, ['dy'],
      'ratio : vec2<f32>, offset : vec2<f32>, inDims : vec2<i32>, outDims : vec2<i32>, rounding : f32,', RESIZE_NEAREST_ADJOINT),
    [dy], 'float32',
    [{ type: 'float32', data: [ry, rx] }, { type: 'float32', data: [offset(ry), offset(rx)] }, { type: 'int32', data: [h, w] }, { type: 'int32', data: [oh, ow] },
      { type: 'float32', data: [attrs.alignCorners ? 0.5 : 0] }],
  );
}

export const webgpuKernels: KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'webgpu', kernelFunc: maxPoolGradFirstMaxWebGPU as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'PadV2', backendName: 'webgpu', kernelFunc: padV2WebGPU as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'ResizeBilinearGrad', backendName: 'webgpu', kernelFunc: resizeBilinearAdjointWebGPU as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'ResizeNearestNeighborGrad', backendName: 'webgpu', kernelFunc: resizeNearestAdjointWebGPU as unknown as KernelConfig['kernelFunc'] },
];

for (const k of webgpuKernels) registerScopedKernel(k);
