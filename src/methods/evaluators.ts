/**
 * The batch evaluators that pool workers run (see ../pool), by name: each builds, from a model, the
 * job's tensors and its parameters, the same `evaluate(start, end)` that the method's in-process loop
 * calls, so pooled and in-process batches are computed by one piece of code.
 */
import { igEvaluator } from './integrated-gradients';
import { occlusionEvaluator } from './occlusion';
import { scoreCamEvaluator } from './score-cam';
import { smoothGradEvaluator } from './smooth-grad';
import type { Model } from '../models/types';
import type * as tf from '@tensorflow/tfjs';

type Factory = (model: Model, tensors: Record<string, tf.Tensor>, params: Record<string, unknown>) => (start: number, end: number) => unknown;

export const EVALUATORS: Readonly<Record<string, Factory>> = {
  integratedGradients: igEvaluator as unknown as Factory,
  smoothGrad: smoothGradEvaluator as unknown as Factory,
  scoreCam: scoreCamEvaluator as unknown as Factory,
  occlusion: occlusionEvaluator as unknown as Factory,
};
