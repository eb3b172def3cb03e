/**
 * Kernels that input gradients need and the wasm backend lacks (or gets wrong), swapped in by
 * `withGradientRules` only while saliency-lab computes gradients (gradient-rules.ts registers this list).
 * Each gives tfjs's cpu kernel's numbers, or the exact gradient where cpu's is wrong (to float rounding;
 * tested in test/models/gradient-kernels.test.ts and against finite differences in op-gradients.test.ts).
 *
 * - `DepthwiseConv2dNativeBackpropInput` (wasm and cpu): the input gradient of a depthwise convolution is
 *   a forward depthwise convolution (the backend's own, XNNPACK) of the output gradient, zero-dilated by the strides
 *   and padded by `(k − 1)·d − pad`, with the filter flipped in space, at the forward dilation. With a
 *   channel multiplier m, channel c of the input collects output channels c·m … c·m + m − 1: one more
 *   sum over m. tfjs-backend-wasm has no such kernel (without it every gradient through a depthwise or
 *   separable convolution fails on wasm); tfjs-backend-cpu's ignores dilations.
 * - `Conv3DBackpropInputV2` (wasm): tfjs-backend-wasm's kernel returns wrong numbers (it differs from
 *   cpu's, and from itself between runs: measured with 4.22); this one scatters each output gradient back
 *   through the filter taps, in JS.
 * - `ResizeBilinearGrad`, `ResizeNearestNeighborGrad` (wasm and cpu): tfjs's kernels ignore
 *   `halfPixelCenters` (TensorFlow 2's default for Keras resizing and UpSampling2D), so gradients through
 *   such a resize came out shifted. These are the exact adjoints of the forward kernels' sampling (the
 *   bilinear one on webgpu too: backend/webgpu-kernels.ts).
 * - `SaliencyLabGateGrad` (wasm and cpu, a kernel of saliency-lab's own): the gradient of a gate
 *   (ReLU, ReLU6, ClipByValue) in one pass, under the ReLU rules (standard, guided, deconvnet): tfjs
 *   composes it of three to five full-size kernels (a comparison, a logical and, a cast, a select or
 *   product), about a sixth of a MobileNetV2's backward pass on wasm.
 * - `UnsortedSegmentSum` (wasm): the gradient of `gather` (GatherV2: embeddings, channel picks) scatters
 *   through it; one pass in JS.
 */
import * as tf from '@tensorflow/tfjs';
import { Backend, free, Info, KernelConfig, output, run, transposedConvInput, values } from './kernel-util';

interface DepthwiseBackpropInputAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dx = depthwiseConv2d(dilate(dy, strides), flip(W), stride 1, dilation d, pads ((k−1)·d − top, ·)),
 * summed over the channel multiplier. Derivation (one axis, forward y[o] = Σ_k x[o·s + k·d − top]·W[k]):
 * dx[i] = Σ_{o,k: o·s+k·d−top=i} dy[o]·W[k] = Σ_j g[i + j·d − ((K−1)·d − top)]·W[K−1−j] with g the
 * zero-dilated dy: a stride-1 correlation with the flipped filter at the same dilation.
 */
export function depthwiseBackpropInputViaForward(backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: DepthwiseBackpropInputAttrs }): Info => {
    const { dy, filter } = inputs;
    const { strides, pad, dimRoundingMode, inputShape } = attrs;
    const dilations = attrs.dilations ?? 1;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true,
    );
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
    const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw } = info;
    const m = cout / cin;
    const temps: Info[] = [];
    const keep = (t: Info) => (temps.push(t), t);
    try {
      const { g, pad: dxPad } = transposedConvInput(backend, backendName, dy, {
        n, h, w, oh, ow, c: cout, sh, sw, kh: info.effectiveFilterHeight, kw: info.effectiveFilterWidth,
        top: info.padInfo.top, left: info.padInfo.left,
      }, keep);
      const flipped = keep(flipDepthwise(backend, filter));
      const r = run(backend, backendName, 'DepthwiseConv2dNative', { x: g, filter: flipped }, {
        strides: [1, 1], pad: dxPad, dataFormat: 'NHWC', dilations: [dh, dw], dimRoundingMode: undefined,
      });
      if (m === 1) return r;
      keep(r);
      const split = keep(run(backend, backendName, 'Reshape', { x: r }, { shape: [n, h, w, cin, m] }));
      return run(backend, backendName, 'Sum', { x: split }, { axis: [4], keepDims: false });
    } finally {
      free(backend, ...temps);
    }
  };
}

/**
 * The depthwise filter [kh,kw,cin,m] flipped in space and laid out as [kh,kw,cin·m,1]: one filter per
 * output-gradient channel c·m + q. out[i,j,c·m+q,0] = W[kh−1−i, kw−1−j, c, q].
 */
function flipDepthwise(backend: Backend, filter: Info): Info {
  const [kh, kw, cin, m] = filter.shape;
  const perTap = cin * m;
  return output(backend, [kh, kw, perTap, 1], (out) => {
    const wv = values(backend, filter);
    const taps = kh * kw;
    for (let tap = 0; tap < taps; tap++) {
      const src = (taps - 1 - tap) * perTap;
      out.set(wv.subarray(src, src + perTap), tap * perTap);
    }
  }, false);
}

/**
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...] for s in [0, numSegments); ids outside the range are dropped,
 * as TensorFlow does. `x` has the ids' shape followed by the element shape.
 */
export function unsortedSegmentSum({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: { numSegments: number } }): Info {
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  const inner = x.shape.slice(segmentIds.shape.length);
  const size = inner.reduce((a, d) => a * d, 1);
  const count = segmentIds.shape.reduce((a, d) => a * d, 1);
  return output(backend, [numSegments, ...inner], (out) => {
    const xv = values(backend, x);
    const ids = values(backend, segmentIds);
    for (let i = 0; i < count; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const src = i * size;
      const dst = s * size;
      for (let k = 0; k < size; k++) out[dst + k] += xv[src + k];
    }
  });
}

interface Conv3DBackpropInputAttrs {
  strides: number | [number, number, number];
  pad: 'same' | 'valid';
  inputShape: [number, number, number, number, number];
}

/** dx[b, o·s + k − pad, ci] += dy[b, o, co] · W[k, ci, co] over every output position o and tap k (3-D). */
export function conv3dBackpropInputScatter({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Conv3DBackpropInputAttrs }): Info {
  const { dy, filter } = inputs;
  const info = tf.backend_util.computeConv3DInfo(attrs.inputShape, filter.shape as [number, number, number, number, number], attrs.strides, 1, attrs.pad);
  const { batchSize: n, inDepth: id, inHeight: ih, inWidth: iw, inChannels: ci, outDepth: od, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterDepth: kd, filterHeight: kh, filterWidth: kw, strideDepth: sd, strideHeight: sh, strideWidth: sw } = info;
  const { front, top, left } = info.padInfo;
  return output(backend, info.inShape, (dx) => {
    const g = values(backend, dy);
    const wv = values(backend, filter);
    for (let b = 0; b < n; b++) {
      for (let z = 0; z < od; z++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
        const gBase = (((b * od + z) * oh + y) * ow + x) * co;
        for (let a = 0; a < kd; a++) {
          const zi = z * sd + a - front;
          if (zi < 0 || zi >= id) continue;
          for (let r = 0; r < kh; r++) {
            const yi = y * sh + r - top;
            if (yi < 0 || yi >= ih) continue;
            for (let c = 0; c < kw; c++) {
              const xi = x * sw + c - left;
              if (xi < 0 || xi >= iw) continue;
              const dxBase = (((b * id + zi) * ih + yi) * iw + xi) * ci;
              const wBase = ((a * kh + r) * kw + c) * ci * co;
              for (let i = 0; i < ci; i++) {
                let sum = 0;
                const wi = wBase + i * co;
                for (let o = 0; o < co; o++) sum += g[gBase + o] * wv[wi + o];
                dx[dxBase + i] += sum;
              }
            }
          }
        }
      }
    }
  });
}

interface ResizeAttrs { alignCorners: boolean; halfPixelCenters: boolean }

/** Input size over output size along one axis, as tfjs's resize kernels compute it. */
function resizeRatio(oldSize: number, newSize: number, alignCorners: boolean): number {
  return alignCorners && newSize > 1 ? (oldSize - 1) / (newSize - 1) : oldSize / newSize;
}

/** The two source rows (or columns) of each output row and the weight of the second, as the forward kernels. */
function bilinearTaps(oldSize: number, newSize: number, a: ResizeAttrs): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const ratio = resizeRatio(oldSize, newSize, a.alignCorners);
  const lo = new Int32Array(newSize);
  const hi = new Int32Array(newSize);
  const frac = new Float64Array(newSize);
  for (let o = 0; o < newSize; o++) {
    const src = a.halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    lo[o] = Math.max(0, Math.floor(src));
    hi[o] = Math.min(oldSize - 1, Math.ceil(src));
    frac[o] = src - lo[o];
  }
  return { lo, hi, frac };
}

/** The adjoint of bilinear resizing: each output gradient split over its four source pixels. */
export function resizeBilinearAdjoint({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: ResizeAttrs }): Info {
  const { dy, images } = inputs;
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  const rows = bilinearTaps(h, oh, attrs);
  const cols = bilinearTaps(w, ow, attrs);
  return output(backend, images.shape, (dx) => {
    const g = values(backend, dy);
    let gi = 0;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        const fy = rows.frac[y];
        const top = (b * h + rows.lo[y]) * w;
        const bottom = (b * h + rows.hi[y]) * w;
        for (let x = 0; x < ow; x++) {
          const fx = cols.frac[x];
          const tl = (top + cols.lo[x]) * c;
          const tr = (top + cols.hi[x]) * c;
          const bl = (bottom + cols.lo[x]) * c;
          const br = (bottom + cols.hi[x]) * c;
          const wtl = (1 - fy) * (1 - fx);
          const wtr = (1 - fy) * fx;
          const wbl = fy * (1 - fx);
          const wbr = fy * fx;
          for (let ch = 0; ch < c; ch++, gi++) {
            const v = g[gi];
            dx[tl + ch] += v * wtl;
            dx[tr + ch] += v * wtr;
            dx[bl + ch] += v * wbl;
            dx[br + ch] += v * wbr;
          }
        }
      }
    }
  });
}

/** The source index of each output row (or column) of nearest-neighbour resizing, as the forward kernels. */
function nearestTaps(oldSize: number, newSize: number, a: ResizeAttrs): Int32Array {
  const ratio = resizeRatio(oldSize, newSize, a.alignCorners);
  const at = new Int32Array(newSize);
  for (let o = 0; o < newSize; o++) {
    const src = a.halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let i = Math.min(oldSize - 1, a.alignCorners ? Math.round(src) : Math.floor(src));
    if (a.halfPixelCenters) i = Math.max(0, i);
    at[o] = i;
  }
  return at;
}

/** The adjoint of nearest-neighbour resizing: each output gradient added to its source pixel. */
export function resizeNearestAdjoint({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: ResizeAttrs }): Info {
  const { dy, images } = inputs;
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  const rows = nearestTaps(h, oh, attrs);
  const cols = nearestTaps(w, ow, attrs);
  return output(backend, images.shape, (dx) => {
    const g = values(backend, dy);
    let gi = 0;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        const row = (b * h + rows[y]) * w;
        for (let x = 0; x < ow; x++) {
          const at = (row + cols[x]) * c;
          for (let ch = 0; ch < c; ch++, gi++) dx[at + ch] += g[gi];
        }
      }
    }
  });
}

export const GATE_GRAD = 'SaliencyLabGateGrad';

/** What a gate passes: lo < x (lo ≤ x when `loInclusive`) and x ≤ hi. */
export interface GateAttrs {
  lo: number;
  hi: number;
  loInclusive: boolean;
  /** `standard`: dy where the gate passes; `guided`: max(dy, 0) there; `deconvnet`: max(dy, 0) wherever x ≤ hi. */
  rule: 'standard' | 'guided' | 'deconvnet';
}

export function gateGrad({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: GateAttrs }): Info {
  const { dy, x } = inputs;
  const { lo, hi, loInclusive, rule } = attrs;
  return output(backend, x.shape, (out) => {
    const g = values(backend, dy);
    const xv = values(backend, x);
    const n = out.length;
    // Branch-free: the pass/stop bit (0/1 from `+comparison`, combined with `&`) multiplies the gradient
    // (a conditional, or `c ? 1 : 0`, compiles to a branch, and activations' signs are as good as random:
    // it mispredicts half the time, 2.5–3× slower on 6M elements); `+ 0` turns −0 into 0. As in tfjs's own
    // ReLU gradient (dy · step(x)), a NaN or infinite dy where the gate stops gives NaN.
    if (rule === 'deconvnet') {
      for (let i = 0; i < n; i++) {
        const d = g[i];
        out[i] = d * (+(xv[i] <= hi) & +(d > 0)) + 0;
      }
    } else if (rule === 'guided') {
      for (let i = 0; i < n; i++) {
        const v = xv[i];
        const d = g[i];
        out[i] = d * (+(loInclusive ? v >= lo : v > lo) & +(v <= hi) & +(d > 0)) + 0;
      }
    } else if (loInclusive) {
      for (let i = 0; i < n; i++) {
        const v = xv[i];
        out[i] = g[i] * (+(v >= lo) & +(v <= hi)) + 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = xv[i];
        out[i] = g[i] * (+(v > lo) & +(v <= hi)) + 0;
      }
    }
  }, false);
}

export const gradientKernels: KernelConfig[] = [
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseBackpropInputViaForward('wasm') as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'cpu', kernelFunc: depthwiseBackpropInputViaForward('cpu') as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv3DBackpropInputV2', backendName: 'wasm', kernelFunc: conv3dBackpropInputScatter as unknown as KernelConfig['kernelFunc'] },
  ...(['wasm', 'cpu'] as const).flatMap((backendName) => [
    { kernelName: GATE_GRAD, backendName, kernelFunc: gateGrad as unknown as KernelConfig['kernelFunc'] },
    { kernelName: 'ResizeBilinearGrad', backendName, kernelFunc: resizeBilinearAdjoint as unknown as KernelConfig['kernelFunc'] },
    { kernelName: 'ResizeNearestNeighborGrad', backendName, kernelFunc: resizeNearestAdjoint as unknown as KernelConfig['kernelFunc'] },
  ]),
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as KernelConfig['kernelFunc'] },
];

