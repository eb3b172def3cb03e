/**
 * An independent float64 reference: a plain-JS interpreter of small Sequential CNNs, with forward passes
 * and hand-written backward passes, used to check the methods against their definitions.
 *
 * Supports Conv2D (same/valid, any stride, fused relu/linear/softmax), MaxPooling2D (ties go to the first
 * element in row-major window order, as tfjs's cpu backend and PyTorch), AveragePooling2D (same padding
 * divides by the count of real pixels, as the tfjs forward pass), GlobalAveragePooling2D, Flatten, Dense,
 * ReLU / Activation('relu'|'softmax'|'linear') / Softmax layers.
 */
import * as tf from '@tensorflow/tfjs';

/** A single item's activation: `[h,w,c]` (or `[1,1,c]` for vectors) in row-major HWC order. */
export interface T3 {
  h: number;
  w: number;
  c: number;
  d: Float64Array;
}

export type ReluRule = 'standard' | 'guided' | 'deconvnet';

export const t3 = (h: number, w: number, c: number, d?: Float64Array): T3 => ({ h, w, c, d: d ?? new Float64Array(h * w * c) });

/** Item `n` of a [N,H,W,C] tensor as a T3. */
export async function itemOf(x: tf.Tensor, n: number): Promise<T3> {
  const [, h, w, c] = x.shape;
  const all = await x.data();
  const size = h * w * c;
  return t3(h, w, c, Float64Array.from(all.subarray(n * size, (n + 1) * size)));
}

type Act = 'relu' | 'linear' | 'softmax';

interface Op {
  name: string;
  kind: 'conv' | 'maxpool' | 'avgpool' | 'gap' | 'flatten' | 'dense' | 'act';
  act: Act;
  kh?: number; kw?: number; sh?: number; sw?: number; same?: boolean;
  W?: Float64Array; b?: Float64Array | null; cin?: number; cout?: number;
}

function outSize(inSize: number, k: number, s: number, same: boolean): [number, number] {
  if (same) {
    const out = Math.ceil(inSize / s);
    const total = Math.max((out - 1) * s + k - inSize, 0);
    return [out, Math.floor(total / 2)];
  }
  return [Math.floor((inSize - k) / s) + 1, 0];
}

function actName(layer: tf.layers.Layer): Act {
  const a = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  const n = a ? a.getClassName() : 'linear';
  if (n !== 'relu' && n !== 'linear' && n !== 'softmax') throw new Error(`reference: unsupported activation ${n}`);
  return n;
}

export class RefNet {
  private constructor(private readonly ops: Op[]) {}

  static async fromModel(model: tf.LayersModel): Promise<RefNet> {
    const ops: Op[] = [];
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const cfg = layer.getConfig() as Record<string, unknown>;
      const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);
      if (cls === 'InputLayer') continue;
      if (cls === 'Conv2D') {
        const [kw0, kb] = layer.getWeights();
        const [kh, kw] = pair(cfg.kernelSize);
        const [sh, sw] = pair(cfg.strides);
        ops.push({ name: layer.name, kind: 'conv', act: actName(layer), kh, kw, sh, sw, same: cfg.padding === 'same', W: Float64Array.from(await kw0.data()), b: kb ? Float64Array.from(await kb.data()) : null, cin: kw0.shape[2], cout: kw0.shape[3] });
      } else if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
        const [kh, kw] = pair(cfg.poolSize);
        const [sh, sw] = pair(cfg.strides ?? cfg.poolSize);
        ops.push({ name: layer.name, kind: cls === 'MaxPooling2D' ? 'maxpool' : 'avgpool', act: 'linear', kh, kw, sh, sw, same: cfg.padding === 'same' });
      } else if (cls === 'GlobalAveragePooling2D') {
        ops.push({ name: layer.name, kind: 'gap', act: 'linear' });
      } else if (cls === 'Flatten') {
        ops.push({ name: layer.name, kind: 'flatten', act: 'linear' });
      } else if (cls === 'Dense') {
        const [k, b] = layer.getWeights();
        ops.push({ name: layer.name, kind: 'dense', act: actName(layer), W: Float64Array.from(await k.data()), b: b ? Float64Array.from(await b.data()) : null, cin: k.shape[0], cout: k.shape[1] });
      } else if (cls === 'ReLU') {
        ops.push({ name: layer.name, kind: 'act', act: 'relu' });
      } else if (cls === 'Activation') {
        ops.push({ name: layer.name, kind: 'act', act: actName(layer) });
      } else if (cls === 'Softmax') {
        ops.push({ name: layer.name, kind: 'act', act: 'softmax' });
      } else {
        throw new Error(`reference: unsupported layer ${cls}`);
      }
    }
    return new RefNet(ops);
  }

  get layerNames(): string[] {
    return this.ops.map((o) => o.name);
  }

  /** Forward pass of one item; `outputs[i]` is op i's output (after its activation). */
  forward(x: T3, preSoftmax = true): { scores: Float64Array; outputs: T3[]; pre: T3[] } {
    const outputs: T3[] = [];
    const pre: T3[] = [];
    let cur = x;
    this.ops.forEach((op, i) => {
      const z = this.linearPart(op, cur);
      pre.push(z);
      const skipSoftmax = preSoftmax && i === this.ops.length - 1 && op.act === 'softmax';
      cur = skipSoftmax ? z : applyAct(op.act, z);
      outputs.push(cur);
    });
    return { scores: cur.d, outputs, pre };
  }

  /**
   * Gradient of `scores[target]` with respect to the input, or with respect to the output of layer
   * `wrt`, with the given ReLU rule (applied to every ReLU, fused or separate).
   */
  gradient(x: T3, target: number, options: { relu?: ReluRule; preSoftmax?: boolean; wrt?: string } = {}): T3 {
    const rule = options.relu ?? 'standard';
    const preSoftmax = options.preSoftmax ?? true;
    const { scores, outputs, pre } = this.forward(x, preSoftmax);
    let g = t3(1, 1, scores.length);
    g.d[target] = 1;
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i];
      if (options.wrt === op.name) return g;
      const input = i === 0 ? x : outputs[i - 1];
      const skipSoftmax = preSoftmax && i === this.ops.length - 1 && op.act === 'softmax';
      // Through the activation, then the linear part.
      if (op.act === 'relu') g = reluBack(g, pre[i], rule);
      else if (op.act === 'softmax' && !skipSoftmax) g = softmaxBack(g, outputs[i]);
      g = this.linearBack(op, g, input);
    }
    if (options.wrt !== undefined) throw new Error(`reference: no layer ${options.wrt}`);
    return g;
  }

  private linearPart(op: Op, x: T3): T3 {
    switch (op.kind) {
      case 'act':
        return x;
      case 'flatten':
        return t3(1, 1, x.h * x.w * x.c, x.d);
      case 'gap': {
        const out = t3(1, 1, x.c);
        for (let p = 0; p < x.h * x.w; p++) for (let k = 0; k < x.c; k++) out.d[k] += x.d[p * x.c + k] / (x.h * x.w);
        return out;
      }
      case 'dense': {
        const n = x.h * x.w * x.c;
        const out = t3(1, 1, op.cout!);
        for (let o = 0; o < op.cout!; o++) {
          let s = op.b ? op.b[o] : 0;
          for (let i = 0; i < n; i++) s += x.d[i] * op.W![i * op.cout! + o];
          out.d[o] = s;
        }
        return out;
      }
      case 'conv': {
        const [oh, pt] = outSize(x.h, op.kh!, op.sh!, op.same!);
        const [ow, pl] = outSize(x.w, op.kw!, op.sw!, op.same!);
        const out = t3(oh, ow, op.cout!);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let co = 0; co < op.cout!; co++) {
          let s = op.b ? op.b[co] : 0;
          for (let ki = 0; ki < op.kh!; ki++) for (let kj = 0; kj < op.kw!; kj++) {
            const ii = i * op.sh! - pt + ki, jj = j * op.sw! - pl + kj;
            if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
            for (let ci = 0; ci < op.cin!; ci++) s += x.d[(ii * x.w + jj) * x.c + ci] * op.W![((ki * op.kw! + kj) * op.cin! + ci) * op.cout! + co];
          }
          out.d[(i * ow + j) * op.cout! + co] = s;
        }
        return out;
      }
      case 'maxpool':
      case 'avgpool': {
        const [oh, pt] = outSize(x.h, op.kh!, op.sh!, op.same!);
        const [ow, pl] = outSize(x.w, op.kw!, op.sw!, op.same!);
        const out = t3(oh, ow, x.c);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < x.c; k++) {
          let best = -Infinity, sum = 0, count = 0;
          for (let ki = 0; ki < op.kh!; ki++) for (let kj = 0; kj < op.kw!; kj++) {
            const ii = i * op.sh! - pt + ki, jj = j * op.sw! - pl + kj;
            if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
            const v = x.d[(ii * x.w + jj) * x.c + k];
            if (v > best) best = v;
            sum += v;
            count++;
          }
          out.d[(i * ow + j) * x.c + k] = op.kind === 'maxpool' ? best : sum / count;
        }
        return out;
      }
    }
  }

  private linearBack(op: Op, g: T3, x: T3): T3 {
    const dx = t3(x.h, x.w, x.c);
    switch (op.kind) {
      case 'act':
        return g;
      case 'flatten':
        return t3(x.h, x.w, x.c, g.d);
      case 'gap':
        for (let p = 0; p < x.h * x.w; p++) for (let k = 0; k < x.c; k++) dx.d[p * x.c + k] = g.d[k] / (x.h * x.w);
        return dx;
      case 'dense': {
        const n = x.h * x.w * x.c;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let o = 0; o < op.cout!; o++) s += g.d[o] * op.W![i * op.cout! + o];
          dx.d[i] = s;
        }
        return dx;
      }
      case 'conv': {
        const [oh, pt] = outSize(x.h, op.kh!, op.sh!, op.same!);
        const [ow, pl] = outSize(x.w, op.kw!, op.sw!, op.same!);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let co = 0; co < op.cout!; co++) {
          const gv = g.d[(i * ow + j) * op.cout! + co];
          for (let ki = 0; ki < op.kh!; ki++) for (let kj = 0; kj < op.kw!; kj++) {
            const ii = i * op.sh! - pt + ki, jj = j * op.sw! - pl + kj;
            if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
            for (let ci = 0; ci < op.cin!; ci++) dx.d[(ii * x.w + jj) * x.c + ci] += gv * op.W![((ki * op.kw! + kj) * op.cin! + ci) * op.cout! + co];
          }
        }
        return dx;
      }
      case 'maxpool':
      case 'avgpool': {
        const [oh, pt] = outSize(x.h, op.kh!, op.sh!, op.same!);
        const [ow, pl] = outSize(x.w, op.kw!, op.sw!, op.same!);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < x.c; k++) {
          const gv = g.d[(i * ow + j) * x.c + k];
          const cells: number[] = [];
          let bestIdx = -1, best = -Infinity;
          for (let ki = 0; ki < op.kh!; ki++) for (let kj = 0; kj < op.kw!; kj++) {
            const ii = i * op.sh! - pt + ki, jj = j * op.sw! - pl + kj;
            if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
            const idx = (ii * x.w + jj) * x.c + k;
            cells.push(idx);
            if (x.d[idx] > best) { best = x.d[idx]; bestIdx = idx; }
          }
          if (op.kind === 'maxpool') dx.d[bestIdx] += gv;
          else for (const idx of cells) dx.d[idx] += gv / cells.length;
        }
        return dx;
      }
    }
  }
}

function applyAct(act: Act, z: T3): T3 {
  if (act === 'linear') return z;
  const out = t3(z.h, z.w, z.c);
  if (act === 'relu') {
    for (let i = 0; i < z.d.length; i++) out.d[i] = Math.max(0, z.d[i]);
    return out;
  }
  // softmax over the channel axis of each position
  for (let p = 0; p < z.h * z.w; p++) {
    let m = -Infinity;
    for (let k = 0; k < z.c; k++) m = Math.max(m, z.d[p * z.c + k]);
    let s = 0;
    for (let k = 0; k < z.c; k++) s += Math.exp(z.d[p * z.c + k] - m);
    for (let k = 0; k < z.c; k++) out.d[p * z.c + k] = Math.exp(z.d[p * z.c + k] - m) / s;
  }
  return out;
}

function reluBack(g: T3, z: T3, rule: ReluRule): T3 {
  const out = t3(z.h, z.w, z.c);
  for (let i = 0; i < z.d.length; i++) {
    const gi = g.d[i];
    if (rule === 'standard') out.d[i] = z.d[i] > 0 ? gi : 0;
    else if (rule === 'guided') out.d[i] = z.d[i] > 0 && gi > 0 ? gi : 0;
    else out.d[i] = gi > 0 ? gi : 0;
  }
  return out;
}

function softmaxBack(g: T3, y: T3): T3 {
  const out = t3(y.h, y.w, y.c);
  for (let p = 0; p < y.h * y.w; p++) {
    let dot = 0;
    for (let k = 0; k < y.c; k++) dot += g.d[p * y.c + k] * y.d[p * y.c + k];
    for (let k = 0; k < y.c; k++) out.d[p * y.c + k] = y.d[p * y.c + k] * (g.d[p * y.c + k] - dot);
  }
  return out;
}

/** max |a − b| / max |b|: the error measure the issue states ("relative to the largest value"). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}
