/** The heatmap explorer's view: method, image and target pickers, look controls, the map, a readout. */
import type { ObjectHash } from 'backbone';
import type { WireArray } from '../arrays';
import { LOOK_DEFAULTS } from '../render';
import { fmt, mapAt, renderHeatmapExplorer, type OverlayPicture } from '../views';
import { arraySerializers, canvas, el, modelDefaults, paint, pixelAt, SaliencyModel, setAndSave } from './base';
import { LookView } from './look-view';

interface Prediction {
  index: number;
  label: string;
  score: number;
}

export class HeatmapExplorerModel extends SaliencyModel {
  static override serializers = { ...SaliencyModel.serializers, ...arraySerializers('images', 'maps') };
  override defaults(): ObjectHash {
    return {
      ...super.defaults(), ...modelDefaults('HeatmapExplorerModel', 'HeatmapExplorerView'), ...LOOK_DEFAULTS,
      images: null, maps: null, methods: [], methodTitles: [], method: 0, page: 0, predictions: [], targets: [], status: 'idle', colormaps: [],
    };
  }
}

export class HeatmapExplorerView extends LookView {
  private view!: HTMLCanvasElement;
  private readout!: HTMLElement;
  private pageLabel!: HTMLElement;
  private status!: HTMLElement;
  private picture: OverlayPicture | null = null;

  protected build(): void {
    this.view = canvas('view');
    this.readout = el('div', { class: 'sl-readout', 'data-role': 'readout' });
    this.pageLabel = el('span', { 'data-role': 'page' });
    this.status = el('span', { 'data-role': 'status' });
    const n = () => ((this.model.get('images') as WireArray | null)?.shape[0] ?? 1);
    const go = (d: number) => setAndSave(this.model, 'page', Math.max(0, Math.min(n() - 1, Number(this.model.get('page')) + d)));
    const targetSelect = el('select', { 'data-control': 'target' });
    const fillTargets = () => {
      const page = Number(this.model.get('page'));
      const preds = ((this.model.get('predictions') as Prediction[][])[page] ?? []);
      const current = (this.model.get('targets') as number[])[page];
      const options = preds.map((p) => [String(p.index), `${p.label} (${fmt(p.score)})`]);
      if (!preds.some((p) => p.index === current)) options.push([String(current), `output ${current}`]);
      targetSelect.replaceChildren(...options.map(([v, t]) => {
        const o = el('option', { value: v }, t);
        if (Number(v) === current) o.selected = true;
        return o;
      }));
    };
    this.listen(targetSelect, 'change', () => {
      const targets = [...(this.model.get('targets') as number[])];
      targets[Number(this.model.get('page'))] = Number(targetSelect.value);
      setAndSave(this.model, 'targets', targets);
    });
    this.listenTo(this.model, 'change:predictions change:targets change:page', fillTargets);
    fillTargets();
    this.el.append(
      el('div', { class: 'sl-row' },
        this.select('method', 'method', () => (this.model.get('methodTitles') as string[]).map((t, i) => [String(i), t]), Number),
        el('span', {}, this.button('◀', 'prev', () => go(-1)), this.pageLabel, this.button('▶', 'next', () => go(1))),
        this.slider('image', 'page', 0, n() - 1, 1, (v) => String(v + 1)),
        el('label', {}, 'target', targetSelect),
        this.status,
      ),
      this.lookControls(),
      el('div', { class: 'sl-panels' }, this.view),
      this.readout,
      this.messageLine(),
    );
    this.listen(this.view, 'mousemove', (e) => this.hover(e as MouseEvent));
    this.listen(this.view, 'mouseleave', () => { this.readout.textContent = ''; });
  }

  protected draw(): void {
    const images = this.model.get('images') as WireArray | null;
    const maps = this.model.get('maps') as WireArray | null;
    if (!images || !maps) return;
    const page = Number(this.model.get('page'));
    this.picture = renderHeatmapExplorer(images, maps, page, Number(this.model.get('method')), this.look());
    paint(this.view, this.picture.rgba, this.picture.width, this.picture.height, 1);
    this.pageLabel.textContent = ` image ${page + 1}/${images.shape[0]} `;
    this.status.textContent = this.model.get('status') === 'computing' ? 'computing…' : '';
  }

  private hover(e: MouseEvent): void {
    const p = this.picture;
    const at = pixelAt(this.view, e);
    const maps = this.model.get('maps') as WireArray | null;
    if (!p || !at || !maps) return;
    const x = Math.floor(at.x / p.zoom), y = Math.floor(at.y / p.zoom);
    if (x >= p.w || y >= p.h) { this.readout.textContent = ''; return; }
    const m = maps.shape[1];
    const map = mapAt(maps, Number(this.model.get('page')) * m + Number(this.model.get('method')), p.h, p.w);
    this.readout.textContent = `(${x}, ${y}) value ${fmt(map[y * p.w + x])}; scale ${fmt(p.range[0])} … ${fmt(p.range[1])}`;
  }
}
