// saliency-lab: the public API, as named re-exports (test/api.test.ts holds the list: a name added or
// removed here is a change to the API, made on purpose). Internals are imported by path inside the
// package. Importing the package starts choosing the best TensorFlow.js backend (see src/backend); every
// method awaits that choice before it runs.
export {
  SaliencyError, InputError, OptionError, UnknownLayerError, AmbiguousLayerError, LayerError, TargetError, ModelError, BackendError,
  CancelledError, WorkerError,
} from './errors';
export { BACKENDS, ready, setBackend, backendInfo } from './backend';
export { disposePool, poolSize } from './pool';
export type { Workers, PoolDecision } from './pool';
export type { BackendName, BackendInfo } from './backend';
export { DISPLAY, display, clearOutput } from './display';
export type { MimeBundle, Displayable, DisplayOptions } from './display';
export {
  listLayers, defaultCamLayer, isLayersModel, isGraphModel, capture, splitModel, withGradientRules, loadModel, saveModel,
  SHIPPED_MODELS, SHIPPED_MODELS_DIR, SHIPPED_INFO, shippedModelPath, isShippedModelName, buildShippedArchitecture,
  trainShipped, evaluateShipped, trainingDataSeed, heldOutSeed, registerWasmTrainingKernels, trainShuffledLabels, shuffledDataSeed, SHUFFLED_TRAIN_DEFAULTS,
} from './models';
export type {
  Model, ScoreFunction, LayerInfo, ListLayersOptions, ForwardOptions, CaptureOptions, Captured, SplitModel, GradientRules, ReluRule, LoadModelOptions, ShippedModelName, ShippedModelInfo,
  TrainOptions, TrainProgress, TrainResult, HeldOutMetrics, ShuffledTrainOptions, ShuffledFit,
} from './models';
export {
  COMMON_DEFAULTS, vanillaGradient, gradientTimesInput, saliencyMap, reduceChannels, CHANNEL_REDUCTIONS, SALIENCY_MAP_DEFAULTS,
  guidedBackprop, deconvnet, smoothGrad, SMOOTHGRAD_TYPES, SMOOTHGRAD_METHODS, SMOOTH_GRAD_DEFAULTS,
  integratedGradients, integratedGradientsWithDelta, integrationPoints, gaussLegendre, IG_METHODS, IG_BASELINES, IG_DEFAULTS,
  deepLift, deepLiftWithDelta, DEEP_LIFT_DEFAULTS, deepLiftShap, DEEP_LIFT_SHAP_DEFAULTS, gradientShap, GRADIENT_SHAP_DEFAULTS,
  expectedGradients, EXPECTED_GRADIENTS_DEFAULTS, BASELINE_DISTRIBUTIONS, guidedIg, GUIDED_IG_DEFAULTS, blurIg, BLUR_IG_DEFAULTS,
  xrai, XRAI_DEFAULTS, XRAI_ALGORITHMS, felzenszwalb,
  lrp, lrpWithDelta, LRP_DEFAULTS, layerConductance, internalInfluence, layerIntegratedGradients, LAYER_PATH_DEFAULTS, neuronGradient, NEURON_GRADIENT_DEFAULTS, LRP_RULES, LRP_LAYER_RULES, LRP_INPUT_RULES, CAM_DEFAULTS, gradCam, gradCamPlusPlus, layerCam, xGradCam, hiResCam, gradCamElementWise, eigenCam, eigenGradCam,
  scoreCam, SCORE_CAM_DEFAULTS, ablationCam, ABLATION_CAM_DEFAULTS, cam, CAM_METHOD_DEFAULTS, fullGrad, multiLayerCam, MULTI_LAYER_CAM_DEFAULTS, MULTI_LAYER_CAM_METHODS, guidedGradCam, GUIDED_GRAD_CAM_DEFAULTS,
  occlusion, occlusionContext, planOcclusion, runOcclusion, evaluateDrops, aggregateOcclusion, OCCLUSION_DEFAULTS, layerActivations,
  OCCLUSION_ALGORITHMS, occlusionEvaluator, incrementalUnsupported,
  featureAblation, FEATURE_ABLATION_DEFAULTS, shapleyValueSampling, SHAPLEY_SAMPLING_DEFAULTS, lime, LIME_DEFAULTS, LIME_DISTANCES,
  kernelShap, KERNEL_SHAP_DEFAULTS, rise, RISE_DEFAULTS, pixelGroups, GROUP_DEFAULTS, GROUP_KINDS,
  METHODS, METHOD_NAMES, getMethod, runMethod, parseMethodOptions, methodOptionsFromJSON,
  activationMaximization, filterGallery, featureInversion, deepDream, STEP_SCHEDULES, PARAMETERIZATIONS, gaussianBlur,
} from './methods';
export type {
  Target, CommonOptions, LoopOptions, VanillaGradientOptions, SaliencyMapOptions, ChannelReduction, GuidedBackpropOptions,
  SmoothGradOptions, SmoothGradType, AttributionFunction, SmoothGradPartial,
  IntegratedGradientsOptions, IntegratedGradientsPartial, IntegrationMethod, Baseline, DeepLiftOptions,
  DeepLiftShapOptions, DeepLiftShapPartial, GradientShapOptions, GradientShapPartial, ExpectedGradientsOptions, ExpectedGradientsPartial,
  BaselineDistribution, GuidedIgOptions, GuidedIgPartial, BlurIgOptions, BlurIgPartial, XraiOptions, XraiPartial, XraiAlgorithm, FelzenszwalbOptions,
  LrpOptions, LrpRule, LrpLayerRule, LrpInputRule, LayerConductanceOptions, InternalInfluenceOptions, LayerIntegratedGradientsOptions, LayerPathOptions, NeuronGradientOptions, FullGradOptions, MultiLayerCamOptions, MultiLayerCamMethod,
  CamOptions, GradCamOptions, GradCamPlusPlusOptions, LayerCamOptions, XGradCamOptions, HiResCamOptions, EigenCamOptions, ScoreCamOptions, ScoreCamPartial,
  AblationCamOptions, AblationCamPartial, CamMethodOptions, GuidedGradCamOptions,
  FeatureAblationOptions, FeatureAblationPartial, ShapleySamplingOptions, ShapleySamplingPartial, LimeOptions, LimePartial, LimeDistance,
  KernelShapOptions, KernelShapPartial, RiseOptions, RisePartial, Groups, GroupKind,
  OcclusionOptions, OcclusionPartial, OcclusionContext, OcclusionPlan, OcclusionEvaluator, RunOcclusionOptions, OcclusionAlgorithm,
  LayerActivationsOptions, LayerActivation, MethodInfo, MethodOption, MethodCapabilities, OptionType,
  ActivationMaximizationOptions, FilterGalleryOptions, FeatureInversionOptions, DeepDreamOptions, OptimizeOptions,
  StepEvent, StepCallback, StepSchedule, ParameterizationName,
} from './methods';
export {
  colormap, colormapLUT, COLORMAPS, normalize, normalizeRange, percentile, NORMALIZE_MODES, NORMALIZE_DEFAULTS, SCALES,
  smooth, resizeMap, gaussianKernel, RGBAImage, toPNG, overlay, heatmap, OVERLAY_MODES, OVERLAY_DEFAULTS,
  gallery, GALLERY_LAYOUTS, GALLERY_DEFAULTS, colorbar, COLORBAR_DEFAULTS, loadImage, saveImage, preprocess, deprocess, PREPROCESS_PRESETS,
  PlotlyFigure, PLOTLY_MIME, heatmapFigure, subplotsFigure, lineFigure, plotlyColorscale, show, createShow, DisplayError,
} from './viz';
export type {
  HostArray, ArrayInput, FloatArray, Colormap, ColormapName, ColormapSpec, RGB, NormalizeMode, NormalizeOptions, ScaleMode, ToImageOptions,
  OverlayMode, OverlayOptions, HeatmapOptions, GalleryLayout, GalleryOptions, ColorbarOptions, ColorbarOrientation,
  LoadImageOptions, SaveImageOptions, PreprocessPreset, PlotlySpec, HeatmapFigureOptions, SubplotsFigureOptions, LineFigureOptions, LineSeries,
  ShowOptions, TslabLoader, TslabDisplay,
} from './viz';
export {
  localisation, LOCALISATION_DEFAULTS, rankCorrelation, ssim, trapezoidAuc, deletion, insertion, DELETION_OPTIONS, INSERTION_OPTIONS,
  infidelity, INFIDELITY_DEFAULTS, INFIDELITY_OPTIONS, sensitivityMax, SENSITIVITY_MAX_DEFAULTS, SENSITIVITY_MAX_OPTIONS,
  modelRandomisation, RANDOMISATION_MODES, RANDOMISATION_DEFAULTS, RANDOMISATION_OPTIONS,
  road, ROAD_DEFAULTS, ROAD_OPTIONS, ROAD_FRACTIONS, hogSimilarity, HOG_DEFAULTS, dataRandomisation,
  evaluate, evaluateSeeds, formatSeedEvaluation, EVALUATION_MEASURES, EVALUATION_BETTER, evaluationFigures,
} from './metrics';
export type {
  Localisation, LocalisationOptions, SsimOptions, PixelCurve, PixelCurveOptions, InfidelityOptions, SensitivityMaxOptions, Randomisation, RandomisationMode, RandomisationOptions,
  Road, RoadOptions, HogOptions, DataRandomisation, DataRandomisationOptions, Evaluation, EvaluateOptions, EvaluatedMethod, EvaluationDetails,
  EvaluationMeasure, MeasureOptions, SeedEvaluation, EvaluationFigures,
} from './metrics';
export { data, SHAPE_CLASSES, MAX_STEERING_DEG, MIN_RINGS, MAX_RINGS } from './data';
export type { ShapeClass, Dataset, DatasetOptions } from './data';
export { currentSignal, registerCommTarget, openComm, listComms, input, inKernel, KernelError } from './kernel';
export type {
  BinaryData, Comm, CommMessage, CommMessageHandler, CommSendOptions, CommTargetHandler, OpenCommOptions, JSONObject, JSONValue,
} from './kernel';
export {
  MODULE_NAME, MODULE_VERSION, Widget, WidgetError, ProgressBar, progress, PROGRESS_STATUSES, HeatmapExplorer, heatmapExplorer,
  OcclusionExplorer, occlusionExplorer, ActivationGallery, activationGallery, CompareMethods, compareMethods,
} from './widgets';
export type {
  ProgressOptions, ProgressStatus, HeatmapExplorerOptions, OcclusionExplorerOptions, ActivationGalleryOptions, CompareMethodsOptions,
} from './widgets';

import { ready } from './backend';
// Start early so the first method call does not pay for it; failures surface from the first ready() call.
ready().catch(() => undefined);
