/** The progress bar's view: description, bar, counts and status. */
import type { ObjectHash } from 'backbone';
import { SaliencyModel, SaliencyView, el, modelDefaults } from './base';

export class ProgressModel extends SaliencyModel {
  override defaults(): ObjectHash {
    return { ...super.defaults(), ...modelDefaults('ProgressModel', 'ProgressView'), description: '', done: 0, total: 0, status: 'running' };
  }
}

export class ProgressView extends SaliencyView {
  private bar!: HTMLProgressElement;
  private label!: HTMLElement;

  protected build(): void {
    this.bar = el('progress', { class: 'sl-progress', 'data-role': 'progress' });
    this.label = el('span', { 'data-role': 'progress-text' });
    this.el.append(el('div', { class: 'sl-row' }, el('span', {}, String(this.model.get('description'))), this.bar, this.label), this.messageLine());
  }

  protected draw(): void {
    const done = Number(this.model.get('done'));
    const total = Number(this.model.get('total'));
    const status = String(this.model.get('status'));
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = done;
    } else this.bar.removeAttribute('value');
    const pct = total > 0 ? ` (${Math.round((100 * done) / total)}%)` : '';
    this.label.textContent = `${done}${total > 0 ? `/${total}` : ''}${pct}${status === 'running' ? '' : ` ${status}`}`;
  }
}
