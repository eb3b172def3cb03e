// methods: the public names of the attribution and feature-visualization methods (named re-exports only;
// re-exported from src/index.ts). Internals (input checks, target selection, the batch loop, option
// checks) are imported by path inside the package.
export { COMMON_DEFAULTS } from './common';
export type { Target, CommonOptions, LoopOptions } from './common';
export { vanillaGradient, gradientTimesInput, saliencyMap, reduceChannels, CHANNEL_REDUCTIONS, SALIENCY_MAP_DEFAULTS } from './gradient';
export type { VanillaGradientOptions, SaliencyMapOptions, ChannelReduction } from './gradient';
export { guidedBackprop, deconvnet } from './guided-backprop';
export type { GuidedBackpropOptions } from './guided-backprop';
export { smoothGrad, SMOOTHGRAD_TYPES, SMOOTHGRAD_METHODS, SMOOTH_GRAD_DEFAULTS } from './smooth-grad';
export type { SmoothGradOptions, SmoothGradType, AttributionFunction, SmoothGradPartial } from './smooth-grad';
export {
  integratedGradients, integratedGradientsWithDelta, integrationPoints, gaussLegendre, IG_METHODS, IG_BASELINES, IG_DEFAULTS,
} from './integrated-gradients';
export type { IntegratedGradientsOptions, IntegratedGradientsPartial, IntegrationMethod, Baseline } from './integrated-gradients';
export { CAM_DEFAULTS } from './cam-pipeline';
export type { CamOptions } from './cam-pipeline';
export { gradCam } from './grad-cam';
export type { GradCamOptions } from './grad-cam';
export { gradCamPlusPlus } from './grad-cam-plus-plus';
export type { GradCamPlusPlusOptions } from './grad-cam-plus-plus';
export { layerCam } from './layer-cam';
export type { LayerCamOptions } from './layer-cam';
export { scoreCam, SCORE_CAM_DEFAULTS } from './score-cam';
export type { ScoreCamOptions, ScoreCamPartial } from './score-cam';
export { cam, CAM_METHOD_DEFAULTS } from './cam';
export type { CamMethodOptions } from './cam';
export { guidedGradCam, GUIDED_GRAD_CAM_DEFAULTS } from './guided-grad-cam';
export type { GuidedGradCamOptions } from './guided-grad-cam';
export { occlusion, occlusionContext, planOcclusion, runOcclusion, evaluateDrops, aggregateOcclusion, OCCLUSION_DEFAULTS, OCCLUSION_ALGORITHMS, occlusionEvaluator } from './occlusion';
export { incrementalUnsupported } from './occlusion-incremental';
export type { OcclusionOptions, OcclusionPartial, OcclusionContext, OcclusionPlan, OcclusionEvaluator, RunOcclusionOptions, OcclusionAlgorithm } from './occlusion';
export { layerActivations } from './layer-activations';
export type { LayerActivationsOptions, LayerActivation } from './layer-activations';
export { METHODS, METHOD_NAMES, getMethod, runMethod, parseMethodOptions, methodOptionsFromJSON } from './registry';
export type { MethodInfo, MethodOption, MethodCapabilities } from './registry';
export type { OptionType } from './options';
export { activationMaximization, filterGallery } from './activation-maximization';
export type { ActivationMaximizationOptions, FilterGalleryOptions } from './activation-maximization';
export { featureInversion } from './feature-inversion';
export type { FeatureInversionOptions } from './feature-inversion';
export { deepDream } from './deep-dream';
export type { DeepDreamOptions } from './deep-dream';
export type { OptimizeOptions } from './optimize/setup';
export { STEP_SCHEDULES } from './optimize/loop';
export type { StepEvent, StepCallback, StepSchedule } from './optimize/loop';
export { PARAMETERIZATIONS } from './optimize/parameterization';
export type { ParameterizationName } from './optimize/parameterization';
export { gaussianBlur } from './optimize/transforms';
