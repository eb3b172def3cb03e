/** The activation gallery's view: layer picker, sort, scale, pages, click to enlarge, filter visualizations. */
import type { ObjectHash } from 'backbone';
import type { WireArray } from '../arrays';
import { LOOK_DEFAULTS } from '../render';
import { GALLERY_SCALES, GALLERY_SORTS, fmt, mapAt, renderGallery, type GalleryLayout, type GalleryScale, type GallerySort } from '../views';
import { arraySerializers, canvas, el, modelDefaults, paint, pixelAt, SaliencyModel, setAndSave } from './base';
import { LookView } from './look-view';

interface LayerChoice {
  name: string;
  shape: number[];
}

export class ActivationGalleryModel extends SaliencyModel {
  static override serializers = { ...SaliencyModel.serializers, ...arraySerializers('activations', 'filters') };
  override defaults(): ObjectHash {
    return {
      ...super.defaults(), ...modelDefaults('ActivationGalleryModel', 'ActivationGalleryView'), ...LOOK_DEFAULTS, colormap: 'viridis',
      layers: [], layer: '', activations: null, sort: 'index', scale: 'shared', page: 0, pageSize: 32, selected: -1, status: 'idle',
      filters: null, filterChannels: [], filterStatus: 'idle', filterStep: 0, filterSteps: 0, colormaps: [],
    };
  }
}

export class ActivationGalleryView extends LookView {
  private view!: HTMLCanvasElement;
  private readout!: HTMLElement;
  private pageInfo!: HTMLElement;
  private filterInfo!: HTMLElement;
  private layout: GalleryLayout | null = null;

  protected build(): void {
    this.view = canvas('view');
    this.readout = el('div', { class: 'sl-readout', 'data-role': 'readout' });
    this.pageInfo = el('span', { 'data-role': 'page' });
    this.filterInfo = el('span', { 'data-role': 'filter-status' });
    const pages = () => {
      const a = this.model.get('activations') as WireArray | null;
      return a ? Math.max(1, Math.ceil(a.shape[0] / Number(this.model.get('pageSize')))) : 1;
    };
    const go = (d: number) => setAndSave(this.model, 'page', Math.max(0, Math.min(pages() - 1, Number(this.model.get('page')) + d)));
    this.el.append(
      el('div', { class: 'sl-row' },
        this.select('layer', 'layer', () => (this.model.get('layers') as LayerChoice[]).map((l) => [l.name, `${l.name} [${l.shape.join('×')}]`])),
        this.select('sort', 'sort', () => GALLERY_SORTS.map((s) => [s, s])),
        this.select('scale', 'scale', () => GALLERY_SCALES.map((s) => [s, s])),
        el('span', {}, this.button('◀', 'prev', () => go(-1)), this.pageInfo, this.button('▶', 'next', () => go(1))),
        this.button('visualize filters', 'filters', () => this.send({ event: 'filters', channels: this.layout?.channels ?? [] })),
        this.button('stop', 'cancel', () => this.send({ event: 'cancel' })),
        this.filterInfo,
      ),
      this.lookControls({ opacity: false, mask: false }),
      el('div', { class: 'sl-panels' }, this.view),
      this.readout,
      this.messageLine(),
    );
    this.listenTo(this.model, 'change:activations', () => { this.readout.textContent = ''; });
    this.listen(this.view, 'click', (e) => this.click(e as MouseEvent));
    this.listen(this.view, 'mousemove', (e) => this.hover(e as MouseEvent));
  }

  protected draw(): void {
    const acts = this.model.get('activations') as WireArray | null;
    if (!acts) return;
    const pageSize = Number(this.model.get('pageSize'));
    const page = Number(this.model.get('page'));
    this.layout = renderGallery(acts, this.look(), {
      sort: this.model.get('sort') as GallerySort, scale: this.model.get('scale') as GalleryScale, page, pageSize, selected: Number(this.model.get('selected')),
    }, this.model.get('filters') as WireArray | null, this.model.get('filterChannels') as number[]);
    paint(this.view, this.layout.rgba, this.layout.width, this.layout.height, 1);
    const pages = Math.max(1, Math.ceil(acts.shape[0] / pageSize));
    this.pageInfo.textContent = ` page ${page + 1}/${pages} (${acts.shape[0]} channels) `;
    const fs = String(this.model.get('filterStatus'));
    this.filterInfo.textContent = fs === 'running' ? `filters: step ${this.model.get('filterStep')}/${this.model.get('filterSteps')}` : fs === 'idle' ? '' : `filters ${fs}`;
    if (this.model.get('status') === 'computing') this.filterInfo.textContent = 'computing layer…';
  }

  private tileAt(x: number, y: number): number {
    const l = this.layout;
    if (!l) return -1;
    const i = l.tiles.findIndex(([tx, ty, s]) => x >= tx && x < tx + s && y >= ty && y < ty + s);
    return i >= 0 ? l.channels[i] : -1;
  }

  private click(e: MouseEvent): void {
    const at = pixelAt(this.view, e);
    if (!at) return;
    const k = this.tileAt(at.x, at.y);
    if (k >= 0) setAndSave(this.model, 'selected', k === Number(this.model.get('selected')) ? -1 : k);
  }

  private hover(e: MouseEvent): void {
    const l = this.layout, at = pixelAt(this.view, e), acts = this.model.get('activations') as WireArray | null;
    if (!l || !at || !acts) return;
    const [, h, w] = acts.shape;
    let k = this.tileAt(at.x, at.y), x = -1, y = -1;
    if (k >= 0) {
      const i = l.channels.indexOf(k);
      const [tx, ty] = l.tiles[i];
      x = Math.floor((at.x - tx) / l.tileZoom); y = Math.floor((at.y - ty) / l.tileZoom);
    } else if (l.enlarged) {
      const [ex, ey, z] = l.enlarged;
      x = Math.floor((at.x - ex) / z); y = Math.floor((at.y - ey) / z);
      k = Number(this.model.get('selected'));
    }
    if (k < 0 || x < 0 || y < 0 || x >= w || y >= h) { this.readout.textContent = ''; return; }
    this.readout.textContent = `channel ${k} (${x}, ${y}) activation ${fmt(mapAt(acts, k, h, w)[y * w + x])}`;
  }
}
