/**
 * overlay and heatmap on tensors and host arrays: adapters that read the inputs and draw with the viz
 * core (src/viz/core/overlay.ts holds the modes, options and pixel rules).
 */
import { ArrayInput, readArray, readMaps } from './array';
import { asHostImage } from './core/arrays';
import { checkSigma } from './core/filters';
import { checkNormalizeOptions } from './core/normalize';
import { HeatmapOptions, OVERLAY_DEFAULTS, OverlayOptions, checkOverlayOptions, drawOverlay, heatmapPixels, prepareMap } from './core/overlay';
import { RGBAImage } from './image';

/**
 * Draws a saliency map over its image and returns the picture (an RGBAImage; the map stays a number
 * array, so compose again with other options at will). `image`: [H,W,3], [H,W,1], [H,W] or [1,H,W,C],
 * values in `imageRange` ([0, 1] by default); `map`: [H,W] or [1,H,W]. A map of another size is resized
 * bilinearly when the aspect ratios agree; then it is smoothed (`sigma`), normalized (`normalize`) and
 * drawn per `mode`. Async: tensors are read with `await data()`; the caller keeps both inputs.
 *
 *   await overlay(image, saliency, { sigma: 4, colormap: 'inferno', alpha: 0.6 })   // seed-style overlay
 */
export async function overlay(image: ArrayInput, map: ArrayInput, options: OverlayOptions = {}): Promise<RGBAImage> {
  const where = 'overlay';
  const o = checkOverlayOptions(where, options);
  const img = asHostImage(where, await readArray(where, 'image', image));
  const prepared = prepareMap(where, await readMaps(where, 'map', map), img.h, img.w, o);
  return RGBAImage.from(drawOverlay(img, prepared, o));
}

/**
 * The map alone in a colormap, as an RGBAImage of its own size: [H,W] or [1,H,W]. Smoothed (`sigma`) and
 * normalized (`normalize`) first. Async; the caller keeps the map.
 */
export async function heatmap(map: ArrayInput, options: HeatmapOptions = {}): Promise<RGBAImage> {
  const where = 'heatmap';
  const o = { ...OVERLAY_DEFAULTS, ...options };
  checkSigma(where, o.sigma);
  checkNormalizeOptions(where, o.normalize);
  return RGBAImage.from(heatmapPixels(await readMaps(where, 'map', map), o, where));
}
