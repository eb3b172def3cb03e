// viz: normalize, colormap, smooth, overlay, gallery, colorbar, image I/O, plotly specs and show. Re-exports
// the public names only; re-exported from src/index.ts. The browser-safe core is src/viz/core (its own
// entry, `saliency-lab/viz/core`); the functions here are its adapters for tensors, files and notebooks.
export type { HostArray, ArrayInput, FloatArray } from './array';
export { colormap, colormapLUT, COLORMAPS } from './core/colormap';
export type { Colormap, ColormapName, ColormapSpec, RGB } from './core/colormap';
export { normalize, normalizeRange } from './normalize';
export { percentile, NORMALIZE_MODES, NORMALIZE_DEFAULTS, SCALES } from './core/normalize';
export type { NormalizeMode, NormalizeOptions, ScaleMode } from './core/normalize';
export { smooth, resizeMap } from './filters';
export { gaussianKernel } from './core/filters';
export { RGBAImage, toPNG } from './image';
export type { ToImageOptions } from './image';
export { overlay, heatmap } from './overlay';
export { OVERLAY_MODES, OVERLAY_DEFAULTS } from './core/overlay';
export type { OverlayMode, OverlayOptions, HeatmapOptions } from './core/overlay';
export { gallery, GALLERY_LAYOUTS, GALLERY_DEFAULTS } from './gallery';
export type { GalleryLayout, GalleryOptions } from './gallery';
export { colorbar } from './colorbar';
export { COLORBAR_DEFAULTS } from './core/colorbar';
export type { ColorbarOptions, ColorbarOrientation } from './core/colorbar';
export { loadImage, saveImage } from './io';
export type { LoadImageOptions, SaveImageOptions } from './io';
export { preprocess, deprocess, PREPROCESS_PRESETS } from './preprocess';
export type { PreprocessPreset } from './preprocess';
export { PlotlyFigure, PLOTLY_MIME, heatmapFigure, subplotsFigure, lineFigure, plotlyColorscale } from './plotly';
export type { PlotlySpec, HeatmapFigureOptions, SubplotsFigureOptions, LineFigureOptions, LineSeries } from './plotly';
export { show, createShow, DisplayError } from './show';
export type { ShowOptions, TslabLoader, TslabDisplay } from './show';
