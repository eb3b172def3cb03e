export * from './common';
export { inputGradient, vanillaGradient, gradientTimesInput, saliencyMap, reduceChannels, CHANNEL_REDUCTIONS } from './gradient';
export type { VanillaGradientOptions, SaliencyMapOptions, ChannelReduction } from './gradient';
export * from './guided-backprop';
export * from './smooth-grad';
export {
  integratedGradients, integratedGradientsWithDelta, integrationPoints, gaussLegendre, gaussianBlur, IG_METHODS,
} from './integrated-gradients';
export type { IntegratedGradientsOptions, IntegrationMethod, Baseline } from './integrated-gradients';
export type { CamOptions } from './cam-pipeline';
export * from './grad-cam';
export * from './grad-cam-plus-plus';
export * from './layer-cam';
export * from './score-cam';
export * from './cam';
export * from './guided-grad-cam';
export * from './occlusion';
export * from './layer-activations';
export * from './registry';
