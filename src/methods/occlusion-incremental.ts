/**
 * Incremental occlusion (Krypton: Nakandala, Kumar and Papakonstantinou, SIGMOD 2019, "Incremental and
 * Approximate Inference for Faster Occlusion-based Deep CNN Explanations"): the clean image's activation
 * of every layer is kept, and for each occluded image only the window of each layer's output that the
 * occluding patch can change (its projective field) is recomputed, read from the clean activation
 * elsewhere. Batched over window positions: at each layer the changed windows of a batch share one size
 * (the largest, shifted inside the map), each image at its own offset.
 *
 * Local layers (recomputed over the changed window only): Conv2D, DepthwiseConv2D, SeparableConv2D (any
 * kernel, stride, dilation, 'same' or 'valid' padding), MaxPooling2D ('same' or 'valid'),
 * AveragePooling2D ('valid'), ZeroPadding2D, per-pixel layers (BatchNormalization on the channel axis,
 * Activation, ReLU, LeakyReLU, ELU, ThresholdedReLU, Softmax on the channel axis, Dropout and the noise
 * layers, which are the identity at inference), and element-wise merges (Add, Multiply, Average, Maximum,
 * Minimum, Concatenate on the channel axis: the changed window is the union of the inputs'; an input
 * changed in full, such as a squeeze-and-excite scale, makes the output change in full). Any other
 * layer (Flatten, global pooling, Dense, 'same' average pooling, a nested model, ...) gets its inputs in
 * full (clean activation with the changed window pasted in) and is recomputed in full, and so is every
 * layer after it that reads it: results are the same, only the saving stops there.
 *
 * Models the walker cannot follow at all run plain occlusion (`incrementalSupport` says why): models
 * that are not a tf.LayersModel (GraphModels and functions), several inputs or outputs, a layer with
 * several outputs, or a layer applied more than once within the model.
 */
import * as tf from '@tensorflow/tfjs';
import { applyLayer } from '../models/keras';
import { isLayersModel } from '../models/kind';
import type { Model } from '../models/types';
import { rowSelector } from './common';
import type { OcclusionContext, OcclusionEvaluator, OcclusionPlan } from './occlusion';

interface SymbolicRef {
  id: number;
  shape: (number | null)[];
}
interface LayerNode {
  inputTensors: SymbolicRef[];
  outputTensors: SymbolicRef[];
}
type AnyLayer = tf.layers.Layer & Record<string, unknown> & { inboundNodes: LayerNode[] };

/** How one layer maps a changed window of its input to one of its output, per spatial axis. */
interface Geometry {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** 'same': padding before as tf computes it; 'valid': none; ZeroPadding2D: its top/left padding. */
  padding: 'same' | 'valid' | [number, number];
  /** Value of the padding read outside the input: 0, or −∞ for max pooling. */
  padValue: number;
  /** Call the layer with its padding set to 'valid' (the window comes padded). */
  asValid: boolean;
  /** The layer does nothing but pad: the padded window is its output. */
  identity: boolean;
}

type Step =
  | { kind: 'local'; layer: AnyLayer; input: number; output: number; geometry: Geometry }
  | { kind: 'merge'; layer: AnyLayer; inputs: number[]; output: number }
  | { kind: 'full'; layer: AnyLayer; inputs: number[]; output: number; isOutput: boolean };

/** The model as steps over its symbolic tensors, or why it cannot be walked. */
export interface IncrementalStructure {
  input: number;
  output: number;
  steps: Step[];
}

const PER_PIXEL = new Set([
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
]);
const MERGES = new Set(['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);
const CONVS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function channelAxisLast(layer: AnyLayer, rank: number): boolean {
  const axis = layer.axis;
  if (axis === undefined) return true;
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : NaN) : axis;
  return a === -1 || a === rank - 1;
}

/** The geometry of a local layer, or null when it has to be recomputed in full. */
function geometryOf(layer: AnyLayer, rank: number): Geometry | null {
  if (rank !== 4) return null;
  const cls = layer.getClassName();
  if (layer.dataFormat !== undefined && layer.dataFormat !== 'channelsLast') return null;
  const base = { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: 'valid', padValue: 0, asValid: false, identity: false } as Geometry;
  if (PER_PIXEL.has(cls)) return channelAxisLast(layer, rank) ? base : null;
  if (CONVS.has(cls)) {
    const padding = layer.padding;
    if (padding !== 'same' && padding !== 'valid') return null;
    return { ...base, kernel: pair(layer.kernelSize), stride: pair(layer.strides), dilation: pair(layer.dilationRate ?? 1), padding, asValid: padding === 'same' };
  }
  if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
    const padding = layer.padding;
    if (padding !== 'valid' && !(padding === 'same' && cls === 'MaxPooling2D')) return null;
    return { ...base, kernel: pair(layer.poolSize), stride: pair(layer.strides), padding, padValue: padding === 'same' ? -Infinity : 0, asValid: padding === 'same' };
  }
  if (cls === 'ZeroPadding2D') {
    const p = layer.padding as [[number, number], [number, number]];
    return { ...base, padding: [p[0][0], p[1][0]], identity: true };
  }
  return null;
}

/** The model's steps, or a sentence saying why incremental occlusion cannot follow it. */
export function incrementalStructure(model: Model): IncrementalStructure | string {
  if (!isLayersModel(model)) return 'incremental occlusion needs a tf.LayersModel (GraphModels and functions run plain occlusion)';
  const m = model as tf.LayersModel;
  if (m.inputs.length !== 1 || m.outputs.length !== 1) return 'incremental occlusion needs a model with one input and one output';
  const input = (m.inputs[0] as unknown as SymbolicRef).id;
  const output = (m.outputs[0] as unknown as SymbolicRef).id;
  const known = new Map<number, number>([[input, m.inputs[0].shape.length]]);
  const steps: Step[] = [];
  for (const layer of m.layers as AnyLayer[]) {
    if (layer.getClassName() === 'InputLayer') continue;
    const uses = (layer.inboundNodes ?? []).filter((n) => (n as unknown as { inboundLayers: unknown[] }).inboundLayers.length > 0);
    if (uses.length > 1) return `incremental occlusion cannot follow layer "${layer.name}" (applied more than once)`;
    const nodes = (layer.inboundNodes ?? []).filter((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => known.has(t.id)));
    if (nodes.length !== 1) return `incremental occlusion cannot follow layer "${layer.name}" (applied ${nodes.length === 0 ? 'to tensors outside the model' : 'more than once'})`;
    const node = nodes[0];
    if (node.outputTensors.length !== 1) return `incremental occlusion cannot follow layer "${layer.name}" (several outputs)`;
    const out = node.outputTensors[0];
    const inputs = node.inputTensors.map((t) => t.id);
    const ranks = node.inputTensors.map((t) => t.shape.length);
    known.set(out.id, out.shape.length);
    const cls = layer.getClassName();
    const geometry = inputs.length === 1 ? geometryOf(layer, ranks[0]) : null;
    if (geometry && out.shape.length === 4) steps.push({ kind: 'local', layer, input: inputs[0], output: out.id, geometry });
    else if (MERGES.has(cls) && ranks.every((r) => r === 4) && out.shape.length === 4 && channelAxisLast(layer, 4)) steps.push({ kind: 'merge', layer, inputs, output: out.id });
    else steps.push({ kind: 'full', layer, inputs, output: out.id, isOutput: out.id === output });
  }
  if (!known.has(output)) return 'incremental occlusion could not reach the model output';
  return { input, output, steps };
}

/** Why a model runs plain occlusion under `algorithm: 'auto'`, or null when it runs incrementally. */
export function incrementalUnsupported(model: Model): string | null {
  const s = incrementalStructure(model);
  return typeof s === 'string' ? s : null;
}

/** The occluded images [start, end) of a plan, or of `order` (a list of them) when given. */
export function occludedRows(start: number, end: number, order?: readonly number[]): number[] {
  return Array.from({ length: end - start }, (_, i) => (order ? order[start + i] : start + i));
}

/** One tensor's value in a batch: all of it, or a changed window of a fixed size at per-image offsets. */
interface State {
  /** `[B,...]` when full; `[B,h,w,C]` otherwise. */
  t: tf.Tensor;
  full: boolean;
  r0: number[];
  c0: number[];
  h: number;
  w: number;
}

/** padBefore of one axis, as tf computes 'same' padding. */
function padBefore(size: number, kernel: number, stride: number, dilation: number, padding: Geometry['padding'], axis: 0 | 1): number {
  if (Array.isArray(padding)) return padding[axis];
  if (padding === 'valid') return 0;
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size) / 2);
}

/**
 * Per image, the output range changed by input range [a, a + len) along one axis, as one size for the
 * batch (the largest, at most `cap`; starts shifted so that the range stays inside [0, outSize)), and
 * the input range needed to compute it. A range longer than `cap` (projective-field threshold) is cut to
 * `cap`, centred on the exact range: the cut-off values are taken as unchanged (an approximation).
 */
function propagate(a: number[], len: number, k: number, s: number, d: number, pb: number, outSize: number, cap = Infinity): { o0: number[]; out: number; i0: number[]; inLen: number } {
  let lo = a.map((v) => Math.max(0, Math.ceil((v + pb - (k - 1) * d) / s)));
  const hi = a.map((v) => Math.min(outSize, Math.floor((v + len - 1 + pb) / s) + 1));
  let out = Math.max(1, ...lo.map((l, i) => hi[i] - l));
  if (out > cap) {
    out = Math.max(1, cap);
    lo = lo.map((l, i) => (hi[i] - l > out ? Math.floor((l + hi[i] - out) / 2) : l));
  }
  const o0 = lo.map((l) => Math.max(0, Math.min(l, outSize - out)));
  return { o0, out, i0: o0.map((o) => o * s - pb), inLen: (out - 1) * s + (k - 1) * d + 1 };
}

/** Shifts a range start so that [start, start + len) stays inside [0, size). */
const inside = (start: number, len: number, size: number) => Math.max(0, Math.min(start, size - len));

/** One pixel of padding on each side of the height and the width. */
const PAD1: [number, number][] = [[0, 0], [1, 1], [1, 1], [0, 0]];

/**
 * A box a hundredth of a pixel longer than the crop: a scale of exactly 1 takes a shortcut in the wasm
 * kernel (tfjs 4.22) that reads columns from 0, ignoring the box's left edge; nearest-neighbour sampling
 * still lands on the same pixels.
 */
const SKEW = 0.01;

/**
 * Per image b, rows [i0[b], i0[b] + h) × columns [j0[b], j0[b] + w) of image `boxInd[b]` of `src`, a map
 * padded by one pixel of `fill` on each side (coordinates are those of the unpadded map), `[B,h,w,C]`,
 * `fill` outside. One cropAndResize with nearest-neighbour sampling at whole-pixel coordinates: a copy,
 * fast on every backend (wasm's gather, slice and tile are not), and exact: the one-pixel border makes a
 * sample that float rounding puts a hair outside the map read `fill` either way. Inside tf.tidy.
 */
function crop(src: tf.Tensor4D, boxInd: number[], i0: number[], j0: number[], h: number, w: number, fill: number): tf.Tensor4D {
  const b = boxInd.length;
  const dy = src.shape[1] - 1;
  const dx = src.shape[2] - 1;
  const boxes = new Float32Array(4 * b);
  for (let i = 0; i < b; i++) boxes.set([(i0[i] + 1) / dy, (j0[i] + 1) / dx, (i0[i] + h + SKEW) / dy, (j0[i] + w + SKEW) / dx], 4 * i);
  return tf.image.cropAndResize(src, tf.tensor2d(boxes, [b, 4]), tf.tensor1d(boxInd, 'int32'), [h, w], 'nearest', fill);
}

/**
 * The window [i0, i0 + hin) × [j0, j0 + win) of a state, per image, `[B,hin,win,C]`: the changed values
 * inside the image's changed window, the clean activation elsewhere (`padded`: `[N,H+2,W+2,C]`, the clean
 * activation with one pixel of `padValue` around it), `padValue` outside the map. Inside tf.tidy.
 */
function windowOf(state: State, padded: tf.Tensor4D, items: number[], i0: number[], j0: number[], hin: number, win: number, padValue: number): tf.Tensor4D {
  const [, ph, pw] = padded.shape;
  const [height, width] = [ph - 2, pw - 2];
  const b = items.length;
  const own = items.map((_, i) => i);
  if (state.full) {
    if (hin === height && win === width && i0.every((v) => v === 0) && j0.every((v) => v === 0)) return state.t as tf.Tensor4D;
    return crop(tf.pad(state.t as tf.Tensor4D, PAD1, padValue), own, i0, j0, hin, win, padValue);
  }
  // The changed window itself (a per-pixel layer, a 1×1 convolution): nothing to paste.
  if (hin === state.h && win === state.w && i0.every((v, i) => v === state.r0[i]) && j0.every((v, i) => v === state.c0[i])) return state.t as tf.Tensor4D;
  // keep: 1 where the window reads the clean activation (or the padding), 0 inside the changed window.
  const keep = new Float32Array(b * hin * win);
  let k = 0;
  let kept = 0;
  for (let i = 0; i < b; i++) {
    for (let y = i0[i]; y < i0[i] + hin; y++) {
      const rowIn = y >= state.r0[i] && y < state.r0[i] + state.h;
      for (let x = j0[i]; x < j0[i] + win; x++, k++) {
        const changed = rowIn && x >= state.c0[i] && x < state.c0[i] + state.w;
        keep[k] = changed ? 0 : 1;
        kept += changed ? 0 : 1;
      }
    }
  }
  if (kept === keep.length) return crop(padded, items, i0, j0, hin, win, padValue);
  const changed = crop(tf.pad(state.t as tf.Tensor4D, PAD1, 0), own, i0.map((v, i) => v - state.r0[i]), j0.map((v, i) => v - state.c0[i]), hin, win, 0);
  if (kept === 0) return changed;
  // clean × 1 + 0 outside the changed window, clean × 0 + changed inside: exact (the clean values read
  // inside the changed window lie in the map, so are finite, even where the padding is −∞).
  return tf.add(tf.mul(crop(padded, items, i0, j0, hin, win, padValue), tf.tensor4d(keep, [b, hin, win, 1])), changed);
}

const fullState = (t: tf.Tensor): State => ({ t, full: true, r0: [], c0: [], h: 0, w: 0 });

/** The clean activations an evaluator keeps: each 4-D one padded by one pixel of 0 (`zero`), and of −∞ where max pooling with 'same' padding reads it (`negInf`). */
interface CleanMaps {
  zero: Map<number, tf.Tensor4D>;
  negInf: Map<number, tf.Tensor4D>;
}

/** The padded clean activation of a tensor for a pad value. */
function cleanOf(clean: CleanMaps, id: number, padValue: number): tf.Tensor4D {
  return (padValue === 0 ? clean.zero : clean.negInf).get(id) as tf.Tensor4D;
}

/** Approximation settings of the incremental evaluator. */
export interface IncrementalApproximation {
  /** Projective-field threshold τ in (0, 1]: a layer's changed window is at most ⌈τ · side⌉ along each axis. Null: exact. */
  tau: number | null;
}

/** Runs the steps on a batch whose input is `start`; fills `cleanOut` (the activations, unpadded) when given. Inside tf.tidy. */
function walk(s: IncrementalStructure, start: State, items: number[], clean: CleanMaps | null, preSoftmax: boolean, approx: IncrementalApproximation, cleanOut?: Map<number, tf.Tensor>): tf.Tensor {
  const states = new Map<number, State>([[s.input, start]]);
  const full = (id: number): tf.Tensor => {
    const st = states.get(id) as State;
    if (st.full) return st.t;
    const c = cleanOf(clean as CleanMaps, id, 0);
    return windowOf(st, c, items, items.map(() => 0), items.map(() => 0), c.shape[1] - 2, c.shape[2] - 2, 0);
  };
  for (const step of s.steps) {
    let next: State;
    if (step.kind === 'full') {
      const ins = step.inputs.map(full);
      next = fullState(applyLayer(step.layer, ins.length === 1 ? ins[0] : ins, preSoftmax && step.isOutput));
    } else if (step.kind === 'local') {
      const st = states.get(step.input) as State;
      if (st.full) next = fullState(applyLayer(step.layer, st.t, false));
      else {
        const { kernel, stride, dilation, padding, padValue, asValid, identity } = step.geometry;
        const c = cleanOf(clean as CleanMaps, step.input, padValue);
        const [height, width] = [c.shape[1] - 2, c.shape[2] - 2];
        const outShape = cleanOf(clean as CleanMaps, step.output, 0).shape;
        const [outH, outW] = [outShape[1] - 2, outShape[2] - 2];
        const cap = (side: number) => (approx.tau === null ? Infinity : Math.ceil(approx.tau * side));
        const rows = propagate(st.r0, st.h, kernel[0], stride[0], dilation[0], padBefore(height, kernel[0], stride[0], dilation[0], padding, 0), outH, cap(outH));
        const cols = propagate(st.c0, st.w, kernel[1], stride[1], dilation[1], padBefore(width, kernel[1], stride[1], dilation[1], padding, 1), outW, cap(outW));
        const win = windowOf(st, c, items, rows.i0, cols.i0, rows.inLen, cols.inLen, padValue);
        const t = identity ? win : applyLayer(step.layer, win, false, asValid);
        // A window that covers the whole map is the full activation: no more windows from here on.
        next = rows.out === outH && cols.out === outW ? fullState(t) : { t, full: false, r0: rows.o0, c0: cols.o0, h: rows.out, w: cols.out };
      }
    } else {
      const sts = step.inputs.map((id) => states.get(id) as State);
      // An input changed in full (one that broadcasts, such as a squeeze-and-excite scale, included)
      // changes the whole output.
      if (sts.some((st) => st.full)) next = fullState(applyLayer(step.layer, step.inputs.map(full), false));
      else {
        const outShape = cleanOf(clean as CleanMaps, step.output, 0).shape;
        const [height, width] = [outShape[1] - 2, outShape[2] - 2];
        // The union of the inputs' changed windows.
        const box = items.map((_, i) => {
          let [y0, y1, x0, x1] = [height, 0, width, 0];
          for (const st of sts) {
            const [a, b, c, d] = [st.r0[i], st.r0[i] + st.h, st.c0[i], st.c0[i] + st.w];
            [y0, y1, x0, x1] = [Math.min(y0, a), Math.max(y1, b), Math.min(x0, c), Math.max(x1, d)];
          }
          return [y0, y1, x0, x1];
        });
        const h = Math.max(...box.map((q) => q[1] - q[0]));
        const w = Math.max(...box.map((q) => q[3] - q[2]));
        const r0 = box.map((q) => inside(q[0], h, height));
        const c0 = box.map((q) => inside(q[2], w, width));
        const ins = step.inputs.map((id, j) => windowOf(sts[j], cleanOf(clean as CleanMaps, id, 0), items, r0, c0, h, w, 0));
        const t = applyLayer(step.layer, ins, false);
        next = h === height && w === width ? fullState(t) : { t, full: false, r0, c0, h, w };
      }
    }
    states.set(step.output, next);
    if (cleanOut) cleanOut.set(step.output, tf.keep(next.t));
  }
  return full(s.output);
}

/** An incremental evaluator and what frees the clean activations it keeps. */
export interface IncrementalEvaluator {
  evaluate: OcclusionEvaluator;
  dispose(): void;
}

/**
 * An OcclusionEvaluator that computes drops incrementally (see the file comment), for a model that
 * `incrementalStructure` accepts; exact unless `approx.tau` is set. It keeps the clean activations of
 * the last context it saw until the next context or `dispose()`.
 */
export function incrementalEvaluator(structure: IncrementalStructure, approx: IncrementalApproximation = { tau: null }): IncrementalEvaluator {
  let seen: OcclusionContext | null = null;
  let clean: CleanMaps = { zero: new Map(), negInf: new Map() };
  let baseline: tf.Tensor4D | null = null;
  let seenPlan: OcclusionPlan | null = null;
  const release = () => {
    tf.dispose([...clean.zero.values(), ...clean.negInf.values(), ...(baseline ? [baseline] : [])]);
    clean = { zero: new Map(), negInf: new Map() };
    baseline = null;
    seen = null;
    seenPlan = null;
  };
  const prepare = (context: OcclusionContext, plan: OcclusionPlan) => {
    if (seen === context && seenPlan === plan) return;
    release();
    const { x } = context;
    const out = new Map<number, tf.Tensor>([[structure.input, x]]);
    tf.tidy(() => {
      walk(structure, fullState(x), Array.from({ length: x.shape[0] }, (_, i) => i), null, context.forward.preSoftmax ?? true, approx, out);
    });
    const negInf = new Set(structure.steps.flatMap((st) => (st.kind === 'local' && st.geometry.padValue !== 0 ? [st.input] : [])));
    tf.tidy(() => {
      for (const [id, t] of out) {
        if (t.rank !== 4) continue;
        clean.zero.set(id, tf.keep(tf.pad(t as tf.Tensor4D, PAD1, 0)));
        if (negInf.has(id)) clean.negInf.set(id, tf.keep(tf.pad(t as tf.Tensor4D, PAD1, -Infinity)));
      }
    });
    tf.dispose([...out.values()].filter((t) => t !== x));
    baseline = tf.keep(tf.tidy(() => tf.pad(tf.broadcastTo(plan.baseline, x.shape) as tf.Tensor4D, PAD1, 0)));
    seen = context;
    seenPlan = plan;
  };
  const evaluate: OcclusionEvaluator = (context, plan, start, end, order) => {
    prepare(context, plan);
    const { where, x, target } = context;
    const [, height, width] = x.shape;
    const pw = plan.colSpans.length;
    const rows = occludedRows(start, end, order);
    const items = rows.map((r) => Math.floor(r / plan.positions));
    const spanR = rows.map((r) => plan.rowSpans[Math.floor((r % plan.positions) / pw)]);
    const spanC = rows.map((r) => plan.colSpans[r % pw]);
    const h = Math.max(...spanR.map(([a, b]) => b - a));
    const w = Math.max(...spanC.map(([a, b]) => b - a));
    const r0 = spanR.map(([a]) => inside(a, h, height));
    const c0 = spanC.map(([a]) => inside(a, w, width));
    const mask = new Float32Array(rows.length * h * w);
    let k = 0;
    for (let i = 0; i < rows.length; i++) {
      for (let y = r0[i]; y < r0[i] + h; y++) {
        for (let xx = c0[i]; xx < c0[i] + w; xx++, k++) mask[k] = y >= spanR[i][0] && y < spanR[i][1] && xx >= spanC[i][0] && xx < spanC[i][1] ? 1 : 0;
      }
    }
    return tf.tidy(() => {
      const b = rows.length;
      // The same arithmetic as the standard evaluator's x + mask · (baseline − x), on the window only.
      const xr = crop(clean.zero.get(structure.input) as tf.Tensor4D, items, r0, c0, h, w, 0);
      const br = crop(baseline as tf.Tensor4D, items, r0, c0, h, w, 0);
      const occluded = tf.add(xr, tf.mul(tf.tensor4d(mask, [b, h, w, 1]), tf.sub(br, xr)));
      const first: State = h === height && w === width ? fullState(occluded) : { t: occluded, full: false, r0, c0, h, w };
      const y = walk(structure, first, items, clean, context.forward.preSoftmax ?? true, approx);
      const scores = rowSelector(where, target, items)(y.rank === 2 ? (y as tf.Tensor2D) : tf.reshape(y, [b, -1]) as tf.Tensor2D);
      return tf.sub(tf.gather(context.clean, items), scores) as tf.Tensor1D;
    });
  };
  return { evaluate, dispose: release };
}

/** One layer's changed window for one occluding patch (see `changedWindows`). */
export interface ChangedWindow {
  layer: string;
  /** The layer's output height and width. */
  size: [number, number];
  /** The changed window: top row, left column, height, width; the whole map once `full`. */
  window: [number, number, number, number];
  /** The layer is recomputed in full from here on (the window covers the map, or the layer is not windowed). */
  full: boolean;
}

/**
 * The changed window of each layer's output when the input rows [top, top + patch[0]) × columns
 * [left, left + patch[1]) are occluded, as the incremental evaluator computes it (with `tau`, Krypton's
 * threshold, as `approximate.tau`): for pictures and documentation. Throws a plain Error on a model that
 * cannot be walked (see `incrementalUnsupported`).
 */
export function changedWindows(model: Model, patch: [number, number], top: number, left: number, tau: number | null = null): ChangedWindow[] {
  const s = incrementalStructure(model);
  if (typeof s === 'string') throw new Error(s);
  type Box = { r0: number; c0: number; h: number; w: number; full: boolean };
  const boxes = new Map<number, Box>([[s.input, { r0: top, c0: left, h: patch[0], w: patch[1], full: false }]]);
  const shapes = new Map<number, number[]>();
  const m = model as tf.LayersModel;
  shapes.set(s.input, m.inputs[0].shape as number[]);
  const out: ChangedWindow[] = [];
  for (const step of s.steps) {
    const shape = step.layer.outputShape as number[];
    shapes.set(step.output, shape);
    const [height, width] = shape.length === 4 ? [shape[1], shape[2]] : [1, 1];
    const whole: Box = { r0: 0, c0: 0, h: height, w: width, full: true };
    let box: Box;
    if (step.kind === 'full') box = whole;
    else if (step.kind === 'local') {
      const b = boxes.get(step.input) as Box;
      const inShape = shapes.get(step.input) as number[];
      if (b.full) box = whole;
      else {
        const { kernel, stride, dilation, padding } = step.geometry;
        const cap = (side: number) => (tau === null ? Infinity : Math.ceil(tau * side));
        const rows = propagate([b.r0], b.h, kernel[0], stride[0], dilation[0], padBefore(inShape[1], kernel[0], stride[0], dilation[0], padding, 0), height, cap(height));
        const cols = propagate([b.c0], b.w, kernel[1], stride[1], dilation[1], padBefore(inShape[2], kernel[1], stride[1], dilation[1], padding, 1), width, cap(width));
        box = rows.out === height && cols.out === width ? whole : { r0: rows.o0[0], c0: cols.o0[0], h: rows.out, w: cols.out, full: false };
      }
    } else {
      const bs = step.inputs.map((id) => boxes.get(id) as Box);
      if (bs.some((b) => b.full)) box = whole;
      else {
        const [y0, y1] = [Math.min(...bs.map((b) => b.r0)), Math.max(...bs.map((b) => b.r0 + b.h))];
        const [x0, x1] = [Math.min(...bs.map((b) => b.c0)), Math.max(...bs.map((b) => b.c0 + b.w))];
        box = y1 - y0 === height && x1 - x0 === width ? whole : { r0: y0, c0: x0, h: y1 - y0, w: x1 - x0, full: false };
      }
    }
    boxes.set(step.output, box);
    out.push({ layer: step.layer.name, size: [height, width], window: [box.r0, box.c0, box.h, box.w], full: box.full });
  }
  return out;
}
