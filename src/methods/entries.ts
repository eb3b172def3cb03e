/**
 * The registry entries of every attribution method that SmoothGrad can wrap (all of them but SmoothGrad
 * itself): name, options (from each method's own specs and defaults), and capabilities. The registry
 * (./registry) lists these with SmoothGrad's entry; SmoothGrad reads them to wrap a method by name, as
 * Captum's NoiseTunnel wraps any attribution, without importing the registry (which imports it).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ReluRule } from '../models/gradient-rules';
import type { Model } from '../models/types';
import { ABLATION_CAM_OPTIONS, ablationCam } from './ablation-cam';
import { cam, CAM_METHOD_OPTIONS } from './cam';
import { CAM_OPTIONS } from './cam-pipeline';
import { BLUR_IG_OPTIONS, blurIg } from './blur-ig';
import { DEEP_LIFT_OPTIONS, deepLift } from './deep-lift';
import { DEEP_LIFT_SHAP_OPTIONS, deepLiftShap } from './deep-lift-shap';
import { EXPECTED_GRADIENTS_OPTIONS, expectedGradients } from './expected-gradients';
import { GRADIENT_SHAP_OPTIONS, gradientShap } from './gradient-shap';
import { GUIDED_IG_OPTIONS, guidedIg } from './guided-ig';
import { XRAI_OPTIONS, xrai } from './xrai';
import { eigenCam, eigenGradCam } from './eigen-cam';
import { FULL_GRAD_OPTIONS, fullGrad } from './full-grad';
import { MULTI_LAYER_CAM_OPTIONS, multiLayerCam } from './multi-layer-cam';
import { gradCam } from './grad-cam';
import { gradCamPlusPlus } from './grad-cam-plus-plus';
import { GRADIENT_OPTIONS, gradientTimesInput, SALIENCY_MAP_OPTIONS, saliencyMap, vanillaGradient } from './gradient';
import { guidedBackprop, deconvnet } from './guided-backprop';
import { gradCamElementWise, hiResCam } from './hi-res-cam';
import { GUIDED_GRAD_CAM_OPTIONS, guidedGradCam } from './guided-grad-cam';
import { IG_OPTIONS, integratedGradients } from './integrated-gradients';
import { INTERNAL_INFLUENCE_OPTIONS, internalInfluence } from './internal-influence';
import { LAYER_CONDUCTANCE_OPTIONS, layerConductance } from './layer-conductance';
import { LAYER_IG_OPTIONS, layerIntegratedGradients } from './layer-integrated-gradients';
import { layerCam } from './layer-cam';
import { NEURON_GRADIENT_OPTIONS, neuronGradient } from './neuron-gradient';
import { lrp, LRP_OPTIONS } from './lrp';
import { featureAblation, FEATURE_ABLATION_OPTIONS } from './feature-ablation';
import { KERNEL_SHAP_OPTIONS, kernelShap } from './kernel-shap';
import { lime, LIME_OPTIONS } from './lime';
import { occlusion, OCCLUSION_OPTIONS } from './occlusion';
import { rise, RISE_OPTIONS } from './rise';
import { SHAPLEY_SAMPLING_OPTIONS, shapleyValueSampling } from './shapley-sampling';
import type { OptionSpec, OptionSpecs } from './options';
import { scoreCam, SCORE_CAM_OPTIONS } from './score-cam';
import { xGradCam } from './x-grad-cam';

/** One option as the registry lists it (name, type, default, limits, description). */
export type MethodOption = OptionSpec;

/** What a method is and does, for widgets, the command line and wrappers such as SmoothGrad. */
export interface MethodCapabilities {
  family: 'gradient' | 'path' | 'cam' | 'perturbation';
  /**
   * `input`: `[N,H,W,C]` like the input; `map`: `[N,H,W]` (CAM maps at layer resolution when not
   * upsampled); `layer`: shaped like the output of the layer attributed to, `[N, ...]`.
   */
  output: 'input' | 'map' | 'layer';
  /** Whether the method works on a layer (and so needs a LayersModel or GraphModel). */
  usesLayer: boolean;
  /** Whether it loops over batches (and so honours batchSize, onProgress, onPartial and signal). */
  long: boolean;
  /**
   * The ReLU gradient rule when the method is one input gradient under that rule (times the input when
   * `multipliesByInput`), so that SmoothGrad can batch noisy copies through it; null otherwise.
   */
  reluRule: ReluRule | null;
  /** Whether the attributions are multiplied by the input (or by input − baseline), Captum's `multiplies_by_inputs`. */
  multipliesByInput: boolean;
  /** Whether the method has a convergence delta (`integratedGradientsWithDelta`). */
  convergenceDelta: boolean;
}

export interface MethodInfo extends MethodCapabilities {
  name: string;
  title: string;
  reference: string;
  /** One line for tables: what the method computes. */
  summary: string;
  options: MethodOption[];
  /** Runs the method; the caller owns the result. */
  run(model: Model, input: tf.Tensor, options: Record<string, unknown>): Promise<tf.Tensor>;
}

const list = (specs: OptionSpecs<unknown>): MethodOption[] => Object.values<OptionSpec>(specs);
const NONE = { reluRule: null, multipliesByInput: false, convergenceDelta: false } as const;
const GRADIENT = { family: 'gradient', output: 'input', usesLayer: false, long: false } as const;
const CAM_MAP = { family: 'cam', output: 'map', usesLayer: true, long: false } as const;
const PERTURBATION = { family: 'perturbation', output: 'map', usesLayer: false, long: true } as const;
const PATH = { family: 'path', output: 'input', usesLayer: false, long: true } as const;

/** The wrappable methods in the registry's order (SmoothGrad goes after gradientTimesInput). */
export const WRAPPABLE_METHODS = {
  vanillaGradient: {
    ...GRADIENT, ...NONE, reluRule: 'standard', name: 'vanillaGradient', title: 'Gradient', reference: 'Simonyan, Vedaldi and Zisserman 2014',
    summary: '∂score/∂input', options: list(GRADIENT_OPTIONS),
    run: (m, x, o) => vanillaGradient(m, x, o),
  },
  saliencyMap: {
    ...GRADIENT, ...NONE, output: 'map', name: 'saliencyMap', title: 'Saliency map', reference: 'Simonyan, Vedaldi and Zisserman 2014; keras-vis',
    summary: 'the gradient reduced over channels (`reduce`)', options: list(SALIENCY_MAP_OPTIONS),
    run: (m, x, o) => saliencyMap(m, x, o),
  },
  gradientTimesInput: {
    ...GRADIENT, ...NONE, reluRule: 'standard', multipliesByInput: true, name: 'gradientTimesInput', title: 'Gradient × input', reference: 'Shrikumar et al. 2016',
    summary: 'gradient × input', options: list(GRADIENT_OPTIONS),
    run: (m, x, o) => gradientTimesInput(m, x, o),
  },
  integratedGradients: {
    family: 'path', output: 'input', usesLayer: false, long: true, ...NONE, multipliesByInput: true, convergenceDelta: true,
    name: 'integratedGradients', title: 'Integrated Gradients', reference: 'Sundararajan, Taly and Yan 2017',
    summary: "(x − x′) · ∫₀¹ ∂F(x′ + α(x − x′))/∂x dα by quadrature; `integratedGradientsWithDelta` also returns Σ IG − (F(x) − F(x′)) per item",
    options: list(IG_OPTIONS),
    run: (m, x, o) => integratedGradients(m, x, o),
  },
  deepLift: {
    ...GRADIENT, ...NONE, multipliesByInput: true, convergenceDelta: true, name: 'deepLift', title: 'DeepLift', reference: 'Shrikumar, Greenside and Kundaje 2017; Captum DeepLift',
    summary: "(x − x′) · the gradient with each non-linearity's derivative replaced by Δy/Δx (rescale rule; max pooling as Captum); `deepLiftWithDelta` also returns Σ attributions − (F(x) − F(x′)) per item",
    options: list(DEEP_LIFT_OPTIONS),
    run: (m, x, o) => deepLift(m, x, o),
  },
  deepLiftShap: {
    ...PATH, ...NONE, multipliesByInput: true, name: 'deepLiftShap', title: 'DeepLiftShap', reference: 'Lundberg and Lee 2017; Captum DeepLiftShap',
    summary: 'the mean over a baseline distribution (`baselines`) of DeepLift against each baseline',
    options: list(DEEP_LIFT_SHAP_OPTIONS),
    run: (m, x, o) => deepLiftShap(m, x, o),
  },
  gradientShap: {
    ...PATH, ...NONE, multipliesByInput: true, name: 'gradientShap', title: 'GradientShap', reference: 'Lundberg and Lee 2017; Captum GradientShap',
    summary: 'the mean over `samples` draws of ∂F(b + α(x̃ − b))/∂x · (x̃ − b): b from `baselines`, α ~ U(0, 1), x̃ = x + N(0, `stdevs`²)',
    options: list(GRADIENT_SHAP_OPTIONS),
    run: (m, x, o) => gradientShap(m, x, o),
  },
  expectedGradients: {
    ...PATH, ...NONE, multipliesByInput: true, name: 'expectedGradients', title: 'Expected Gradients', reference: 'Erion et al. 2021',
    summary: 'E over references b (`baselines`) and α ~ U(0, 1) of (x − b) · ∂F(b + α(x − b))/∂x: GradientShap without noise',
    options: list(EXPECTED_GRADIENTS_OPTIONS),
    run: (m, x, o) => expectedGradients(m, x, o),
  },
  guidedIg: {
    ...PATH, ...NONE, multipliesByInput: true, name: 'guidedIg', title: 'Guided Integrated Gradients', reference: 'Kapishnikov et al. 2021; PAIR saliency GuidedIG',
    summary: 'IG along an adaptive path that moves the features of smallest |gradient| first, within `maxDist` of the straight line (`maxDist: 0`: IG, left Riemann rule)',
    options: list(GUIDED_IG_OPTIONS),
    run: (m, x, o) => guidedIg(m, x, o),
  },
  blurIg: {
    ...PATH, ...NONE, name: 'blurIg', title: 'Blur IG', reference: 'Xu, Venugopalan and Sundararajan 2020; PAIR saliency BlurIG',
    summary: 'IG along the path from the input blurred with σ = `maxSigma` to the input; sums to ≈ F(x) − F(blurred)',
    options: list(BLUR_IG_OPTIONS),
    run: (m, x, o) => blurIg(m, x, o),
  },
  xrai: {
    ...PATH, ...NONE, output: 'map', name: 'xrai', title: 'XRAI', reference: 'Kapishnikov et al. 2019; PAIR saliency XRAI',
    summary: 'IG (black and white baselines) summed into Felzenszwalb segments at six scales, regions grown greedily by attribution density',
    options: list(XRAI_OPTIONS),
    run: (m, x, o) => xrai(m, x, o),
  },
  lrp: {
    ...GRADIENT, ...NONE, multipliesByInput: true, convergenceDelta: true, name: 'lrp', title: 'LRP', reference: 'Bach et al. 2015; Montavon et al. 2019; Captum LRP',
    summary: "relevance R_j = a_j Σ_k w_jk R_k / z_k handed down layer by layer from R = f(x), by the ε, γ, α-β or z^B rule per layer kind (`rule`, or Montavon et al.'s `composite`); LayersModels of convolutions, dense, pooling, batch norm, Add, Concatenate; `lrpWithDelta` also returns f(x) − Σ R per item",
    options: list(LRP_OPTIONS),
    run: (m, x, o) => lrp(m, x, o),
  },
  layerConductance: {
    family: 'path', output: 'layer', usesLayer: true, long: true, ...NONE, name: 'layerConductance', title: 'Layer conductance', reference: 'Dhamdhere, Sundararajan and Yan 2018; Captum LayerConductance',
    summary: "per unit of `layer`'s output, Σ_k ∂F/∂y(α_k) · (y(α_{k+1}) − y(α_k)) on the input path x′ → x; sums over the layer to about F(x) − F(x′)",
    options: list(LAYER_CONDUCTANCE_OPTIONS),
    run: (m, x, o) => layerConductance(m, x, o),
  },
  internalInfluence: {
    family: 'path', output: 'layer', usesLayer: true, long: true, ...NONE, name: 'internalInfluence', title: 'Internal influence', reference: 'Leino et al. 2018; Captum InternalInfluence',
    summary: "∫₀¹ ∂F/∂y dα for `layer`'s output y along the input path x′ → x (Integrated Gradients' quadrature)",
    options: list(INTERNAL_INFLUENCE_OPTIONS),
    run: (m, x, o) => internalInfluence(m, x, o),
  },
  layerIntegratedGradients: {
    family: 'path', output: 'layer', usesLayer: true, long: true, ...NONE, multipliesByInput: true, name: 'layerIntegratedGradients', title: 'Layer Integrated Gradients', reference: 'Captum LayerIntegratedGradients',
    summary: "(y − y′) · ∫₀¹ ∂F/∂y (y′ + α(y − y′)) dα in the space of `layer`'s output, y′ its value on the baseline",
    options: list(LAYER_IG_OPTIONS),
    run: (m, x, o) => layerIntegratedGradients(m, x, o),
  },
  neuronGradient: {
    ...GRADIENT, ...NONE, usesLayer: true, name: 'neuronGradient', title: 'Neuron gradient', reference: 'Captum NeuronGradient',
    summary: "∂y_neuron/∂x for one unit of `layer`'s output (`neuron`, row-major), or of their sum",
    options: list(NEURON_GRADIENT_OPTIONS),
    run: (m, x, o) => neuronGradient(m, x, o),
  },
  guidedBackprop: {
    ...GRADIENT, ...NONE, reluRule: 'guided', name: 'guidedBackprop', title: 'Guided backpropagation', reference: 'Springenberg et al. 2015',
    summary: 'the gradient passed through each ReLU only where its input and the incoming gradient are positive', options: list(GRADIENT_OPTIONS),
    run: (m, x, o) => guidedBackprop(m, x, o),
  },
  deconvnet: {
    ...GRADIENT, ...NONE, reluRule: 'deconvnet', name: 'deconvnet', title: 'Deconvnet', reference: 'Zeiler and Fergus 2014',
    summary: 'the gradient passed through each ReLU where the incoming gradient is positive', options: list(GRADIENT_OPTIONS),
    run: (m, x, o) => deconvnet(m, x, o),
  },
  gradCam: {
    ...CAM_MAP, ...NONE, name: 'gradCam', title: 'Grad-CAM', reference: 'Selvaraju et al. 2017',
    summary: 'Σ_c mean(∂y/∂A_c) · A_c on `layer`', options: list(CAM_OPTIONS),
    run: (m, x, o) => gradCam(m, x as tf.Tensor4D, o),
  },
  gradCamPlusPlus: {
    ...CAM_MAP, ...NONE, name: 'gradCamPlusPlus', title: 'Grad-CAM++', reference: 'Chattopadhyay et al. 2018',
    summary: 'Grad-CAM with higher-order channel weights', options: list(CAM_OPTIONS),
    run: (m, x, o) => gradCamPlusPlus(m, x as tf.Tensor4D, o),
  },
  layerCam: {
    ...CAM_MAP, ...NONE, name: 'layerCam', title: 'LayerCAM', reference: 'Jiang et al. 2021',
    summary: 'Σ_c ReLU(∂y/∂A_c) · A_c, position by position', options: list(CAM_OPTIONS),
    run: (m, x, o) => layerCam(m, x as tf.Tensor4D, o),
  },
  xGradCam: {
    ...CAM_MAP, ...NONE, name: 'xGradCam', title: 'XGrad-CAM', reference: 'Fu et al. 2020; pytorch-grad-cam XGradCAM',
    summary: 'Σ_c w_c · A_c, w_c = Σ_ij A_c ∂y/∂A_c / Σ_ij A_c', options: list(CAM_OPTIONS),
    run: (m, x, o) => xGradCam(m, x as tf.Tensor4D, o),
  },
  hiResCam: {
    ...CAM_MAP, ...NONE, name: 'hiResCam', title: 'HiResCAM', reference: 'Draelos and Carin 2020; pytorch-grad-cam HiResCAM',
    summary: 'Σ_c ∂y/∂A_c · A_c, position by position', options: list(CAM_OPTIONS),
    run: (m, x, o) => hiResCam(m, x as tf.Tensor4D, o),
  },
  gradCamElementWise: {
    ...CAM_MAP, ...NONE, name: 'gradCamElementWise', title: 'Element-wise Grad-CAM', reference: 'pytorch-grad-cam GradCAMElementWise',
    summary: 'Σ_c ReLU(∂y/∂A_c · A_c), position by position', options: list(CAM_OPTIONS),
    run: (m, x, o) => gradCamElementWise(m, x as tf.Tensor4D, o),
  },
  eigenCam: {
    ...CAM_MAP, ...NONE, name: 'eigenCam', title: 'Eigen-CAM', reference: 'Bany Muhammad and Yeasin 2020; pytorch-grad-cam EigenCAM',
    summary: 'the projection of A on its first principal component (class-agnostic)', options: list(CAM_OPTIONS),
    run: (m, x, o) => eigenCam(m, x as tf.Tensor4D, o),
  },
  eigenGradCam: {
    ...CAM_MAP, ...NONE, name: 'eigenGradCam', title: 'Eigen-Grad-CAM', reference: 'pytorch-grad-cam EigenGradCAM',
    summary: 'the projection of ∂y/∂A · A on its first principal component', options: list(CAM_OPTIONS),
    run: (m, x, o) => eigenGradCam(m, x as tf.Tensor4D, o),
  },
  scoreCam: {
    ...CAM_MAP, ...NONE, long: true, name: 'scoreCam', title: 'Score-CAM', reference: 'Wang et al. 2020',
    summary: 'channels weighted by a softmax of the scores of the input masked by each', options: list(SCORE_CAM_OPTIONS),
    run: (m, x, o) => scoreCam(m, x as tf.Tensor4D, o),
  },
  ablationCam: {
    ...CAM_MAP, ...NONE, long: true, name: 'ablationCam', title: 'Ablation-CAM', reference: 'Desai and Ramaswamy 2020; pytorch-grad-cam AblationCAM',
    summary: 'channels weighted by the relative drop of the score when each is ablated, (y − y_c) / y', options: list(ABLATION_CAM_OPTIONS),
    run: (m, x, o) => ablationCam(m, x as tf.Tensor4D, o),
  },
  multiLayerCam: {
    ...CAM_MAP, ...NONE, name: 'multiLayerCam', title: 'Multi-layer CAM', reference: 'pytorch-grad-cam (several target_layers)',
    summary: 'the mean over `layers` of a CAM variant’s maps (`method`), each upsampled and min-max scaled per item',
    options: list(MULTI_LAYER_CAM_OPTIONS),
    run: (m, x, o) => multiLayerCam(m, x, o),
  },
  fullGrad: {
    ...CAM_MAP, ...NONE, name: 'fullGrad', title: 'FullGrad', reference: 'Srinivas and Fleuret 2019; pytorch-grad-cam FullGrad',
    summary: 'Σ_c ψ(|x_c ∂y/∂x_c|) + Σ over biased layers Σ_c ψ(|b_c ∂y/∂z_c|), ψ min-max scaling each map and resizing it to the input; LayersModels',
    options: list(FULL_GRAD_OPTIONS),
    run: (m, x, o) => fullGrad(m, x, o),
  },
  cam: {
    ...CAM_MAP, ...NONE, name: 'cam', title: 'CAM', reference: 'Zhou et al. 2016',
    summary: 'Σ_c W[c,k] · A_c for models whose head is global average pooling then a dense layer', options: list(CAM_METHOD_OPTIONS),
    run: (m, x, o) => cam(m, x as tf.Tensor4D, o),
  },
  guidedGradCam: {
    ...CAM_MAP, ...NONE, output: 'input', name: 'guidedGradCam', title: 'Guided Grad-CAM', reference: 'Selvaraju et al. 2017; Captum GuidedGradCam',
    summary: 'guided backprop × ReLU of the upsampled Grad-CAM map, broadcast over channels', options: list(GUIDED_GRAD_CAM_OPTIONS),
    run: (m, x, o) => guidedGradCam(m, x as tf.Tensor4D, o),
  },
  occlusion: {
    family: 'perturbation', output: 'map', usesLayer: false, long: true, ...NONE, name: 'occlusion', title: 'Occlusion', reference: 'Zeiler and Fergus 2014; Captum Occlusion',
    summary: 'per pixel, the mean of F(x) − F(x occluded) over the windows covering it', options: list(OCCLUSION_OPTIONS),
    run: (m, x, o) => occlusion(m, x as tf.Tensor4D, o),
  },
  featureAblation: {
    ...PERTURBATION, ...NONE, name: 'featureAblation', title: 'Feature ablation', reference: 'Captum FeatureAblation',
    summary: 'per pixel group (`groups`: SLIC superpixels, a grid, or a label mask), F(x) − F(x with the group at the baseline)', options: list(FEATURE_ABLATION_OPTIONS),
    run: (m, x, o) => featureAblation(m, x as tf.Tensor4D, o),
  },
  shapleyValueSampling: {
    ...PERTURBATION, ...NONE, name: 'shapleyValueSampling', title: 'Shapley value sampling', reference: 'Castro, Gómez and Tejada 2009; Captum ShapleyValueSampling',
    summary: "each group's mean score change when it joins the groups before it, over `samples` random orders (sums to F(x) − F(baseline))", options: list(SHAPLEY_SAMPLING_OPTIONS),
    run: (m, x, o) => shapleyValueSampling(m, x as tf.Tensor4D, o),
  },
  lime: {
    ...PERTURBATION, ...NONE, name: 'lime', title: 'LIME', reference: 'Ribeiro, Singh and Guestrin 2016; Captum Lime',
    summary: 'coefficients of a weighted lasso (`alpha`) of the scores of random group on/off draws, weighted by an exponential kernel of the cosine distance to x', options: list(LIME_OPTIONS),
    run: (m, x, o) => lime(m, x as tf.Tensor4D, o),
  },
  kernelShap: {
    ...PERTURBATION, ...NONE, name: 'kernelShap', title: 'KernelSHAP', reference: 'Lundberg and Lee 2017; Captum KernelShap',
    summary: "coefficients of a least-squares fit of group on/off draws sampled by the Shapley kernel (the groups' Shapley values as `samples` grows)", options: list(KERNEL_SHAP_OPTIONS),
    run: (m, x, o) => kernelShap(m, x as tf.Tensor4D, o),
  },
  rise: {
    ...PERTURBATION, ...NONE, name: 'rise', title: 'RISE', reference: 'Petsiuk, Das and Saenko 2018',
    summary: 'Σ F(x ⊙ M) · M / (N · p) over `samples` random upsampled grid masks M', options: list(RISE_OPTIONS),
    run: (m, x, o) => rise(m, x as tf.Tensor4D, o),
  },
} satisfies Record<string, MethodInfo>;

export type WrappableMethod = keyof typeof WRAPPABLE_METHODS;
