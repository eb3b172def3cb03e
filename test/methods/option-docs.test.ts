/**
 * The doc comments of the options interfaces (what an editor shows) state the same defaults as the
 * registry, which takes them from each method's DEFAULTS: a default written in a comment is a copy, so
 * this checks it. A default computed at run time (declared null) must say that null means it.
 */
import * as path from 'path';
import * as ts from 'typescript';
import { getMethod, METHOD_NAMES } from '../../src/methods/registry';

const SRC = path.join(__dirname, '..', '..', 'src', 'methods');
const INTERFACES: Record<string, [string, string]> = {
  vanillaGradient: ['gradient.ts', 'VanillaGradientOptions'],
  saliencyMap: ['gradient.ts', 'SaliencyMapOptions'],
  gradientTimesInput: ['gradient.ts', 'VanillaGradientOptions'],
  smoothGrad: ['smooth-grad.ts', 'SmoothGradOptions'],
  integratedGradients: ['integrated-gradients.ts', 'IntegratedGradientsOptions'],
  deepLift: ['deep-lift.ts', 'DeepLiftOptions'],
  deepLiftShap: ['deep-lift-shap.ts', 'DeepLiftShapOptions'],
  gradientShap: ['gradient-shap.ts', 'GradientShapOptions'],
  expectedGradients: ['expected-gradients.ts', 'ExpectedGradientsOptions'],
  guidedIg: ['guided-ig.ts', 'GuidedIgOptions'],
  blurIg: ['blur-ig.ts', 'BlurIgOptions'],
  xrai: ['xrai.ts', 'XraiOptions'],
  lrp: ['lrp.ts', 'LrpOptions'],
  layerConductance: ['layer-path.ts', 'LayerPathOptions'],
  internalInfluence: ['layer-path.ts', 'LayerPathOptions'],
  layerIntegratedGradients: ['layer-path.ts', 'LayerPathOptions'],
  neuronGradient: ['neuron-gradient.ts', 'NeuronGradientOptions'],
  guidedBackprop: ['guided-backprop.ts', 'GuidedBackpropOptions'],
  deconvnet: ['guided-backprop.ts', 'GuidedBackpropOptions'],
  gradCam: ['grad-cam.ts', 'GradCamOptions'],
  gradCamPlusPlus: ['grad-cam-plus-plus.ts', 'GradCamPlusPlusOptions'],
  layerCam: ['layer-cam.ts', 'LayerCamOptions'],
  xGradCam: ['x-grad-cam.ts', 'XGradCamOptions'],
  hiResCam: ['hi-res-cam.ts', 'HiResCamOptions'],
  gradCamElementWise: ['hi-res-cam.ts', 'HiResCamOptions'],
  eigenCam: ['eigen-cam.ts', 'EigenCamOptions'],
  eigenGradCam: ['eigen-cam.ts', 'EigenCamOptions'],
  scoreCam: ['score-cam.ts', 'ScoreCamOptions'],
  ablationCam: ['ablation-cam.ts', 'AblationCamOptions'],
  multiLayerCam: ['multi-layer-cam.ts', 'MultiLayerCamOptions'],
  fullGrad: ['full-grad.ts', 'FullGradOptions'],
  cam: ['cam.ts', 'CamMethodOptions'],
  guidedGradCam: ['guided-grad-cam.ts', 'GuidedGradCamOptions'],
  occlusion: ['occlusion.ts', 'OcclusionOptions'],
  featureAblation: ['feature-ablation.ts', 'FeatureAblationOptions'],
  shapleyValueSampling: ['shapley-sampling.ts', 'ShapleySamplingOptions'],
  lime: ['lime.ts', 'LimeOptions'],
  kernelShap: ['kernel-shap.ts', 'KernelShapOptions'],
  rise: ['rise.ts', 'RiseOptions'],
};

/** The word after "default" in a doc comment ("Default 50 (…)", "(default true)", "Default `zeros`."). */
function statedDefault(doc: string): string | null {
  const m = /\bdefault\b(?: \(also `null`\))?:?\s+([^\s]+)/i.exec(doc);
  if (!m) return null;
  return m[1].replace(/[.,;)]+$/, '').replace(/^[`'"]|[`'"]$/g, '');
}

test('every default stated in an options interface is the registry default', () => {
  const files = [...new Set(Object.values(INTERFACES).map(([f]) => path.join(SRC, f)))];
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, noResolve: false, types: [] });
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  let checked = 0;
  expect(Object.keys(INTERFACES)).toEqual([...METHOD_NAMES]);
  for (const name of METHOD_NAMES) {
    const [file, iface] = INTERFACES[name];
    const sf = program.getSourceFile(path.join(SRC, file)) as ts.SourceFile;
    const decl = sf.statements.find((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === iface);
    expect([name, decl !== undefined]).toEqual([name, true]);
    const type = checker.getTypeAtLocation((decl as ts.InterfaceDeclaration).name);
    for (const o of getMethod(name).options) {
      const prop = type.getProperty(o.name);
      if (!prop) {
        problems.push(`${name}: ${iface} has no ${o.name}`);
        continue;
      }
      const doc = ts.displayPartsToString(prop.getDocumentationComment(checker));
      const stated = statedDefault(doc);
      if (o.default === null) {
        if (!/also `null`/.test(doc)) problems.push(`${name}.${o.name}: the doc should say "Default (also \`null\`): …", got ${JSON.stringify(doc)}`);
      } else if (stated !== null) {
        checked++;
        if (stated !== String(o.default)) problems.push(`${name}.${o.name}: the doc says default ${stated}, the registry ${String(o.default)}`);
      }
    }
  }
  expect(problems).toEqual([]);
  expect(checked).toBeGreaterThan(20);
});
