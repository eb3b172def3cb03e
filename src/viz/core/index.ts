/**
 * saliency-lab's viz core: colormaps, normalization, smoothing, overlays, masks, atlases and colorbars on
 * plain typed arrays. Browser-safe: it imports nothing outside src/viz/core (no tfjs, no Node builtins,
 * no `fs`, no `new Function`; a test bundles it with esbuild for the browser and runs it without Node's
 * globals). The kernel-side viz functions (overlay, heatmap, gallery, normalize, smooth, ...) are thin
 * adapters around it, so a widget that redraws in the browser gives the very bytes the kernel would.
 *
 * Import it as `saliency-lab/viz/core` (package subpath) or by path (`../../viz/core` from
 * src/widgets/frontend).
 *
 * Data types
 *   MapStack   { data: Float32Array, n, h, w, range? }: n maps of h×w one after another; one map: n = 1.
 *              mapStack(where, what, {data, shape}) checks the shape ([H,W], [N,H,W]) and finiteness.
 *   HostImage  { data: Float32Array, h, w, c }: an image, c = 1 or 3 channels last, values in [0, 1] by
 *              default. asHostImage(where, {data, shape}) from [H,W,3], [H,W,1], [H,W], [1,H,W,C].
 *   Pixels     { width, height, data: Uint8ClampedArray }: RGBA bytes, what `new ImageData(data, w, h)`
 *              takes.
 *   Errors are OptionError (a bad option: names the value and the choices) and InputError (bad data),
 *   both SaliencyError; the message starts with the function's name.
 *
 * Colormaps
 *   COLORMAPS                                names: viridis, inferno, magma, plasma, cividis, turbo, jet,
 *                                            gray, rdbu, coolwarm; each also with "_r" (reversed).
 *   colormap(nameOrFn)(t) -> [r, g, b]       t clamped to [0, 1]. Also takes a function (d3 interpolator).
 *   colormapLUT(nameOrFn, size = 256)        size colors at t = i / (size - 1), r, g, b bytes (Uint8Array).
 *
 * Normalization to [0, 1] (options { mode: 'minmax' | 'abs' | 'signed', percentile, scale, range })
 *   normalizeValues(values, options) -> Float32Array in [0, 1]      one map; minmax / percentile clip /
 *   valuesRange(values, options) -> [lo, hi]                        signed (zero at 0.5), as `normalize`
 *   normalizeStacks(stacks, checkNormalizeOptions(where, options))  several maps, per-map or shared scale
 *   percentile(values, p)                                           numpy's linear definition
 *
 * Smoothing and resizing
 *   smoothStack(stack, sigma) -> Float32Array    Gaussian, scipy's gaussian_filter (reflect, 4 sigma)
 *   resizeStack(stack, h, w) -> Float32Array     bilinear, half-pixel centers
 *
 * Drawing (options as the kernel's `overlay`: colormap, normalize, sigma, mode, alpha, threshold,
 * topPercent, background, contourColor, contourWidth, imageRange, resize)
 *   overlayPixels(image, map, options) -> Pixels     map + image, blended with opacity `alpha`
 *   heatmapPixels(map, options) -> Pixels            the map alone in a colormap
 *   For redraws that change only the look, do the two steps apart:
 *     const o = checkOverlayOptions(where, options);
 *     const prepared = prepareMap(where, map, image.h, image.w, o);   // resize, smooth, scale: keep it
 *     drawOverlay(image, prepared, o) / drawHeatmap(prepared, colormap)   // per alpha / colormap change
 *   prepared.range is the [lo, hi] of the scale, for the colorbar's labels.
 * Masks
 *   topPercentCut(values, k) -> cut     the (100 - k)-th percentile: as `threshold`, colors the top k%
 *   thresholdMask(values, cut), topRegion(values, k) -> Uint8Array of 0/1; outline(region, h, w, width)
 * Readout
 *   valueAt(map, px, py, viewWidth, viewHeight) -> { x, y, value } | null   the value under the pointer
 * Colorbar
 *   colorbarPixels(colormap, { length, thickness, orientation, range, ticks }) -> Pixels
 * Atlas (the kernel's `gallery` draws with it)
 *   drawAtlas(stacks, tiles, { columns, zoom, padding, colormap, normalize, labels, ... }) -> Pixels
 * Pixels
 *   imageToPixels(data, h, w, c, lo, hi), toByte(v) (the one rounding rule: half up, clamped, NaN 0),
 *   drawText(px, width, height, text, x, y, color, scale) (a 5×7 bitmap font).
 */
export { SaliencyError, InputError, OptionError } from './errors';
export type { HostArray, FloatArray, MapStack, HostImage, Readout } from './arrays';
export { asMapStack, finiteRange, mapStack, asHostImage, valueAt } from './arrays';
export type { Pixels, RGB } from './pixels';
export { newPixels, toByte, clamp01, packRGB, pixelWords, imageToPixels, checkColor } from './pixels';
export type { Colormap, ColormapName, ColormapSpec } from './colormap';
export { COLORMAPS, colormap, colormapLUT, colormapWords, parseColor, LUT_SIZE, lutIndex } from './colormap';
export { TABLEAU10 } from './colormap-tables';
export type { NormalizeMode, NormalizeOptions, ScaleMode, ScaleCoefficients } from './normalize';
export {
  NORMALIZE_MODES, NORMALIZE_DEFAULTS, SCALES, checkNormalizeOptions, percentile, scalesOf, coefficients, scaled, applyScale,
  normalizeStacks, normalizeValues, valuesRange,
} from './normalize';
export { gaussianKernel, smoothStack, resizeStack, checkSigma, checkSize } from './filters';
export type { OverlayMode, OverlayOptions, HeatmapOptions, ResolvedOverlayOptions, PreparedMap } from './overlay';
export {
  OVERLAY_MODES, OVERLAY_DEFAULTS, RESIZE_MODES, checkOverlayOptions, prepareMap, normalizedMap, drawOverlay, overlayPixels,
  drawHeatmap, heatmapPixels, topPercentCut, thresholdMask, topRegion, outline,
} from './overlay';
export type { ColorbarOptions, ColorbarOrientation } from './colorbar';
export { COLORBAR_ORIENTATIONS, COLORBAR_DEFAULTS, colorbarPixels, formatTick } from './colorbar';
export type { AtlasOptions, AtlasTile } from './gallery';
export { ATLAS_DEFAULTS, checkAtlasOptions, drawAtlas } from './gallery';
export { GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ADVANCE, drawText, textWidth } from './font';
