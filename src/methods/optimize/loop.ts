/**
 * The optimization loop that activation maximization, the filter gallery and feature inversion share:
 * gradient ascent with Adam (Kingma and Ba 2015) on an image parameterization, with random transforms
 * before each forward pass, L2 and total-variation penalties, periodic blur, progress events and
 * cancellation. Each step runs in its own memory scope; the loop keeps only the parameters and Adam's two
 * moments, and disposes them as it replaces them.
 */
import * as tf from '@tensorflow/tfjs';
import { withGradientRules } from '../../models/gradient-rules';
import { checkpoint } from '../loop';
import type { ImageParameterization } from './parameterization';
import { toModelInput } from './preprocess';
import { l2Penalty, totalVariation } from './regularizers';
import type { Rng } from './rng';
import type { ResolvedOptimizeOptions } from './setup';
import { applyTransform, drawTransform } from './transforms';

/** What `onStep` receives. */
export interface StepEvent {
  /** 1-based step number, counted across octaves for DeepDream. */
  step: number;
  /** The objective at this step, before penalties (mean over the batch); see each method for its meaning. */
  objective: number;
  /**
   * The current image in the model's input range, every `imageEvery` steps and at the last step. It is
   * disposed when the callback returns (or its promise settles): clone it to keep it. DeepDream gives the
   * image at the current octave's size.
   */
  image?: tf.Tensor4D;
  /** DeepDream only: the octave, 0 for the smallest scale. */
  octave?: number;
}

/** `constant` step size, or `cosine` annealing from `stepSize` at the first step toward 0 at the last. */
export const STEP_SCHEDULES = ['constant', 'cosine'] as const;
export type StepSchedule = (typeof STEP_SCHEDULES)[number];

export type StepCallback = (event: StepEvent) => void | Promise<void>;

/** What the loop needs: the resolved optimization options plus the image, objective and random source. */
export interface LoopSettings
  extends Pick<
    ResolvedOptimizeOptions,
    'preprocess' | 'steps' | 'stepSize' | 'schedule' | 'l2' | 'tv' | 'tvBeta' | 'transforms' | 'blurEvery' | 'blurSigma' | 'onStep' | 'imageEvery' | 'signal'
  > {
  where: string;
  param: ImageParameterization;
  /** Starting parameters; the loop takes ownership. */
  initial: tf.Tensor;
  /**
   * Model input `[N,H,W,C]` → one value per item `[N]` to maximize. Sync, differentiable; `report` is the
   * value shown as `objective` (default the same).
   */
  objective: (x: tf.Tensor4D) => { value: tf.Tensor1D; report?: tf.Tensor };
  /** Frees what `objective` made outside tf.tidy's reach; called after each gradient and at the end. */
  release?: () => void;
  rng: Rng;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/** Runs the loop; returns the final image in the model's input range (the caller owns it). */
export async function optimizeImage(s: LoopSettings): Promise<tf.Tensor4D> {
  let p = s.initial;
  let m = tf.zerosLike(p);
  let v = tf.zerosLike(p);
  try {
    for (let step = 1; step <= s.steps; step++) {
      await checkpoint(s.where, s.signal);
      const draw = drawTransform(s.rng, s.transforms);
      const [report, grad] = withGradientRules({}, () =>
        tf.tidy(() => {
          // The objective's value comes out of tf.grad through this holder (kept past grad's scope).
          const holder: { value?: tf.Tensor } = {};
          const g = tf.grad((params: tf.Tensor) => {
            const image = s.param.toImage(params);
            const out = s.objective(toModelInput(applyTransform(image, draw), s.preprocess));
            holder.value = tf.keep(tf.mean(out.report ?? out.value));
            let total = tf.sum(out.value);
            if (s.l2 > 0) total = tf.sub(total, tf.mul(tf.sum(l2Penalty(image)), s.l2));
            if (s.tv > 0) total = tf.sub(total, tf.mul(tf.sum(totalVariation(image, s.tvBeta)), s.tv));
            return total;
          })(p);
          return [holder.value as tf.Tensor, g];
        }),
        { where: s.where },
      );
      s.release?.();
      const next = tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, BETA1), tf.mul(grad, 1 - BETA1));
        const v1 = tf.add(tf.mul(v, BETA2), tf.mul(tf.square(grad), 1 - BETA2));
        const mHat = tf.div(m1, 1 - Math.pow(BETA1, step));
        const vHat = tf.div(v1, 1 - Math.pow(BETA2, step));
        const lr = s.schedule === 'cosine' ? s.stepSize * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / s.steps)) : s.stepSize;
        return [tf.add(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), ADAM_EPS)), lr)), m1, v1];
      });
      tf.dispose([p, m, v, grad]);
      [p, m, v] = next;
      if (s.blurEvery > 0 && s.blurSigma > 0 && step % s.blurEvery === 0) {
        const blurred = s.param.blur(p, s.blurSigma);
        p.dispose();
        p = blurred;
      }
      const objective = (await report.data())[0];
      report.dispose();
      if (s.onStep) {
        const withImage = s.imageEvery > 0 && (step % s.imageEvery === 0 || step === s.steps);
        const image = withImage ? tf.tidy(() => toModelInput(s.param.toImage(p), s.preprocess)) : undefined;
        try {
          await s.onStep({ step, objective, image });
        } finally {
          image?.dispose();
        }
      }
    }
    return tf.tidy(() => toModelInput(s.param.toImage(p), s.preprocess));
  } finally {
    s.release?.();
    tf.dispose([p, m, v]);
  }
}
