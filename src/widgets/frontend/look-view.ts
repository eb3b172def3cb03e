/** The look-only controls of the heatmap views, bound to model attributes (redrawn here, no kernel work). */
import { LOOK_DEFAULTS, MASKS, NORMALIZATIONS, type Look } from '../render';
import { el, SaliencyView } from './base';

export abstract class LookView extends SaliencyView {
  /** The current look from the model. */
  protected look(): Look {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(LOOK_DEFAULTS)) out[k] = this.model.get(k) ?? (LOOK_DEFAULTS as unknown as Record<string, unknown>)[k];
    return out as unknown as Look;
  }

  /** Colormap, opacity, normalization, percentile, mask, threshold, top-k and smoothing controls. */
  protected lookControls(options: { opacity?: boolean; mask?: boolean } = {}): HTMLElement {
    const pairs = (xs: readonly string[]): [string, string][] => xs.map((x) => [x, x]);
    const row = el('div', { class: 'sl-row' },
      this.select('colormap', 'colormap', () => pairs((this.model.get('colormaps') as string[]) ?? [])),
      this.select('normalize', 'normalization', () => pairs(NORMALIZATIONS)),
      this.slider('percentile', 'percentile', 50, 100, 0.5),
      this.slider('smooth σ', 'sigma', 0, 8, 0.5),
    );
    if (options.opacity ?? true) row.append(this.slider('opacity', 'opacity', 0, 1, 0.05));
    if (options.mask ?? true) {
      row.append(
        this.select('mask', 'mask', () => pairs(MASKS)),
        this.slider('threshold', 'threshold', 0, 1, 0.05),
        this.slider('top %', 'topk', 1, 100, 1),
      );
    }
    return row;
  }
}
