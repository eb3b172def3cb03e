/**
 * Front-end pieces shared by the saliency-lab widget views: the binary array serializer, the model base
 * (module name and version from the one constant), form controls bound to model attributes, canvases,
 * and the widgets' style sheet.
 */
import { DOMWidgetModel, DOMWidgetView, type ISerializers, type WidgetModel } from '@jupyter-widgets/base';
import { fromBytes, type WireArray } from '../arrays';
import { MODULE_NAME, MODULE_SEMVER } from '../module';

/** Binary attributes: `{dtype, shape, data}` with data as a DataView on the wire, a typed array here. */
export const arraySerializer = {
  deserialize(value: unknown): WireArray | null {
    const v = value as { dtype?: unknown; shape?: unknown; data?: unknown } | null;
    if (!v || !(v.data instanceof DataView || v.data instanceof ArrayBuffer || ArrayBuffer.isView(v.data))) return null;
    return fromBytes('array', v.dtype, v.shape, v.data as ArrayBufferView);
  },
  serialize(value: WireArray | null): unknown {
    if (!value) return value;
    const d = value.data;
    return { dtype: value.dtype, shape: value.shape, data: new DataView(d.buffer, d.byteOffset, d.byteLength) };
  },
};

export function arraySerializers(...keys: string[]): ISerializers {
  return Object.fromEntries(keys.map((k) => [k, arraySerializer]));
}

/** The model base: module name and version of every saliency-lab widget. */
export function modelDefaults(modelName: string, viewName: string): Record<string, unknown> {
  return {
    _model_name: modelName, _model_module: MODULE_NAME, _model_module_version: MODULE_SEMVER,
    _view_name: viewName, _view_module: MODULE_NAME, _view_module_version: MODULE_SEMVER,
    message: '',
  };
}

export class SaliencyModel extends DOMWidgetModel {
  static override serializers: ISerializers = { ...DOMWidgetModel.serializers };
}

const STYLE_ID = 'saliency-lab-widget-style';
const CSS = `
.sl-widget { font: 13px/1.4 system-ui, sans-serif; color: #222; display: inline-flex; flex-direction: column; gap: 6px; padding: 4px; }
.sl-row { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; }
.sl-row label { display: inline-flex; gap: 4px; align-items: center; }
.sl-row input[type=range] { width: 110px; }
.sl-canvas { image-rendering: pixelated; border: 1px solid #ccc; }
.sl-panels { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.sl-panel { display: flex; flex-direction: column; gap: 2px; align-items: center; }
.sl-readout { font-family: monospace; min-height: 1.4em; }
.sl-message { color: #a00; background: #fee; padding: 2px 6px; border-radius: 3px; }
.sl-message:empty { display: none; }
.sl-progress { width: 200px; height: 10px; }
.sl-grid { display: grid; gap: 4px; align-items: center; justify-items: center; }
.sl-grid .sl-head { font-weight: 600; }
.sl-tile { cursor: pointer; border: 1px solid transparent; }
.sl-tile.sl-selected { border-color: #e60; }
`;

/** Adds the style sheet once per document. */
export function ensureStyle(doc: Document = document): void {
  if (doc.getElementById(STYLE_ID)) return;
  const s = doc.createElement('style');
  s.id = STYLE_ID;
  s.textContent = CSS;
  doc.head.appendChild(s);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/** Sets an attribute from the browser and sends it to the kernel. */
export function setAndSave(model: WidgetModel, key: string, value: unknown): void {
  model.set(key, value);
  model.save_changes();
}

/**
 * Base view: `render()` builds the DOM once, then `update()` draws it from the model; every change of
 * the model calls `update()` again, so the first render is the same code as the change handler.
 */
export abstract class SaliencyView extends DOMWidgetView {
  protected readonly cleanups: (() => void)[] = [];

  override render(): void {
    ensureStyle();
    this.el.classList.add('sl-widget');
    this.build();
    this.listenTo(this.model, 'change', () => this.update());
    this.update();
  }

  /** Builds the DOM (controls, canvases). */
  protected abstract build(): void;

  /** Draws everything from the model. */
  override update(): void {
    this.draw();
  }

  protected abstract draw(): void;

  /** Registers a cleanup run by remove() (listeners, timers, object URLs). */
  protected onRemove(f: () => void): void {
    this.cleanups.push(f);
  }

  protected listen(target: EventTarget, type: string, f: (e: Event) => void): void {
    target.addEventListener(type, f);
    this.onRemove(() => target.removeEventListener(type, f));
  }

  override remove(): this {
    for (const f of this.cleanups.splice(0)) f();
    return super.remove();
  }

  /** A message line bound to the model's `message`. */
  protected messageLine(): HTMLElement {
    const m = el('div', { class: 'sl-message', 'data-role': 'message' });
    const sync = () => { m.textContent = String(this.model.get('message') ?? ''); };
    this.listenTo(this.model, 'change:message', sync);
    sync();
    return m;
  }

  /** A range slider bound to an attribute; the label shows the value. */
  protected slider(label: string, key: string, min: number, max: number, step: number, format = (v: number) => String(v)): HTMLElement {
    const input = el('input', { type: 'range', min: String(min), max: String(max), step: String(step), 'data-control': key });
    const value = el('span');
    const sync = () => {
      const v = Number(this.model.get(key));
      input.value = String(v);
      value.textContent = format(v);
    };
    this.listen(input, 'input', () => setAndSave(this.model, key, Number(input.value)));
    this.listenTo(this.model, `change:${key}`, sync);
    sync();
    return el('label', {}, label, input, value);
  }

  /** A drop-down bound to an attribute; `choices` are [value, text] pairs (or read from the model). */
  protected select(label: string, key: string, choices: () => [string, string][], parse: (v: string) => unknown = (v) => v): HTMLElement {
    const s = el('select', { 'data-control': key });
    const fill = () => {
      const current = String(this.model.get(key));
      const list = choices();
      // A value the list lacks (e.g. a reversed colormap "rdbu_r" set from the cell) is shown as it is.
      if (!list.some(([v]) => v === current)) list.push([current, current]);
      s.replaceChildren(...list.map(([v, t]) => {
        const o = el('option', { value: v }, t);
        if (v === current) o.selected = true;
        return o;
      }));
    };
    this.listen(s, 'change', () => setAndSave(this.model, key, parse(s.value)));
    this.listenTo(this.model, 'change', fill);
    fill();
    return el('label', {}, label, s);
  }

  protected button(text: string, role: string, onClick: () => void): HTMLButtonElement {
    const b = el('button', { 'data-control': role }, text);
    this.listen(b, 'click', onClick);
    return b;
  }
}

/** A canvas showing an RGBA buffer at its own size, scaled by CSS with crisp pixels. */
export function canvas(role: string): HTMLCanvasElement {
  return el('canvas', { class: 'sl-canvas', 'data-role': role });
}

/** Puts RGBA pixels on a canvas, `zoom` times their size on screen. */
export function paint(c: HTMLCanvasElement, rgba: Uint8ClampedArray, width: number, height: number, zoom: number): void {
  if (c.width !== width || c.height !== height) {
    c.width = width;
    c.height = height;
  }
  c.style.width = `${width * zoom}px`;
  c.style.height = `${height * zoom}px`;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), width, height), 0, 0);
}

/** The pixel of a canvas under a pointer event, or null outside it. */
export function pixelAt(c: HTMLCanvasElement, e: MouseEvent): { x: number; y: number } | null {
  const r = c.getBoundingClientRect();
  const x = Math.floor(((e.clientX - r.left) / r.width) * c.width);
  const y = Math.floor(((e.clientY - r.top) / r.height) * c.height);
  return x >= 0 && y >= 0 && x < c.width && y < c.height ? { x, y } : null;
}
