// widgets: the kernel side of the saliency-lab Jupyter widgets. Public names only; re-exported from
// src/index.ts. The front end (src/widgets/frontend) is built separately by scripts/build-widgets.js.
export { MODULE_NAME, MODULE_VERSION } from './module';
export { Widget, WidgetError } from './kernel/widget';
export { ProgressBar, progress, PROGRESS_STATUSES } from './kernel/progress';
export type { ProgressOptions, ProgressStatus } from './kernel/progress';
export { HeatmapExplorer, heatmapExplorer } from './kernel/heatmap-explorer';
export type { HeatmapExplorerOptions } from './kernel/heatmap-explorer';
export { OcclusionExplorer, occlusionExplorer } from './kernel/occlusion-explorer';
export type { OcclusionExplorerOptions } from './kernel/occlusion-explorer';
export { ActivationGallery, activationGallery } from './kernel/activation-gallery';
export type { ActivationGalleryOptions } from './kernel/activation-gallery';
export { CompareMethods, compareMethods } from './kernel/compare-methods';
export type { CompareMethodsOptions } from './kernel/compare-methods';
