/** colorbar: the viz core's colorbar pixels as an RGBAImage (for a PNG beside a heatmap, or a widget). */
import { ColorbarOptions, colorbarPixels } from './core/colorbar';
import { ColormapSpec } from './core/colormap';
import { RGBAImage } from './image';

/**
 * The colorbar of a colormap: a strip of its colors (vertical by default, high values at the top) and,
 * with `range: [lo, hi]`, `ticks` labeled values beside it. Synchronous: it reads no tensors.
 *
 *   colorbar('inferno', { range: [0, 0.8], ticks: 5 })
 */
export function colorbar(cm: ColormapSpec, options: ColorbarOptions = {}): RGBAImage {
  return RGBAImage.from(colorbarPixels(cm, options, 'colorbar'));
}
