/**
 * DeepLift with the rescale rule (Shrikumar, Greenside and Kundaje 2017, "Learning Important Features
 * Through Propagating Activation Differences"), as Captum's `DeepLift` (multiply_by_inputs=True):
 *
 *   attributions = (x − x′) · m,   m = ∂F/∂x with each element-wise non-linearity's derivative replaced
 *   by Δy/Δx = (f(z) − f(z′)) / (z − z′), z and z′ its inputs on x and on the baseline x′,
 *
 * the plain derivative where |z − z′| < 1e-10 (Captum's eps). Max pooling follows Captum's rule (each
 * window passes on dy · (o − o′), split between the maxima of the input and of the baseline window, over
 * Δx). Through linear layers (convolutions, dense, average pooling, batch normalization at inference,
 * additions, concatenation), max pooling and the rescaled non-linearities (ReLU, ReLU6, ELU, SELU, leaky
 * ReLU, sigmoid, tanh, softplus, clipping), the attributions sum to
 * F(x) − F(x′) per item (completeness; `deepLiftWithDelta` returns Σ attributions − (F(x) − F(x′)),
 * Captum's convergence delta). As Captum, the input and the baseline run as one batch of 2N, and
 * non-linear ops that are not layers (a product of two activations) get their ordinary gradient, so
 * completeness holds only approximately there. On a linear model DeepLift is gradient × (x − x′).
 *
 * Departures: Captum's softmax rule (which normalizes over the whole batch) is not here: a softmax on
 * the path (`preSoftmax: false`) is a GradientError, as is a global max (GlobalMaxPooling2D). ReLU6 and
 * SELU (and clipping, and a minimum or maximum against a constant: tfjs-layers writes ReLU6 as
 * minimum(6, relu(x)) and ReLU(maxValue) as a clip) get the rescale rule (Captum's list lacks them, so it takes their ordinary gradient there). The
 * default target is the argmax class of x (Captum requires one). A GraphModel whose signature fixes
 * the batch (to other than 2N) is a ModelError: the paired batch cannot be split. Baselines as Integrated Gradients':
 * `zeros` (default, Captum's), a number, a tensor broadcastable to the input, or `blur`.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors';
import { forwardScores } from '../models/forward';
import { isGraphModel } from '../models/layers';
import { withGradientRules } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { checkInput, checkModel, COMMON_OPTIONS, CommonOptions, resolveTarget, rowSelector } from './common';
import { Baseline, IG_BASELINES, IG_DEFAULTS, makeBaseline } from './integrated-gradients';
import { extendSpecs, resolveOptions } from './options';

export interface DeepLiftOptions extends CommonOptions {
  /** Reference input x′. Default `zeros`. */
  baseline?: Baseline;
  /** Sigma in pixels of the `blur` baseline. Default 5. */
  blurSigma?: number;
}

/** deepLift's own defaults (besides target and preSoftmax): Integrated Gradients' baseline and blur. */
export const DEEP_LIFT_DEFAULTS = { baseline: IG_DEFAULTS.baseline, blurSigma: IG_DEFAULTS.blurSigma };

export const DEEP_LIFT_OPTIONS = extendSpecs(COMMON_OPTIONS, DEEP_LIFT_DEFAULTS, {
  baseline: { type: 'baseline', choices: IG_BASELINES, description: "reference input x′: 'zeros', 'blur' (the input blurred), a number or a tensor" },
  blurSigma: { type: 'number', min: 0, exclusiveMin: true, description: "σ in pixels of the 'blur' baseline" },
});

async function run(model: Model, input: tf.Tensor, options: DeepLiftOptions): Promise<{ attributions: tf.Tensor4D; delta: () => tf.Tensor1D; dispose: () => void }> {
  const where = 'deepLift';
  checkModel(where, model);
  const o = resolveOptions(where, DEEP_LIFT_OPTIONS, options);
  const x = await checkInput(where, model, input);
  const n = x.shape[0];
  const fixed = isGraphModel(model) ? model.inputs[0]?.shape?.[0] : undefined;
  if (typeof fixed === 'number' && fixed > 0 && fixed !== 2 * n) {
    throw new ModelError(where, `DeepLift runs the inputs and their baselines as one batch of ${2 * n}, and this GraphModel's input signature fixes the batch to ${fixed}; convert the model with an open batch dimension (−1)${fixed % 2 === 0 ? ` or pass ${fixed / 2} item${fixed === 2 ? '' : 's'} at a time` : ''}`);
  }
  const resolved = await resolveTarget(where, model, x, o.target, o);
  const base = await makeBaseline(where, x, o.baseline, o.blurSigma);
  const rows = Array.from({ length: n }, (_, i) => i);
  const select = rowSelector(where, resolved, rows);
  // As Captum, the target of each item is explained on its input and on its baseline row (it matters only
  // through max pooling, where the baseline row's gradient joins the input row's).
  const selectBoth = rowSelector(where, resolved, [...rows, ...rows]);
  try {
    const attributions = withGradientRules({ deepLift: true }, () =>
      tf.tidy(() => {
        const both = tf.concat([x, base]) as tf.Tensor4D;
        const g = tf.grad((b: tf.Tensor) => tf.sum(selectBoth(forwardScores(where, model, b as tf.Tensor4D, o))))(both);
        return tf.mul(tf.sub(x, base), tf.slice(g, [0, 0, 0, 0], [n, -1, -1, -1])) as tf.Tensor4D;
      }),
      { where, model },
    );
    const delta = () => tf.tidy(() => {
      const fx = select(forwardScores(where, model, x, o));
      const fb = select(forwardScores(where, model, base, o));
      return tf.sub(tf.sum(attributions.reshape([n, -1]), 1), tf.sub(fx, fb)) as tf.Tensor1D;
    });
    return { attributions, delta, dispose: () => base.dispose() };
  } catch (e) {
    base.dispose();
    throw e;
  }
}

/**
 * DeepLift (rescale rule) attributions, input-shaped `[N,H,W,C]`. The caller owns the result.
 * Options: DEEP_LIFT_OPTIONS (target, preSoftmax, baseline, blurSigma; see DEEP_LIFT_DEFAULTS).
 */
export async function deepLift(model: Model, input: tf.Tensor, options: DeepLiftOptions = {}): Promise<tf.Tensor4D> {
  const r = await run(model, input, options);
  r.dispose();
  return r.attributions;
}

/**
 * DeepLift and the completeness gap per item, `delta = Σ attributions − (F(x) − F(x′))` (Captum's
 * convergence delta). The caller owns both tensors.
 */
export async function deepLiftWithDelta(model: Model, input: tf.Tensor, options: DeepLiftOptions = {}): Promise<{ attributions: tf.Tensor4D; delta: tf.Tensor1D }> {
  const r = await run(model, input, options);
  try {
    return { attributions: r.attributions, delta: r.delta() };
  } finally {
    r.dispose();
  }
}
