/** The look-only controls shared by the heatmap views (redrawn in the browser; kept here for the PNG). */
import { COLORMAPS } from '../look';
import { LOOK_DEFAULTS, MASKS, NORMALIZATIONS, checkLook, type Look } from '../render';
import { Widget, checks, type WidgetOptions, type WidgetState } from './widget';

export type LookOptions = Partial<Look>;

export abstract class LookWidget extends Widget {
  protected constructor(where: string, names: WidgetOptions, state: WidgetState, look: LookOptions) {
    const l = checkLook(where, look, COLORMAPS);
    super(names, { ...state, ...l, colormaps: [...COLORMAPS] });
    this.control('colormap', (v) => checkLook(where, { colormap: v as string }, COLORMAPS).colormap);
    this.control('opacity', checks.number(where, 'opacity', 0, 1));
    this.control('normalization', checks.choice(where, 'normalization', NORMALIZATIONS));
    this.control('percentile', checks.number(where, 'percentile', 50, 100));
    this.control('mask', checks.choice(where, 'mask', MASKS));
    this.control('threshold', checks.number(where, 'threshold', 0, 1));
    this.control('topk', (v) => checkLook(where, { topk: v as number }, COLORMAPS).topk);
    this.control('sigma', checks.number(where, 'sigma', 0, 32));
  }

  /** The current look. */
  look(): Look {
    const out = { ...LOOK_DEFAULTS } as Record<string, unknown>;
    for (const k of Object.keys(LOOK_DEFAULTS)) out[k] = this.get(k);
    return out as unknown as Look;
  }
}
