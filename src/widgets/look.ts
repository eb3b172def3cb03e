/**
 * The viz core functions the widget views draw with (colormap tables, normalization, smoothing), in one
 * place. The core is browser-safe, so the front-end bundle and the kernel's PNG draw with the same code.
 */
export { colormapLUT, COLORMAPS, applyScale, checkNormalizeOptions, percentile, scalesOf, smoothStack } from '../viz/core';
export type { NormalizeMode } from '../viz/core';
