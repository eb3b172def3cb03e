/**
 * show(x): puts a picture or figure into the notebook output. It sends the value's mime bundle to the
 * display sink that the saliency-lab kernel installs (src/display.ts). Without one (another kernel, such
 * as plain tslab), it falls back to tslab's own `display`, which takes one mime type per call: the PNG
 * (plotly figures included, through their PNG fallback), else the text. Anything else is a DisplayError:
 * never a silent no-op.
 */
import { DisplayOptions, MimeBundle, getDisplaySink, isDisplayable, toMimeBundle } from '../display';
import { SaliencyError } from '../errors';
import { isHostArray, isTensor, readArray } from './array';
import { ToImageOptions, floatToImage } from './image';
import { heatmap } from './overlay';

/** Nothing can show the value: no kernel display sink, and tslab's display is missing or not ready. */
export class DisplayError extends SaliencyError {}

/** The part of tslab's public `display` that show uses. */
export interface TslabDisplay {
  png(b: Uint8Array): void;
  text(s: string): void;
}

export type TslabLoader = () => { display: TslabDisplay };

export interface ShowOptions extends DisplayOptions, ToImageOptions {}

function pngBytes(bundle: MimeBundle): Uint8Array | null {
  const png = bundle['image/png'];
  return typeof png === 'string' ? Buffer.from(png, 'base64') : null;
}

/**
 * The mime bundle show sends for x: a Displayable's own bundle (RGBAImage, PlotlyFigure, widgets); PNG
 * bytes as an image; a map tensor or array ([H,W], [1,H,W]) as a viridis heatmap; an image tensor
 * ([H,W,3], [H,W,1], [1,H,W,C]; float in [0, 1]) as a picture; anything else as text.
 */
export async function bundleFor(x: unknown, options: ToImageOptions = {}): Promise<MimeBundle> {
  if (isDisplayable(x)) return toMimeBundle(x);
  if (x instanceof Uint8Array) {
    return { 'image/png': Buffer.from(x).toString('base64'), 'text/plain': `PNG (${x.length} bytes)` };
  }
  if (isTensor(x) || isHostArray(x)) {
    const s = x.shape;
    const isMap = s.length === 2 || (s.length === 3 && s[0] === 1 && s[2] !== 1 && s[2] !== 3);
    if (isMap) return toMimeBundle(await heatmap(x, { colormap: 'viridis' }));
    const a = await readArray('show', 'image', x);
    const range = options.range ?? (isTensor(x) && x.dtype === 'int32' ? [0, 255] : [0, 1]);
    return toMimeBundle(floatToImage('show', a, range));
  }
  return toMimeBundle(x);
}

/** show with an injected tslab loader (tests simulate tslab with it). */
export function createShow(loadTslab: TslabLoader): (x: unknown, options?: ShowOptions) => Promise<void> {
  return async (x, options = {}) => {
    const { range, ...displayOptions } = options;
    const bundle = await bundleFor(x, { range });
    const sink = getDisplaySink();
    if (sink) {
      sink.display(bundle, displayOptions);
      return;
    }
    let tslab: { display: TslabDisplay };
    try {
      tslab = loadTslab();
    } catch (e) {
      const why = (e as { code?: string }).code === 'MODULE_NOT_FOUND' ? 'tslab is not installed' : `tslab cannot be loaded (${(e as Error).message})`;
      throw new DisplayError('show', `no display: no saliency-lab kernel display sink is installed and ${why}; save the picture with saveImage or toPNG instead`);
    }
    const png = pngBytes(bundle);
    try {
      if (png) tslab.display.png(png);
      else tslab.display.text(String(bundle['text/plain'] ?? ''));
    } catch (e) {
      throw new DisplayError('show', `no display: no saliency-lab kernel display sink is installed and tslab's display failed (${(e as Error).message}); show works inside a notebook kernel, elsewhere use saveImage or toPNG`);
    }
  };
}

/**
 * Shows x in the notebook output: an RGBAImage, a PlotlyFigure, PNG bytes, a map or image tensor, or any
 * Displayable (see bundleFor). Async because tensors are read; the caller keeps them. Options: display
 * metadata, displayId/update (kernel sink only), and `range` for image tensors.
 */
export const show = createShow(() => require('tslab') as { display: TslabDisplay });
