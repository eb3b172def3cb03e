/**
 * Faster kernels for input gradients, swapped in by `withGradientRules` only while saliency-lab computes
 * gradients (gradient-rules.ts imports `fastKernels`; this module imports nothing but kernel-util). Each
 * gives the same numbers as tfjs's cpu kernel (to float rounding).
 *
 * - `Conv2DBackpropInput` (wasm): the input gradient of a convolution is itself a convolution, of the
 *   output gradient (zero-dilated when the stride is above 1, padded by `filter − 1 − pad`) with the
 *   filter flipped in space and with its in/out channels swapped. Composed from the backend's own
 *   `Conv2D` (XNNPACK), `Transpose`, `PadV2`, `Slice` and `Reshape` kernels (the filter is flipped in JS), it runs through the
 *   fast forward path: tfjs-backend-wasm's own kernel is a scalar loop, about 9× the forward `Conv2D`
 *   (FACTS.md). Pointwise and strided layers go through a matrix product instead (see the kernel). The
 *   transformed filter is made once per filter and kept while it lives (`sweepFilterCache`). Not
 *   registered on cpu, where both are scalar loops of the same cost.
 * - `MaxPoolGrad` (wasm and cpu): one pass over the windows in NHWC order with the channels innermost,
 *   routing each output gradient to the window's maximum. Exact ties go to the FIRST maximum in
 *   row-major window order, as tfjs's cpu kernel and PyTorch do; tfjs-backend-wasm's own kernel sends them
 *   to the last, so with it wasm and cpu disagree wherever a window holds equal values (ReLU zeros,
 *   saturated pixels). Handles every window, stride and padding; far faster than both originals.
 * - `Identity` and same-dtype `Cast` (wasm): aliases instead of copies (see aliasOrCast).
 */
import * as tf from '@tensorflow/tfjs';
import { Backend, free, Info, KernelConfig, output, run, transposedConvInput, Values, values } from './kernel-util';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface Conv2DBackpropInputAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dx = conv2d(dilate(dy, strides), flip(W)ᵀ, stride 1, pads (kh−1−top, ·)). Derivation (one axis, stride
 * s, forward y[o] = Σ_k x[o·s + k − top]·W[k]): dx[i] = Σ_{o,k: o·s+k−top=i} dy[o]·W[k]
 * = Σ_j dyDilated[i + j − (kh−1−top)]·W[kh−1−j], a stride-1 correlation with the flipped filter.
 */
export function conv2dBackpropInputViaConv2D(backendName: string, route: 'auto' | 'conv' | 'matmul' = 'auto', cache = true) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Conv2DBackpropInputAttrs }): Info => {
    const { dy, filter } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const channelsFirst = dataFormat === 'NCHW';
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
      channelsFirst ? 'channelsFirst' : 'channelsLast',
    );
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const cin = info.inChannels;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // A 1×1 convolution at stride 1 without padding is a matrix product, and strided layers go through a
    // matrix product and a scatter: the dilated gradient the convolution route reads is 3/4 zeros at
    // stride 2. CPU ms measured here (wasm): MobileNetV2's first layer (224², 3 → 32, stride 2) 2.6
    // against 9.0 by convolution (forward 0.9); 3×3 stride 2, 56² × 128 → 128: 11.6 against 34 (forward
    // 18). At stride 1 the convolution route is faster (3 → 32 at 224²: 8.8 against 13: the scatter's
    // inner loop is over 3 channels). Bounded in size (the patches are kh·kw·cin per output position).
    const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w;
    const viaMatMul = !channelsFirst && (route === 'matmul' || (route === 'auto' && (pointwise || sh > 1 || sw > 1)))
      && n * oh * ow * kh * kw * cin <= MATMUL_ROUTE_LIMIT;
    if (viaMatMul) return backpropInputViaMatMul(backend, backendName, dy, filter, { n, h, w, oh, ow, cin, cout, kh, kw, sh, sw, top, left, pointwise }, cache);
    const temps: Info[] = [];
    const keep = (t: Info) => (temps.push(t), t);
    try {
      const nhwc = channelsFirst ? keep(run(backend, backendName, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] })) : dy;
      const { g, pad: dxPad } = transposedConvInput(backend, backendName, nhwc, {
        n, h, w, oh, ow, c: cout, sh, sw, kh, kw, top: info.padInfo.top, left: info.padInfo.left,
      }, keep);
      const wT = transformedFilter(backend, filter, 'flipTranspose', () => flipTranspose(backend, filter), cache, keep);
      const dx = run(backend, backendName, 'Conv2D', { x: g, filter: wT }, {
        strides: [1, 1], pad: dxPad, dataFormat: 'NHWC',
        dilations: [1, 1], dimRoundingMode: undefined,
      });
      if (!channelsFirst) return dx;
      keep(dx);
      return run(backend, backendName, 'Transpose', { x: dx }, { perm: [0, 3, 1, 2] });
    } finally {
      free(backend, ...temps);
    }
  };
}

/** Most patch values (n·oh·ow·kh·kw·cin) the matrix-product route holds at once: 32 MB. */
const MATMUL_ROUTE_LIMIT = 8 * 1024 * 1024;

interface MatMulGeometry { n: number; h: number; w: number; oh: number; ow: number; cin: number; cout: number; kh: number; kw: number; sh: number; sw: number; top: number; left: number; pointwise: boolean }

/**
 * dx by patches: P = dy [n·oh·ow, cout] · Wᵀ, W read as [kh·kw·cin, cout] (Wᵀ made once per filter:
 * tfjs-backend-wasm's product with `transposeB` runs 5–10× slower than a plain one), one row of kh·kw·cin
 * values per output position, then each row added back where the forward pass read its patch (col2im):
 * dx[b, oy·sh + i − top, ox·sw + j − left, c] += P[(b, oy, ox), (i, j, c)]. A pointwise convolution's
 * patches are dx itself.
 */
function backpropInputViaMatMul(backend: Backend, backendName: string, dy: Info, filter: Info, g: MatMulGeometry, cache: boolean): Info {
  const { n, h, w, oh, ow, cin, cout, kh, kw, sh, sw, top, left, pointwise } = g;
  const k = kh * kw * cin;
  const temps: Info[] = [];
  const keep = (t: Info) => (temps.push(t), t);
  try {
    const a = keep(run(backend, backendName, 'Reshape', { x: dy }, { shape: [1, n * oh * ow, cout] }));
    const wT = transformedFilter(backend, filter, 'transpose', () => {
      const flat = run(backend, backendName, 'Reshape', { x: filter }, { shape: [1, k, cout] });
      try {
        return run(backend, backendName, 'Transpose', { x: flat }, { perm: [0, 2, 1] });
      } finally {
        free(backend, flat);
      }
    }, cache, keep);
    const patches = keep(run(backend, backendName, 'BatchMatMul', { a, b: wT }, { transposeA: false, transposeB: false }));
    if (pointwise) return run(backend, backendName, 'Reshape', { x: patches }, { shape: [n, h, w, cin] });
    return output(backend, [n, h, w, cin], (dx) => {
      // The view is taken after the output is allocated (an allocation can move wasm's heap).
      const p = values(backend, patches);
      let row = 0;
      for (let bi = 0; bi < n; bi++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++, row += k) {
            for (let i = 0; i < kh; i++) {
              const y = oy * sh + i - top;
              if (y < 0 || y >= h) continue;
              for (let j = 0; j < kw; j++) {
                const x = ox * sw + j - left;
                if (x < 0 || x >= w) continue;
                const src = row + (i * kw + j) * cin;
                const dst = ((bi * h + y) * w + x) * cin;
                for (let c = 0; c < cin; c++) dx[dst + c] += p[src + c];
              }
            }
          }
        }
      }
    });
  } finally {
    free(backend, ...temps);
  }
}

/**
 * Filters as the input-gradient routes need them (flipped and transposed, or transposed), made once per
 * filter and kept while the filter lives: a model's weights serve every gradient, and the backend also
 * keeps what it prepared for a filter it has seen (XNNPACK's packed weights), which a new copy per call
 * would redo (2–4 ms for a 1×1 convolution of 960 → 320 channels, more than its product). Entries are
 * keyed by the source's data: new weights (setWeights, assign) are new data and so new entries. Entries
 * whose source is gone are freed by `sweepFilterCache` (at the start of every gradient computation);
 * at most FILTER_CACHE_LIMIT bytes are kept, beyond that a transformed filter is made per call.
 */
interface CachedFilter { backend: Backend; info: Info; bytes: number }
const filterCache = new Map<tf.DataId, Map<string, CachedFilter>>();
let cachedBytes = 0;
const FILTER_CACHE_LIMIT = 256 * 1024 * 1024;

function transformedFilter(backend: Backend, filter: Info, kind: string, make: () => Info, cache: boolean, keep: (t: Info) => Info): Info {
  if (!cache) return keep(make());
  const hit = filterCache.get(filter.dataId)?.get(kind);
  if (hit && hit.backend === backend) return hit.info;
  const info = make();
  const bytes = 4 * info.shape.reduce((a, d) => a * d, 1);
  if (cachedBytes + bytes > FILTER_CACHE_LIMIT) sweepFilterCache();
  if (cachedBytes + bytes > FILTER_CACHE_LIMIT) return keep(info);
  let kinds = filterCache.get(filter.dataId);
  if (!kinds) filterCache.set(filter.dataId, (kinds = new Map()));
  const old = kinds.get(kind);
  if (old) dropCached(old);
  kinds.set(kind, { backend, info, bytes });
  cachedBytes += bytes;
  return info;
}

function dropCached(entry: CachedFilter): void {
  cachedBytes -= entry.bytes;
  try {
    entry.backend.disposeData(entry.info.dataId);
  } catch {
    // A backend that was removed has freed everything it held.
  }
}

/**
 * Frees the transformed filters whose source filter no longer lives on its backend (or every one, with
 * `all`). Returns how many remain.
 */
export function sweepFilterCache(all = false): number {
  for (const [source, kinds] of filterCache) {
    for (const [kind, entry] of kinds) {
      let alive = false;
      try {
        alive = !all && entry.backend.refCount(source) > 0;
      } catch {
        alive = false;
      }
      if (!alive) {
        dropCached(entry);
        kinds.delete(kind);
      }
    }
    if (kinds.size === 0) filterCache.delete(source);
  }
  let left = 0;
  for (const kinds of filterCache.values()) left += kinds.size;
  return left;
}

/**
 * The filter [kh,kw,cin,cout] flipped in space with in/out channels swapped: out[i,j,o,c] =
 * W[kh−1−i, kw−1−j, c, o]. One pass in JS: the backend's Reverse + Transpose take ~10× longer on wasm.
 */
function flipTranspose(backend: Backend, filter: Info): Info {
  const [kh, kw, cin, cout] = filter.shape;
  return output(backend, [kh, kw, cout, cin], (out) => {
    const w = values(backend, filter);
    const taps = kh * kw;
    let k = 0;
    for (let tap = 0; tap < taps; tap++) {
      const src = (taps - 1 - tap) * cin * cout;
      for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) out[k++] = w[src + c * cout + o];
    }
  });
}

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * MaxPoolGrad: each output gradient goes to the first maximum of its window (row-major), windows that
 * overlap adding up, as tfjs's cpu kernel does. A window holding only −∞ (or NaN) passes nothing.
 */
export function maxPoolGradFirstMax({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: MaxPoolGradAttrs }): Info {
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const twoByTwo = fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w;
  // The 2×2 loop writes every element its windows cover; only rows or columns left over need zeros.
  const coversAll = twoByTwo && 2 * oh === h && 2 * ow === w;
  return output(backend, input.shape, (dx) => {
    // Views on wasm's heap are taken after the output is allocated (an allocation can move the heap).
    const x = values(backend, input);
    const g = values(backend, dy);
    if (twoByTwo) {
      maxPool2x2Grad(x, g, dx, n, h, w, c, oh, ow);
      return;
    }
    const best = new Float64Array(c);
    const at = new Int32Array(c);
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        const y0 = oy * sh - top;
        const yLo = Math.max(y0, 0);
        const yHi = Math.min(y0 + fh, h);
        for (let ox = 0; ox < ow; ox++) {
          const x0 = ox * sw - left;
          const xLo = Math.max(x0, 0);
          const xHi = Math.min(x0 + fw, w);
          best.fill(-Infinity);
          at.fill(-1);
          for (let yy = yLo; yy < yHi; yy++) {
            for (let xx = xLo; xx < xHi; xx++) {
              const base = ((b * h + yy) * w + xx) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = x[base + ch];
                if (v > best[ch]) {
                  best[ch] = v;
                  at[ch] = base + ch;
                }
              }
            }
          }
          const gBase = ((b * oh + oy) * ow + ox) * c;
          for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[gBase + ch];
        }
      }
    }
  }, !coversAll);
}

/**
 * The common 2×2/2 pooling without padding, unrolled: writes all four elements of each window (no
 * zero-fill pass, no scatter); about twice the speed of the general loop.
 */
function maxPool2x2Grad(x: Values, g: Values, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  let gi = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      let i0 = (b * h + 2 * oy) * row;
      for (let ox = 0; ox < ow; ox++, i0 += 2 * c) {
        for (let ch = 0; ch < c; ch++, gi++) {
          const p0 = i0 + ch;
          const p1 = p0 + c;
          const p2 = p0 + row;
          const p3 = p2 + c;
          let m = -Infinity;
          let at = -1;
          if (x[p0] > m) (m = x[p0]), (at = p0);
          if (x[p1] > m) (m = x[p1]), (at = p1);
          if (x[p2] > m) (m = x[p2]), (at = p2);
          if (x[p3] > m) (m = x[p3]), (at = p3);
          const v = g[gi];
          dx[p0] = at === p0 ? v : 0;
          dx[p1] = at === p1 ? v : 0;
          dx[p2] = at === p2 ? v : 0;
          dx[p3] = at === p3 ? v : 0;
        }
      }
    }
  }
}

/**
 * `Identity`, and `Cast` to the same dtype, as an alias of the input's data (one more reference, no copy),
 * as the cpu and webgl backends do; tfjs-backend-wasm copies. While gradients are recorded, tfjs clones
 * (Identity) every input and output it saves for the backward pass, and the ReLU rule casts its input: on
 * wasm that copied every activation twice per gradient (about 0.4 forward passes at 224×224). Tensor data
 * is never written after it is made, so sharing it is safe. Other casts do what the wasm kernel does.
 */
function aliasOrCast({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: { dtype?: tf.DataType } }): Info {
  const { x } = inputs;
  const dtype = attrs?.dtype ?? x.dtype;
  const b = backend as unknown as {
    incRef(id: tf.DataId): void;
    makeOutput(shape: number[], dtype: tf.DataType): Info;
    typedArrayFromHeap(t: Info): Values;
  };
  if (dtype === x.dtype) {
    b.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  }
  const out = b.makeOutput(x.shape, dtype);
  b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x));
  return out;
}

export const fastKernels: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInputViaConv2D('wasm') as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradFirstMax as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'MaxPoolGrad', backendName: 'cpu', kernelFunc: maxPoolGradFirstMax as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: aliasOrCast as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Cast', backendName: 'wasm', kernelFunc: aliasOrCast as unknown as KernelConfig['kernelFunc'] },
];

