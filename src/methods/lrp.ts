/**
 * Layer-wise relevance propagation (Bach et al. 2015, "On Pixel-Wise Explanations for Non-Linear
 * Classifier Decisions by Layer-Wise Relevance Propagation"; the rules as in Montavon et al. 2019,
 * "Layer-Wise Relevance Propagation: An Overview"), as Captum's `LRP`: the explained score f(x) is the
 * relevance of the output, and each layer hands its output's relevance R_k down to its inputs,
 *
 *   R_j = a_j · Σ_k w_jk · R_k / z_k,   z_k = Σ_j a_j w_jk + b_k   (computed as a_j · (Wᵀ (R / z))_j),
 *
 * with the rule of the layer deciding what `w` and `z` are. The attributions (input-shaped `[N,H,W,C]`)
 * are the relevance reaching the input, in the units of the score (Captum's, which multiplies its
 * normalized relevance by the output). Rules of the weighted layers (Conv2D, DepthwiseConv2D, Dense):
 *
 * - `zero` (LRP-0): w and z as they are. On a ReLU network this is gradient × input exactly.
 * - `epsilon` (LRP-ε): z_k + ε·sign(z_k) in the denominator (sign(0) = 1, as Captum); ε = `epsilon`.
 * - `gamma` (LRP-γ): w + γ·w⁺ in both numerator and denominator, the bias unchanged (Captum's GammaRule;
 *   Montavon et al. also raise the bias to b + γ·b⁺), with Captum's stabiliser ε = 1e-9.
 * - `alphaBeta` (LRP-αβ, β = α − 1): α·(positive contributions over their sum) − β·(negative ones over
 *   theirs), contributions a_j w_jk split by sign (a⁺w⁺ and a⁻w⁻ positive, a⁺w⁻ and a⁻w⁺ negative) and
 *   the bias's b⁺ and b⁻ joining the sums (Bach et al. 2015). Captum has α = 1, β = 0 only
 *   (Alpha1_Beta0_Rule), which keeps the whole bias in the denominator and does not split inputs by sign:
 *   the two agree on non-negative inputs with non-negative biases.
 * - `zB` (z^B, Montavon et al. 2017, for the first layer, with pixel bounds l ≤ x ≤ h):
 *   R_i = Σ_k (x_i w_ik − l_i w⁺_ik − h_i w⁻_ik) / Σ_i (x_i w_ik − l_i w⁺_ik − h_i w⁻_ik) · R_k, the bias
 *   left out, as in the paper (Captum has no z^B). `low` and `high` default to each item's smallest and
 *   largest value.
 *
 * `rule` sets the rule of every weighted layer; `convRule`, `denseRule` and `inputRule` (the first
 * weighted layer the input meets) override it per layer kind. `composite` is the preset of Montavon et
 * al. 2019 (§10) for VGG-like networks, as Captum's `suggested_rules('vgg16')` lays it out: z^B for the
 * first layer, LRP-γ for the lower half of the other convolutions, LRP-ε (`epsilon`) for the upper half,
 * LRP-0 for the dense layers (Captum uses ε for its input layer, where it has no z^B).
 *
 * Other layers: ReLU, ReLU6, tanh, linear activations (fused or as layers), Dropout, Flatten and Reshape
 * pass relevance through unchanged (Captum's rule for ReLU, Tanh and Dropout; ReLU6 is a departure:
 * Captum has no rule for it). A BatchNormalization that is the only reader of a Conv2D, DepthwiseConv2D or
 * Dense without activation is folded into it (its weights become w·γ/σ and (b − μ)·γ/σ + β) and the
 * layer's rule applies to the folded weights (Captum instead gives batch norm its own ε-rule). Pooling
 * (max, average, global), ZeroPadding2D, Add, Concatenate and batch norms that cannot be folded take the
 * ε-rule with Captum's default ε = 1e-9 (max pooling: the winner takes all); relevance reaching a tensor
 * read by several layers is summed. A final softmax is left out (`preSoftmax`, which must stay true).
 *
 * On a network without biases whose rules conserve (LRP-0, ε → 0, γ, α-β, z^B with the input in its
 * bounds), the attributions of an item sum to f(x); `lrpWithDelta` returns Captum's convergence delta
 * f(x) − Σ attributions per item. A target function starts from the output relevance scores ⊙
 * ∂target/∂scores (the selected score, for an index target).
 *
 * Only tf.LayersModels with one input and one output walk: a GraphModel or a plain function is a
 * ModelError, a layer of any other kind (a nested model, Multiply, sigmoid, swish, separable
 * convolutions, ...) a LayerError naming it and listing the kinds LRP covers.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerError, ModelError } from '../errors';
import { withGradientRules } from '../models/gradient-rules';
import { applyLayer, KerasNode, kerasTopology, layerActivationName } from '../models/keras';
import { isGraphModel, isLayersModel } from '../models/kind';
import type { Model } from '../models/types';
import { checkedSelector, checkInput, checkModel, COMMON_OPTIONS, CommonOptions } from './common';
import { extendSpecs, resolveOptions } from './options';

export const LRP_RULES = ['epsilon', 'gamma', 'alphaBeta', 'composite'] as const;
export type LrpRule = (typeof LRP_RULES)[number];
export const LRP_LAYER_RULES = ['zero', 'epsilon', 'gamma', 'alphaBeta'] as const;
export type LrpLayerRule = (typeof LRP_LAYER_RULES)[number];
export const LRP_INPUT_RULES = [...LRP_LAYER_RULES, 'zB'] as const;
export type LrpInputRule = (typeof LRP_INPUT_RULES)[number];

export interface LrpOptions extends CommonOptions {
  /** The rule of every weighted layer, or the `composite` preset. Default `epsilon` (Captum's). */
  rule?: LrpRule;
  /** The rule of Conv2D and DepthwiseConv2D layers. Default (also `null`): from `rule`. */
  convRule?: LrpLayerRule | null;
  /** The rule of Dense layers. Default (also `null`): from `rule`. */
  denseRule?: LrpLayerRule | null;
  /** The rule of the first weighted layer. Default (also `null`): from `rule` (`zB` for `composite`). */
  inputRule?: LrpInputRule | null;
  /** ε of the ε-rule. Default 1e-9 (Captum's). */
  epsilon?: number;
  /** γ of the γ-rule. Default 0.25 (Captum's). */
  gamma?: number;
  /** α of the α-β rule (β = α − 1). Default 1. */
  alpha?: number;
  /** Lowest input value l of z^B. Default (also `null`): each item's smallest value. */
  low?: number | null;
  /** Highest input value h of z^B. Default (also `null`): each item's largest value. */
  high?: number | null;
}

/** lrp's own defaults (besides target and preSoftmax). */
export const LRP_DEFAULTS = {
  rule: 'epsilon' as LrpRule, convRule: null as LrpLayerRule | null, denseRule: null as LrpLayerRule | null, inputRule: null as LrpInputRule | null,
  epsilon: 1e-9, gamma: 0.25, alpha: 1, low: null as number | null, high: null as number | null,
};

export const LRP_OPTIONS = extendSpecs(COMMON_OPTIONS, LRP_DEFAULTS, {
  rule: { type: 'choice', choices: LRP_RULES, description: "the rule of every weighted layer, or 'composite' (z^B, γ, ε, LRP-0 from input to output)" },
  convRule: { type: 'choice', choices: LRP_LAYER_RULES, description: 'the rule of Conv2D and DepthwiseConv2D layers', defaultText: 'from `rule`' },
  denseRule: { type: 'choice', choices: LRP_LAYER_RULES, description: 'the rule of Dense layers', defaultText: 'from `rule`' },
  inputRule: { type: 'choice', choices: LRP_INPUT_RULES, description: 'the rule of the first weighted layer', defaultText: "from `rule` ('zB' for 'composite')" },
  epsilon: { type: 'number', min: 0, description: 'ε of the ε-rule (z + ε·sign z)' },
  gamma: { type: 'number', min: 0, description: 'γ of the γ-rule (w + γ·w⁺)' },
  alpha: { type: 'number', min: 1, description: 'α of the α-β rule (β = α − 1)' },
  low: { type: 'number', description: 'lowest input value l of the z^B rule', defaultText: "each item's smallest value" },
  high: { type: 'number', description: 'highest input value h of the z^B rule', defaultText: "each item's largest value" },
});

type Resolved = typeof LRP_DEFAULTS & { target: CommonOptions['target']; preSoftmax: boolean };

/** What a layer's rule works with: the layer's linear map with given weights, and the weights. */
interface Weighted {
  kind: 'conv' | 'dense';
  /** A DepthwiseConv2D, whose output channels are the kernel's last two axes (c·m). */
  depthwise: boolean;
  kernel: tf.Tensor;
  bias: tf.Tensor | null;
  /** The layer's linear map (no activation) with the given kernel and bias (null: none). Sync. */
  apply(a: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null): tf.Tensor;
}

type Step =
  | { kind: 'weighted'; node: KerasNode; output: number; weighted: Weighted; bn: KerasNode | null }
  | { kind: 'pass'; node: KerasNode }
  | { kind: 'epsilon'; node: KerasNode };

const PASS_ACTIVATIONS = new Set(['relu', 'relu6', 'linear', 'tanh']);
const PASS_LAYERS = new Set(['Dropout', 'SpatialDropout2D', 'Flatten', 'Reshape']);
const EPSILON_LAYERS = new Set([
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Add', 'Concatenate', 'BatchNormalization',
]);
const COVERED = 'Conv2D, DepthwiseConv2D and Dense (with ReLU, ReLU6, tanh or no activation), BatchNormalization, MaxPooling2D, AveragePooling2D, '
  + 'GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, Add, Concatenate, ReLU, Activation (relu, relu6, tanh, linear), Dropout, Flatten and Reshape';
const PARAMETER_FREE_EPSILON = 1e-9;

const config = (node: KerasNode): Record<string, unknown> => node.layer.getConfig() as Record<string, unknown>;
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function unsupported(where: string, node: KerasNode, why: string): LayerError {
  return new LayerError(where, `LRP has no rule for layer "${node.layer.name}" (${node.layer.getClassName()}${why ? `, ${why}` : ''}); it covers ${COVERED}. gradientTimesInput, integratedGradients and occlusion work with this model`);
}

/** The linear map of a Conv2D, DepthwiseConv2D or Dense layer, checked. */
function weightedOf(where: string, node: KerasNode): Weighted {
  const cls = node.layer.getClassName();
  const c = config(node);
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') throw unsupported(where, node, `data format ${String(c.dataFormat)}`);
  const w = node.layer.getWeights();
  const kernel = w[0];
  const bias = c.useBias === false ? null : w[1] ?? null;
  if (cls === 'Dense') {
    return {
      kind: 'dense', depthwise: false, kernel, bias,
      apply: (a, k, b) => {
        const flat = a.reshape([-1, k.shape[0]]);
        const y = tf.matMul(flat as tf.Tensor2D, k as tf.Tensor2D);
        return tf.reshape(b ? tf.add(y, b) : y, [...a.shape.slice(0, -1), k.shape[1] as number]);
      },
    };
  }
  const strides = pair(c.strides ?? 1);
  const dilations = pair(c.dilationRate ?? 1);
  const padding = c.padding as 'same' | 'valid';
  if (cls === 'Conv2D') {
    return {
      kind: 'conv', depthwise: false, kernel, bias,
      apply: (a, k, b) => {
        const y = tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, strides, padding, 'NHWC', dilations);
        return b ? tf.add(y, b) : y;
      },
    };
  }
  return {
    kind: 'conv', depthwise: true, kernel, bias,
    apply: (a, k, b) => {
      const y = tf.depthwiseConv2d(a as tf.Tensor4D, k as tf.Tensor4D, strides, padding, 'NHWC', dilations);
      return b ? tf.add(y, b) : y;
    },
  };
}

/** A BatchNormalization on the channel axis folded into the weighted layer before it. Sync, in the caller's tidy. */
function fold(w: Weighted, bn: KerasNode): Weighted {
  const c = config(bn);
  const weights = bn.layer.getWeights();
  let i = 0;
  const gamma = c.scale === false ? null : weights[i++];
  const beta = c.center === false ? null : weights[i++];
  const mean = weights[i++];
  const variance = weights[i++];
  const factor = tf.div(gamma ?? tf.onesLike(variance), tf.sqrt(tf.add(variance, Number(c.epsilon ?? 1e-3))));
  const k = w.kernel;
  // The output channels are the kernel's last axis (Dense, Conv2D) or its last two (DepthwiseConv2D: c·m).
  const [, , channels, multiplier] = k.shape as number[];
  const kernel = w.depthwise ? tf.mul(k, factor.reshape([1, 1, channels, multiplier])) : tf.mul(k, factor);
  const b0 = w.bias ?? tf.zerosLike(mean);
  let bias = tf.mul(tf.sub(b0, mean), factor);
  if (beta) bias = tf.add(bias, beta);
  return { ...w, kernel, bias, apply: w.apply };
}

function checkActivation(where: string, node: KerasNode, isOutput: boolean, preSoftmax: boolean): void {
  const act = layerActivationName(node.layer) ?? 'linear';
  if (PASS_ACTIVATIONS.has(act)) return;
  if (act === 'softmax' && isOutput && preSoftmax) return;
  if (act === 'softmax' && isOutput) throw new LayerError(where, `LRP explains the scores before the final softmax of layer "${node.layer.name}"; leave preSoftmax true`);
  throw unsupported(where, node, `activation ${act}`);
}

/** The model's layers as LRP steps (batch norms folded where they can be), or a typed error. */
function plan(where: string, model: tf.LayersModel, preSoftmax: boolean): { input: number; output: number; steps: Step[] } {
  const topology = kerasTopology(model);
  if (typeof topology === 'string') throw new ModelError(where, `LRP walks a LayersModel layer by layer, and ${topology}`);
  const readers = new Map<number, number>();
  for (const n of topology.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const byInput = new Map<number, KerasNode>();
  for (const n of topology.nodes) if (n.inputs.length === 1) byInput.set(n.inputs[0], n);
  const folded = new Set<KerasNode>();
  const steps: Step[] = [];
  for (const node of topology.nodes) {
    if (folded.has(node)) continue;
    const cls = node.layer.getClassName();
    const isOutput = node.output === topology.output;
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D' || cls === 'Dense') {
      checkActivation(where, node, isOutput, preSoftmax);
      const weighted = weightedOf(where, node);
      let output = node.output;
      let bn: KerasNode | null = null;
      const next = byInput.get(node.output);
      const act = layerActivationName(node.layer) ?? 'linear';
      if (act === 'linear' && !isOutput && readers.get(node.output) === 1 && next && next.layer.getClassName() === 'BatchNormalization' && channelLast(next)) {
        bn = next;
        folded.add(next);
        output = next.output;
      }
      steps.push({ kind: 'weighted', node, output, weighted, bn });
    } else if (cls === 'ReLU') {
      steps.push({ kind: 'pass', node });
    } else if (cls === 'Activation') {
      checkActivation(where, node, isOutput, preSoftmax);
      steps.push({ kind: 'pass', node });
    } else if (cls === 'Softmax' && isOutput) {
      if (!preSoftmax) throw new LayerError(where, `LRP explains the scores before the final softmax of layer "${node.layer.name}"; leave preSoftmax true`);
      steps.push({ kind: 'pass', node });
    } else if (PASS_LAYERS.has(cls)) {
      steps.push({ kind: 'pass', node });
    } else if (EPSILON_LAYERS.has(cls)) {
      if (cls === 'BatchNormalization' && !channelLast(node)) throw unsupported(where, node, 'not on the channel axis');
      steps.push({ kind: 'epsilon', node });
    } else {
      throw unsupported(where, node, cls === 'Softmax' ? 'a softmax inside the network' : '');
    }
  }
  return { input: topology.input, output: topology.output, steps };
}

function channelLast(node: KerasNode): boolean {
  const axis = config(node).axis;
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : NaN) : axis;
  const rank = node.inputShapes[0].length;
  return a === -1 || a === rank - 1;
}

/** z + ε·sign(z) with sign(0) = 1; R / that, and 0 where the denominator is 0 (ε = 0). */
function ratio(r: tf.Tensor, z: tf.Tensor, eps: number): tf.Tensor {
  const d = eps === 0 ? z : tf.add(z, tf.mul(tf.where(tf.greaterEqual(z, 0), tf.onesLike(z), tf.fill(z.shape, -1)), eps));
  const zero = tf.equal(d, 0);
  return tf.where(zero, tf.zerosLike(r), tf.div(r, tf.where(zero, tf.onesLike(d), d)));
}

/** (∂⟨f(a), s⟩/∂a): the vector-Jacobian product of a linear map. */
function vjp(f: (a: tf.Tensor) => tf.Tensor, a: tf.Tensor, s: tf.Tensor): tf.Tensor {
  return tf.grad(f)(a, s);
}

interface RuleParams {
  rule: LrpInputRule;
  epsilon: number;
  gamma: number;
  alpha: number;
  low: tf.Tensor | null;
  high: tf.Tensor | null;
}

/** The relevance at the input `a` of a weighted layer from the relevance `r` at its (pre-activation) output. */
function weightedRelevance(w: Weighted, a: tf.Tensor, r: tf.Tensor, p: RuleParams): tf.Tensor {
  const lin = (k: tf.Tensor, b: tf.Tensor | null) => (t: tf.Tensor) => w.apply(t, k, b);
  const pos = (t: tf.Tensor) => tf.relu(t);
  const neg = (t: tf.Tensor) => tf.minimum(t, 0);
  switch (p.rule) {
    case 'zero':
    case 'epsilon': {
      const eps = p.rule === 'zero' ? 0 : p.epsilon;
      const s = ratio(r, w.apply(a, w.kernel, w.bias), eps);
      return tf.mul(a, vjp(lin(w.kernel, w.bias), a, s));
    }
    case 'gamma': {
      const k = tf.add(w.kernel, tf.mul(pos(w.kernel), p.gamma));
      const s = ratio(r, w.apply(a, k, w.bias), PARAMETER_FREE_EPSILON);
      return tf.mul(a, vjp(lin(k, w.bias), a, s));
    }
    case 'alphaBeta': {
      const beta = p.alpha - 1;
      const [kp, kn] = [pos(w.kernel), neg(w.kernel)];
      const [ap, an] = [pos(a), neg(a)];
      const [bp, bn] = w.bias ? [pos(w.bias), neg(w.bias)] : [null, null];
      const zp = tf.add(w.apply(ap, kp, bp), w.apply(an, kn, null));
      const zn = tf.add(w.apply(ap, kn, bn), w.apply(an, kp, null));
      const sp = ratio(r, zp, PARAMETER_FREE_EPSILON);
      const positive = tf.add(tf.mul(ap, vjp(lin(kp, null), ap, sp)), tf.mul(an, vjp(lin(kn, null), an, sp)));
      if (beta === 0) return tf.mul(positive, p.alpha);
      const sn = ratio(r, zn, PARAMETER_FREE_EPSILON);
      const negative = tf.add(tf.mul(ap, vjp(lin(kn, null), ap, sn)), tf.mul(an, vjp(lin(kp, null), an, sn)));
      return tf.sub(tf.mul(positive, p.alpha), tf.mul(negative, beta));
    }
    case 'zB': {
      const [kp, kn] = [pos(w.kernel), neg(w.kernel)];
      const l = tf.mul(tf.onesLike(a), p.low as tf.Tensor);
      const h = tf.mul(tf.onesLike(a), p.high as tf.Tensor);
      const z = tf.sub(tf.sub(w.apply(a, w.kernel, null), w.apply(l, kp, null)), w.apply(h, kn, null));
      const s = ratio(r, z, PARAMETER_FREE_EPSILON);
      return tf.sub(tf.sub(tf.mul(a, vjp(lin(w.kernel, null), a, s)), tf.mul(l, vjp(lin(kp, null), l, s))), tf.mul(h, vjp(lin(kn, null), h, s)));
    }
  }
}

/** A z^B bound: the given number, or each item's smallest or largest value, shaped to broadcast over the item. */
function itemBound(a: tf.Tensor, which: 'min' | 'max', given: number | null): tf.Tensor {
  if (given !== null) return tf.scalar(given);
  const flat = a.reshape([a.shape[0], -1]);
  const v = which === 'min' ? tf.min(flat, 1) : tf.max(flat, 1);
  return v.reshape([a.shape[0], ...a.shape.slice(1).map(() => 1)]);
}

/** The rule of each weighted step, from `rule` and the per-kind overrides. */
function rulesOf(steps: Step[], o: Resolved): LrpInputRule[] {
  const weighted = steps.filter((s): s is Extract<Step, { kind: 'weighted' }> => s.kind === 'weighted');
  const convs = weighted.slice(1).filter((s) => s.weighted.kind === 'conv');
  const lowerConvs = new Set(convs.slice(0, Math.ceil(convs.length / 2)));
  return weighted.map((s, i) => {
    if (i === 0 && o.inputRule !== null) return o.inputRule;
    const kindRule = s.weighted.kind === 'conv' ? o.convRule : o.denseRule;
    if (kindRule !== null) return kindRule;
    if (o.rule !== 'composite') return o.rule;
    if (i === 0) return 'zB';
    if (s.weighted.kind === 'dense') return 'zero';
    return lowerConvs.has(s) ? 'gamma' : 'epsilon';
  });
}

async function run(model: Model, input: tf.Tensor, options: LrpOptions): Promise<{ attributions: tf.Tensor4D; delta: () => tf.Tensor1D; dispose: () => void }> {
  const where = 'lrp';
  checkModel(where, model);
  const o = resolveOptions(where, LRP_OPTIONS, options) as Resolved;
  if (!isLayersModel(model)) {
    throw new ModelError(where, `LRP walks the layers of a tf.LayersModel and ${isGraphModel(model) ? 'a GraphModel has ops, not layers' : 'a plain function has none'}; gradientTimesInput, integratedGradients, deepLift and occlusion work with this model`);
  }
  const m = model as tf.LayersModel;
  const x = await checkInput(where, model, input);
  const { input: inputId, output: outputId, steps } = plan(where, m, o.preSoftmax);
  const select = checkedSelector(where, model, x, o);
  const n = x.shape[0];
  const rules = rulesOf(steps, o);
  const needsBounds = rules.includes('zB');
  const result = withGradientRules({ relu: 'standard' }, () => tf.tidy(() => {
    // The weights of each weighted layer, batch norms folded in (tensors of this tidy).
    const weights = new Map<Step, Weighted>(steps.flatMap((s) => (s.kind === 'weighted' ? [[s, s.bn ? fold(s.weighted, s.bn) : s.weighted] as [Step, Weighted]] : [])));
    // Forward: every tensor of the model, and for weighted layers the input they read.
    const acts = new Map<number, tf.Tensor>([[inputId, x]]);
    for (const s of steps) {
      const inputs = s.node.inputs.map((i) => acts.get(i) as tf.Tensor);
      if (s.kind === 'weighted') {
        const y = applyLayer(s.node.layer, inputs[0], o.preSoftmax && s.node.output === outputId);
        acts.set(s.node.output, y);
        // A folded batch norm's output: the folded linear map (the layer before it has no activation).
        const w = weights.get(s) as Weighted;
        if (s.output !== s.node.output) acts.set(s.output, w.apply(inputs[0], w.kernel, w.bias));
      } else {
        acts.set(s.node.output, applyLayer(s.node.layer, inputs.length === 1 ? inputs[0] : inputs, o.preSoftmax && s.node.output === outputId));
      }
    }
    const scores = acts.get(outputId) as tf.Tensor;
    const scores2 = scores.reshape([n, -1]) as tf.Tensor2D;
    const f = select(scores2);
    const onehot = tf.grad((t: tf.Tensor) => tf.sum(select(t as tf.Tensor2D)))(scores2);
    const rel = new Map<number, tf.Tensor>([[outputId, tf.mul(scores2, onehot).reshape(scores.shape)]]);
    const add = (id: number, r: tf.Tensor) => {
      const had = rel.get(id);
      rel.set(id, had ? tf.add(had, r) : r);
    };
    let low: tf.Tensor | null = null;
    let high: tf.Tensor | null = null;
    if (needsBounds) {
      low = itemBound(x, 'min', o.low);
      high = itemBound(x, 'max', o.high);
    }
    let wi = steps.filter((s) => s.kind === 'weighted').length;
    for (let si = steps.length - 1; si >= 0; si--) {
      const s = steps[si];
      if (s.kind === 'weighted') wi--;
      const out = s.kind === 'weighted' ? s.output : s.node.output;
      const r = rel.get(out);
      if (!r) continue;
      const inputs = s.node.inputs.map((i) => acts.get(i) as tf.Tensor);
      if (s.kind === 'pass') {
        add(s.node.inputs[0], r.reshape(inputs[0].shape));
      } else if (s.kind === 'weighted') {
        const rule = rules[wi];
        const a = inputs[0];
        const atInput = s.node.inputs[0] === inputId;
        const bounds = rule === 'zB' ? { low: atInput ? low : itemBound(a, 'min', o.low), high: atInput ? high : itemBound(a, 'max', o.high) } : { low: null, high: null };
        add(s.node.inputs[0], weightedRelevance(weights.get(s) as Weighted, a, r, { rule, epsilon: o.epsilon, gamma: o.gamma, alpha: o.alpha, ...bounds }));
      } else {
        const z = acts.get(s.node.output) as tf.Tensor;
        const sr = ratio(r, z, PARAMETER_FREE_EPSILON);
        if (inputs.length === 1) {
          add(s.node.inputs[0], tf.mul(inputs[0], vjp((t) => applyLayer(s.node.layer, t, false), inputs[0], sr)));
        } else {
          const grads = tf.grads((...ts: tf.Tensor[]) => applyLayer(s.node.layer, ts, false))(inputs, sr);
          s.node.inputs.forEach((id, k) => add(id, tf.mul(inputs[k], grads[k])));
        }
      }
    }
    const attributions = (rel.get(inputId) ?? tf.zerosLike(x)) as tf.Tensor4D;
    return { attributions: tf.keep(attributions), f: tf.keep(f) };
  }), { where, model });
  const delta = () => tf.tidy(() => tf.sub(result.f, tf.sum(result.attributions.reshape([n, -1]), 1)) as tf.Tensor1D);
  return { attributions: result.attributions, delta, dispose: () => result.f.dispose() };
}

/**
 * LRP relevance, input-shaped `[N,H,W,C]`, summing (for conserving rules on a network without biases)
 * to the explained score. The caller owns the result. Options: LRP_OPTIONS (target, preSoftmax, rule,
 * convRule, denseRule, inputRule, epsilon, gamma, alpha, low, high; see LRP_DEFAULTS).
 */
export async function lrp(model: Model, input: tf.Tensor, options: LrpOptions = {}): Promise<tf.Tensor4D> {
  const r = await run(model, input, options);
  r.dispose();
  return r.attributions;
}

/**
 * LRP and Captum's convergence delta per item, `delta = f(x) − Σ attributions` (zero where relevance is
 * conserved; the ε-rule and biases absorb some). The caller owns both tensors.
 */
export async function lrpWithDelta(model: Model, input: tf.Tensor, options: LrpOptions = {}): Promise<{ attributions: tf.Tensor4D; delta: tf.Tensor1D }> {
  const r = await run(model, input, options);
  try {
    return { attributions: r.attributions, delta: r.delta() };
  } finally {
    r.dispose();
  }
}
