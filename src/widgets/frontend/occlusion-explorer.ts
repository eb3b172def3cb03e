/** The occlusion explorer's view: patch and stride sliders, baseline, progress, cancel, the map. */
import type { ObjectHash } from 'backbone';
import type { WireArray } from '../arrays';
import { LOOK_DEFAULTS } from '../render';
import { fmt, renderOverlay, type OverlayPicture } from '../views';
import { arraySerializers, canvas, el, modelDefaults, paint, pixelAt, SaliencyModel } from './base';
import { LookView } from './look-view';

export class OcclusionExplorerModel extends SaliencyModel {
  static override serializers = { ...SaliencyModel.serializers, ...arraySerializers('image', 'map') };
  override defaults(): ObjectHash {
    return {
      ...super.defaults(), ...modelDefaults('OcclusionExplorerModel', 'OcclusionExplorerView'), ...LOOK_DEFAULTS,
      image: null, map: null, window: 8, stride: 4, baseline: 'zeros', baselines: [], target: null, done: 0, total: 0, status: 'idle', colormaps: [],
    };
  }
}

export class OcclusionExplorerView extends LookView {
  private view!: HTMLCanvasElement;
  private bar!: HTMLProgressElement;
  private progressText!: HTMLElement;
  private readout!: HTMLElement;
  private cancel!: HTMLButtonElement;
  private picture: OverlayPicture | null = null;

  protected build(): void {
    const img = this.model.get('image') as WireArray | null;
    const size = img ? Math.min(img.shape[0], img.shape[1]) : 64;
    this.view = canvas('view');
    this.bar = el('progress', { class: 'sl-progress', 'data-role': 'progress' });
    this.progressText = el('span', { 'data-role': 'progress-text' });
    this.readout = el('div', { class: 'sl-readout', 'data-role': 'readout' });
    this.cancel = this.button('cancel', 'cancel', () => this.send({ event: 'cancel' }));
    this.el.append(
      el('div', { class: 'sl-row' },
        this.slider('patch', 'window', 1, size, 1),
        this.slider('stride', 'stride', 1, size, 1),
        this.select('baseline', 'baseline', () => ((this.model.get('baselines') as string[]) ?? []).map((b) => [b, b])),
        this.bar, this.progressText, this.cancel,
      ),
      this.lookControls(),
      el('div', { class: 'sl-panels' }, this.view),
      this.readout,
      this.messageLine(),
    );
    this.listen(this.view, 'mousemove', (e) => this.hover(e as MouseEvent));
  }

  protected draw(): void {
    const img = this.model.get('image') as WireArray | null;
    const map = this.model.get('map') as WireArray | null;
    const done = Number(this.model.get('done')), total = Number(this.model.get('total'));
    const status = String(this.model.get('status'));
    this.bar.max = Math.max(1, total);
    this.bar.value = done;
    this.progressText.textContent = `${done}/${total} windows ${status}`;
    this.cancel.disabled = status !== 'running';
    if (!img || !map) return;
    const [h, w] = img.shape;
    this.picture = renderOverlay(img.data as Uint8Array, map.data as Float32Array, h, w, this.look());
    paint(this.view, this.picture.rgba, this.picture.width, this.picture.height, 1);
  }

  private hover(e: MouseEvent): void {
    const p = this.picture, at = pixelAt(this.view, e), map = this.model.get('map') as WireArray | null;
    if (!p || !at || !map) return;
    const x = Math.floor(at.x / p.zoom), y = Math.floor(at.y / p.zoom);
    this.readout.textContent = x < p.w && y < p.h ? `(${x}, ${y}) score drop ${fmt((map.data as Float32Array)[y * p.w + x])}` : '';
  }
}
