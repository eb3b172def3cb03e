/**
 * The saliency-lab widget module as the widget managers load it: every model and view by the
 * `_model_name` / `_view_name` the kernel sends. The JupyterLab plugin registers it; the AMD bundle
 * (dist/widgets/frontend.js) is it for HTML exports and VS Code.
 */
export { ProgressModel, ProgressView } from './progress';
export { HeatmapExplorerModel, HeatmapExplorerView } from './heatmap-explorer';
export { OcclusionExplorerModel, OcclusionExplorerView } from './occlusion-explorer';
export { ActivationGalleryModel, ActivationGalleryView } from './activation-gallery';
export { CompareMethodsModel, CompareMethodsView } from './compare-methods';
export { MODULE_NAME, MODULE_VERSION } from '../module';
