/**
 * A progress bar for long work: a widget in a notebook of the saliency-lab kernel, text lines on stderr
 * elsewhere. Its `update` fits the `onProgress(done, total)` option of the library's long methods:
 *
 *   const bar = progress('occlusion');
 *   const map = await occlusion(model, x, { onProgress: bar.update });
 */
import { display } from '../../display';
import { RGBAImage } from '../../viz/image';
import { drawProgress } from '../render';
import { Widget, WidgetError } from './widget';

export const PROGRESS_STATUSES = ['running', 'done', 'cancelled', 'error'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

export interface ProgressOptions {
  /** Total units of work, when known before the first update. */
  total?: number;
  /** Show the bar now (in a notebook: display it; elsewhere: print the first line). Default true. */
  show?: boolean;
  /** Where text lines go outside a notebook. Default process.stderr. */
  write?: (line: string) => void;
  /** Least time between two front-end updates, ms (the last one always goes). Default 100. */
  interval?: number;
}

export class ProgressBar extends Widget {
  private lastSent = 0;
  private lastTenth = -1;
  private readonly interval: number;
  private readonly write: (line: string) => void;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private current: { done: number; total: number; status: ProgressStatus };
  /** The display id of the output `progress()` made: `finish` replaces that output, so its PNG and text fallbacks show the end. */
  shownAs: string | undefined;

  constructor(readonly description: string, options: ProgressOptions = {}) {
    const total = options.total ?? 0;
    if (!Number.isFinite(total) || total < 0) throw new WidgetError('progress', `total must be a number >= 0, got ${JSON.stringify(options.total)}`);
    super({ modelName: 'ProgressModel', viewName: 'ProgressView' }, { description, done: 0, total, status: 'running' });
    this.current = { done: 0, total, status: 'running' };
    this.interval = options.interval ?? 100;
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    /** Bound, so that `{ onProgress: bar.update }` works. */
    this.update = this.update.bind(this);
  }

  /** Reports `done` of `total` units (total may change, e.g. once known). */
  update(done: number, total: number = this.current.total): void {
    this.current = { done, total, status: 'running' };
    this.publish(false);
  }

  /** Ends the bar: done (the default), cancelled or error. */
  finish(status: Exclude<ProgressStatus, 'running'> = 'done'): void {
    if (status === 'done' && this.current.total > 0) this.current.done = this.current.total;
    this.current.status = status;
    this.publish(true);
    if (this.live && this.shownAs) display(this, { displayId: this.shownAs, update: true });
  }

  private publish(force: boolean): void {
    const { done, total, status } = this.current;
    if (!this.live) {
      const tenth = total > 0 ? Math.floor((10 * done) / total) : -1;
      if (force || tenth !== this.lastTenth) this.write(this.describe());
      this.lastTenth = tenth;
      return;
    }
    const now = Date.now();
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    if (force || now - this.lastSent >= this.interval) {
      this.lastSent = now;
      this.set({ done, total, status });
    } else {
      this.pending = setTimeout(() => this.publish(true), this.interval - (now - this.lastSent));
      this.pending.unref?.();
    }
  }

  describe(): string {
    const { done, total, status } = this.current;
    const pct = total > 0 ? ` (${Math.round((100 * done) / total)}%)` : '';
    return `${this.description}: ${done}${total > 0 ? `/${total}` : ''}${pct}${status === 'running' ? '' : ` ${status}`}`;
  }

  picture(): RGBAImage {
    const img = new RGBAImage(200, 12);
    drawProgress(img.data, 200, 0, 0, 200, 12, this.current.total > 0 ? this.current.done / this.current.total : 0);
    return img;
  }

  override close(): void {
    if (this.pending) clearTimeout(this.pending);
    super.close();
  }
}

/** A progress bar, shown at once (see ProgressOptions). */
export function progress(description: string, options: ProgressOptions = {}): ProgressBar {
  const bar = new ProgressBar(description, options);
  if (options.show ?? true) {
    if (bar.live) {
      bar.shownAs = bar.modelId;
      display(bar, { displayId: bar.shownAs });
    } else bar.update(0);
  }
  return bar;
}
