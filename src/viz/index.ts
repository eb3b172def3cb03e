// viz: normalize, colormap, smooth, overlay, gallery, image I/O, plotly specs and show. Re-exports the
// public names only; re-exported from src/index.ts.
export type { HostArray, ArrayInput, FloatArray } from './array';
export { colormap, colormapLUT, COLORMAPS } from './colormap';
export type { Colormap, ColormapName, ColormapSpec, RGB } from './colormap';
export { normalize, normalizeRange, percentile, NORMALIZE_MODES, NORMALIZE_DEFAULTS, SCALES } from './normalize';
export type { NormalizeMode, NormalizeOptions, ScaleMode } from './normalize';
export { smooth, resizeMap, gaussianKernel } from './filters';
export { RGBAImage, toPNG } from './image';
export type { ToImageOptions } from './image';
export { overlay, heatmap, OVERLAY_MODES, OVERLAY_DEFAULTS } from './overlay';
export type { OverlayMode, OverlayOptions, HeatmapOptions } from './overlay';
export { gallery, GALLERY_LAYOUTS, GALLERY_DEFAULTS } from './gallery';
export type { GalleryLayout, GalleryOptions } from './gallery';
export { loadImage, saveImage } from './io';
export type { LoadImageOptions, SaveImageOptions } from './io';
export { preprocess, deprocess, PREPROCESS_PRESETS } from './preprocess';
export type { PreprocessPreset } from './preprocess';
export { PlotlyFigure, PLOTLY_MIME, heatmapFigure, subplotsFigure, lineFigure, plotlyColorscale } from './plotly';
export type { PlotlySpec, HeatmapFigureOptions, SubplotsFigureOptions, LineFigureOptions, LineSeries } from './plotly';
export { show, createShow, DisplayError } from './show';
export type { ShowOptions, TslabDisplay, TslabLoader } from './show';
