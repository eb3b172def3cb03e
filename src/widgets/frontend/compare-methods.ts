/** The method comparison's view: the methods × images grid with its scale mode and look controls. */
import type { ObjectHash } from 'backbone';
import type { WireArray } from '../arrays';
import { LOOK_DEFAULTS } from '../render';
import { COMPARE_SCALES, fmt, renderCompare } from '../views';
import { arraySerializers, canvas, el, modelDefaults, paint, SaliencyModel } from './base';
import { LookView } from './look-view';

export class CompareMethodsModel extends SaliencyModel {
  static override serializers = { ...SaliencyModel.serializers, ...arraySerializers('images', 'maps') };
  override defaults(): ObjectHash {
    return { ...super.defaults(), ...modelDefaults('CompareMethodsModel', 'CompareMethodsView'), ...LOOK_DEFAULTS, images: null, maps: null, methods: [], methodTitles: [], scale: 'shared', colormaps: [] };
  }
}

export class CompareMethodsView extends LookView {
  private view!: HTMLCanvasElement;
  private info!: HTMLElement;

  protected build(): void {
    this.view = canvas('view');
    this.info = el('div', { class: 'sl-readout', 'data-role': 'scale' });
    this.el.append(
      el('div', { class: 'sl-row' }, this.select('scale', 'scale', () => COMPARE_SCALES.map((s) => [s, s]))),
      this.lookControls({ mask: false }),
      el('div', { class: 'sl-panels' }, this.view),
      this.info,
      this.messageLine(),
    );
  }

  protected draw(): void {
    const images = this.model.get('images') as WireArray | null, maps = this.model.get('maps') as WireArray | null;
    if (!images || !maps) return;
    const p = renderCompare(images, maps, this.model.get('methodTitles') as string[], this.look(), this.model.get('scale'));
    paint(this.view, p.rgba, p.width, p.height, 1);
    this.info.textContent = this.model.get('scale') === 'shared' && p.ranges.length > 0 ? `one scale for all maps: ${fmt(p.ranges[0][0])} … ${fmt(p.ranges[0][1])}` : '';
  }
}
