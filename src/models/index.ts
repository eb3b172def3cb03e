export type { Model, ScoreFunction, LayerInfo } from './types';
export { listLayers, defaultCamLayer, isLayersModel, isGraphModel } from './layers';
export { forwardScores, forwardWithLayer, forwardToLayer, endsInSoftmax } from './forward';
export type { ForwardOptions, LayerForward } from './forward';
export { splitModel } from './split';
export type { SplitModel } from './split';
export { withGradientRules, registerScopedKernel } from './gradient-rules';
export type { GradientRules, ReluRule } from './gradient-rules';
