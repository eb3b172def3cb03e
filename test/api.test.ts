/**
 * The public API: the names src/index.ts exports, values and types. A name added or removed is a change to
 * the API: update the lists here on purpose (and the README where it is documented). Internals such as
 * input checks, the batch loop, option checks and the kernel's host are not exported; tests, bench and
 * other modules import them by path.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const INDEX = path.join(__dirname, '..', 'src', 'index.ts');

const VALUES = [
  'DEEP_LIFT_DEFAULTS', 'deepLift', 'deepLiftWithDelta', 'lrp', 'lrpWithDelta', 'LRP_DEFAULTS', 'layerConductance', 'internalInfluence', 'layerIntegratedGradients', 'LAYER_PATH_DEFAULTS', 'neuronGradient', 'NEURON_GRADIENT_DEFAULTS', 'fullGrad', 'multiLayerCam', 'MULTI_LAYER_CAM_DEFAULTS', 'MULTI_LAYER_CAM_METHODS', 'LRP_RULES', 'LRP_LAYER_RULES', 'LRP_INPUT_RULES',
  'featureAblation', 'FEATURE_ABLATION_DEFAULTS', 'shapleyValueSampling', 'SHAPLEY_SAMPLING_DEFAULTS', 'lime', 'LIME_DEFAULTS', 'LIME_DISTANCES',
  'kernelShap', 'KERNEL_SHAP_DEFAULTS', 'rise', 'RISE_DEFAULTS', 'pixelGroups', 'GROUP_DEFAULTS', 'GROUP_KINDS',
  'deepLiftShap', 'DEEP_LIFT_SHAP_DEFAULTS', 'gradientShap', 'GRADIENT_SHAP_DEFAULTS', 'expectedGradients', 'EXPECTED_GRADIENTS_DEFAULTS',
  'BASELINE_DISTRIBUTIONS', 'guidedIg', 'GUIDED_IG_DEFAULTS', 'blurIg', 'BLUR_IG_DEFAULTS', 'xrai', 'XRAI_DEFAULTS', 'XRAI_ALGORITHMS', 'felzenszwalb',
  'ABLATION_CAM_DEFAULTS', 'ablationCam', 'eigenCam', 'eigenGradCam', 'gradCamElementWise', 'hiResCam', 'xGradCam',
  'AmbiguousLayerError', 'BACKENDS', 'BackendError', 'CAM_DEFAULTS', 'CAM_METHOD_DEFAULTS', 'CHANNEL_REDUCTIONS', 'COLORBAR_DEFAULTS', 'COLORMAPS', 'COMMON_DEFAULTS',
  'CancelledError', 'DISPLAY', 'DisplayError', 'GALLERY_DEFAULTS', 'GALLERY_LAYOUTS', 'GUIDED_GRAD_CAM_DEFAULTS', 'IG_BASELINES', 'IG_DEFAULTS',
  'IG_METHODS', 'InputError', 'KernelError', 'LayerError', 'MAX_RINGS', 'MAX_STEERING_DEG', 'METHODS', 'METHOD_NAMES', 'MIN_RINGS', 'ModelError',
  'NORMALIZE_DEFAULTS', 'NORMALIZE_MODES', 'OCCLUSION_ALGORITHMS', 'OCCLUSION_DEFAULTS', 'OVERLAY_DEFAULTS', 'OVERLAY_MODES', 'OptionError', 'PARAMETERIZATIONS',
  'PLOTLY_MIME', 'PREPROCESS_PRESETS', 'PlotlyFigure', 'RGBAImage', 'SALIENCY_MAP_DEFAULTS', 'SCALES', 'SCORE_CAM_DEFAULTS', 'SHAPE_CLASSES',
  'SHIPPED_INFO', 'SHIPPED_MODELS', 'SHIPPED_MODELS_DIR', 'SMOOTHGRAD_METHODS', 'SMOOTHGRAD_TYPES', 'SMOOTH_GRAD_DEFAULTS', 'STEP_SCHEDULES',
  'SaliencyError', 'TargetError', 'UnknownLayerError', 'WorkerError', 'disposePool', 'poolSize', 'activationMaximization', 'aggregateOcclusion', 'backendInfo', 'buildShippedArchitecture',
  'cam', 'capture', 'clearOutput', 'colorbar', 'colormap', 'colormapLUT', 'createShow', 'currentSignal', 'data', 'deconvnet', 'deepDream', 'defaultCamLayer',
  'deprocess', 'display', 'evaluateDrops', 'evaluateShipped', 'featureInversion', 'filterGallery', 'gallery', 'gaussLegendre', 'gaussianBlur',
  'gaussianKernel', 'getMethod', 'gradCam', 'gradCamPlusPlus', 'gradientTimesInput', 'guidedBackprop', 'guidedGradCam', 'heatmap', 'heatmapFigure',
  'heldOutSeed', 'inKernel', 'incrementalUnsupported', 'input', 'integratedGradients', 'integratedGradientsWithDelta', 'integrationPoints', 'isGraphModel', 'isLayersModel',
  'isShippedModelName', 'layerActivations', 'layerCam', 'lineFigure', 'listComms', 'listLayers', 'loadImage', 'loadModel', 'methodOptionsFromJSON',
  'normalize', 'normalizeRange', 'occlusion', 'occlusionContext', 'occlusionEvaluator', 'openComm', 'overlay', 'parseMethodOptions', 'percentile', 'planOcclusion',
  'plotlyColorscale', 'preprocess', 'ready', 'reduceChannels', 'registerCommTarget', 'registerWasmTrainingKernels', 'resizeMap', 'runMethod',
  'runOcclusion', 'saliencyMap', 'saveImage', 'saveModel', 'scoreCam', 'setBackend', 'shippedModelPath', 'show', 'smooth', 'smoothGrad',
  'splitModel', 'subplotsFigure', 'toPNG', 'trainShipped', 'trainingDataSeed', 'vanillaGradient', 'withGradientRules',
  // widgets
  'MODULE_NAME', 'MODULE_VERSION', 'Widget', 'WidgetError', 'ProgressBar', 'progress', 'PROGRESS_STATUSES', 'HeatmapExplorer', 'heatmapExplorer',
  'OcclusionExplorer', 'occlusionExplorer', 'ActivationGallery', 'activationGallery', 'CompareMethods', 'compareMethods',
  // metrics
  'localisation', 'LOCALISATION_DEFAULTS', 'rankCorrelation', 'ssim', 'trapezoidAuc', 'deletion', 'insertion', 'DELETION_OPTIONS', 'INSERTION_OPTIONS',
  'infidelity', 'INFIDELITY_DEFAULTS', 'INFIDELITY_OPTIONS', 'sensitivityMax', 'SENSITIVITY_MAX_DEFAULTS', 'SENSITIVITY_MAX_OPTIONS',
  'modelRandomisation', 'RANDOMISATION_MODES', 'RANDOMISATION_DEFAULTS', 'RANDOMISATION_OPTIONS',
  'road', 'ROAD_DEFAULTS', 'ROAD_OPTIONS', 'ROAD_FRACTIONS', 'hogSimilarity', 'HOG_DEFAULTS', 'dataRandomisation', 'trainShuffledLabels', 'shuffledDataSeed',
  'SHUFFLED_TRAIN_DEFAULTS', 'evaluate', 'evaluateSeeds', 'formatSeedEvaluation', 'EVALUATION_MEASURES', 'EVALUATION_BETTER', 'evaluationFigures',
];

const TYPES = [
  // metrics
  'Localisation', 'LocalisationOptions', 'SsimOptions', 'PixelCurve', 'PixelCurveOptions', 'InfidelityOptions', 'SensitivityMaxOptions', 'Randomisation', 'RandomisationMode', 'RandomisationOptions',
  'Road', 'RoadOptions', 'HogOptions', 'DataRandomisation', 'DataRandomisationOptions', 'Evaluation', 'EvaluateOptions', 'EvaluatedMethod', 'EvaluationDetails',
  'EvaluationMeasure', 'MeasureOptions', 'SeedEvaluation', 'EvaluationFigures', 'ShuffledTrainOptions', 'ShuffledFit',
  'DeepLiftOptions', 'LrpOptions', 'LrpRule', 'LrpLayerRule', 'LrpInputRule', 'LayerConductanceOptions', 'InternalInfluenceOptions', 'LayerIntegratedGradientsOptions', 'LayerPathOptions', 'NeuronGradientOptions', 'FullGradOptions', 'MultiLayerCamOptions', 'MultiLayerCamMethod',
  'FeatureAblationOptions', 'FeatureAblationPartial', 'ShapleySamplingOptions', 'ShapleySamplingPartial', 'LimeOptions', 'LimePartial', 'LimeDistance',
  'KernelShapOptions', 'KernelShapPartial', 'RiseOptions', 'RisePartial', 'Groups', 'GroupKind',
  'DeepLiftShapOptions', 'DeepLiftShapPartial', 'GradientShapOptions', 'GradientShapPartial', 'ExpectedGradientsOptions', 'ExpectedGradientsPartial',
  'BaselineDistribution', 'GuidedIgOptions', 'GuidedIgPartial', 'BlurIgOptions', 'BlurIgPartial', 'XraiOptions', 'XraiPartial', 'XraiAlgorithm', 'FelzenszwalbOptions',
  'AblationCamOptions', 'AblationCamPartial', 'EigenCamOptions', 'HiResCamOptions', 'XGradCamOptions',
  'ActivationMaximizationOptions', 'ArrayInput', 'Captured', 'CaptureOptions', 'ListLayersOptions', 'AttributionFunction', 'BackendInfo', 'BackendName', 'Baseline', 'BinaryData', 'CamMethodOptions',
  'CamOptions', 'ChannelReduction', 'ColorbarOptions', 'ColorbarOrientation', 'Colormap', 'ColormapName', 'ColormapSpec', 'Comm', 'CommMessage',
  'CommMessageHandler', 'CommSendOptions', 'CommTargetHandler', 'CommonOptions', 'Dataset', 'DatasetOptions', 'DeepDreamOptions', 'Displayable',
  'DisplayOptions', 'FeatureInversionOptions', 'FilterGalleryOptions', 'FloatArray', 'ForwardOptions', 'GalleryLayout', 'GalleryOptions',
  'GradCamOptions', 'GradCamPlusPlusOptions', 'GradientRules', 'GuidedBackpropOptions', 'GuidedGradCamOptions', 'HeatmapFigureOptions',
  'HeatmapOptions', 'HeldOutMetrics', 'HostArray', 'IntegratedGradientsOptions', 'IntegratedGradientsPartial', 'IntegrationMethod', 'JSONObject',
  'JSONValue', 'LayerActivation', 'LayerActivationsOptions', 'LayerCamOptions', 'LayerInfo', 'LineFigureOptions', 'LineSeries', 'LoadImageOptions',
  'LoadModelOptions', 'LoopOptions', 'MethodCapabilities', 'MethodInfo', 'MethodOption', 'MimeBundle', 'Model', 'NormalizeMode', 'NormalizeOptions',
  'OcclusionAlgorithm', 'OcclusionContext', 'OcclusionEvaluator', 'OcclusionOptions', 'OcclusionPartial', 'OcclusionPlan', 'OpenCommOptions', 'OptimizeOptions',
  'OptionType', 'PoolDecision', 'Workers', 'OverlayMode', 'OverlayOptions', 'ParameterizationName', 'PlotlySpec', 'PreprocessPreset', 'ReluRule', 'RGB', 'RunOcclusionOptions',
  'SaliencyMapOptions', 'SaveImageOptions', 'ScaleMode', 'ScoreCamOptions', 'ScoreCamPartial', 'ScoreFunction', 'ShapeClass', 'ShippedModelInfo',
  'ShippedModelName', 'ShowOptions', 'SmoothGradOptions', 'SmoothGradPartial', 'SmoothGradType', 'SplitModel', 'StepCallback', 'StepEvent',
  'StepSchedule', 'SubplotsFigureOptions', 'Target', 'ToImageOptions', 'TrainOptions', 'TrainProgress', 'TrainResult', 'TslabDisplay', 'TslabLoader',
  'VanillaGradientOptions',
  // widgets
  'ProgressOptions', 'ProgressStatus', 'HeatmapExplorerOptions', 'OcclusionExplorerOptions', 'ActivationGalleryOptions', 'CompareMethodsOptions',
];

/** The names src/index.ts exports, read from its `export { ... } from` and `export type { ... } from` lists. */
function declaredExports(): { values: string[]; types: string[]; other: string[] } {
  const sf = ts.createSourceFile(INDEX, fs.readFileSync(INDEX, 'utf8'), ts.ScriptTarget.Latest, true);
  const values: string[] = [], types: string[] = [], other: string[] = [];
  for (const s of sf.statements) {
    if (ts.isExportDeclaration(s)) {
      if (!s.exportClause || !ts.isNamedExports(s.exportClause)) other.push(s.getText());
      else for (const e of s.exportClause.elements) (s.isTypeOnly || e.isTypeOnly ? types : values).push(e.name.text);
    } else if (ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      other.push(s.getText().split('\n')[0]);
    }
  }
  return { values: values.sort(), types: types.sort(), other };
}

const sorted = (a: string[]) => [...a].sort();

describe('the public API (src/index.ts)', () => {
  const declared = declaredExports();

  test('is named re-exports only, no `export *` and nothing declared in the index', () => {
    expect(declared.other).toEqual([]);
  });

  test('exports exactly these values and types', () => {
    expect(declared.values).toEqual(sorted(VALUES));
    expect(declared.types).toEqual(sorted(TYPES));
  });

  test('the values are what the package gives at run time, and internals are not among them', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtime = Object.keys(require('../src')).filter((k) => k !== '__esModule').sort();
    expect(runtime).toEqual(sorted(VALUES));
    for (const internal of ['checkInput', 'chunks', 'accumulate', 'checkpoint', 'setKernelHost', 'getKernelHost', 'resolveTarget', 'runBatches', 'resolveOptions', 'forwardWithLayer']) {
      expect(runtime).not.toContain(internal);
    }
  });
});
