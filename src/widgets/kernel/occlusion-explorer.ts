/**
 * occlusionExplorer(model, image, {target}): patch-size and stride sliders and a baseline selector. A
 * change recomputes occlusion in the kernel, debounced, detached from the comm handler and batch by
 * batch: the widget shows a progress bar and each partial map as it arrives, and a cancel stops the
 * kernel's work at the next batch. The clean score and the target are computed once and kept.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../models/types';
import { RGBAImage } from '../../viz/image';
import { floatArray, type WireArray } from '../arrays';
import { renderOverlay } from '../views';
import { LookWidget, type LookOptions } from './look-widget';
import { occlusionContext, type OcclusionContext } from '../../methods/occlusion';
import { OCCLUSION_BASELINES, occlusionBaseline, occlusionMap, toPixels, type OcclusionBaseline } from './compute';
import { WidgetError, checks } from './widget';

const WHERE = 'occlusionExplorer';
/** Least time between two partial maps sent to the front end, ms. */
const PARTIAL_INTERVAL = 50;

export interface OcclusionExplorerOptions extends LookOptions {
  /** The output to explain. Default: the image's top class. */
  target?: number;
  /** Window (patch) size in pixels. Default 8 (at most the image). */
  window?: number;
  /** Step between windows. Default half the window. */
  stride?: number;
  /** Fill of the occluded window: "zeros" (default), "mean" (the image's channel means) or "blur". */
  baseline?: OcclusionBaseline;
  /** Occluded images per forward pass. Default 8: a cancel or a new value waits at most one batch. */
  batchSize?: number;
  /** Wait after the last control change before recomputing, ms. Default 150. */
  debounce?: number;
  /** Image values shown as black and white. Default [0, 1]. */
  imageRange?: [number, number];
}

export class OcclusionExplorer extends LookWidget {
  private readonly ctx: OcclusionContext;
  private readonly batchSize: number;
  private readonly debounce: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly baselines = new Map<string, tf.Tensor4D>();
  /** Times of the last run, ms from its start: first partial map and the end (for the benchmark). */
  lastRun: { firstPartial: number; total: number; cancelled: boolean; stopAfterCancel?: number } | null = null;
  private cancelledAt = 0;

  constructor(ctx: OcclusionContext, image: WireArray, settings: { window: number; stride: number; baseline: OcclusionBaseline; batchSize: number; debounce: number; target: number | null }, look: LookOptions) {
    const [, h, w] = ctx.x.shape;
    super(WHERE, { modelName: 'OcclusionExplorerModel', viewName: 'OcclusionExplorerView' }, {
      image, map: floatArray(new Float32Array(h * w), [h, w]), window: settings.window, stride: settings.stride, baseline: settings.baseline,
      baselines: [...OCCLUSION_BASELINES], target: settings.target, done: 0, total: 0, status: 'idle',
    }, look);
    this.ctx = ctx;
    this.hold(ctx.x);
    this.hold(ctx);
    this.hold({ dispose: () => { tf.dispose([...this.baselines.values()]); if (this.timer) clearTimeout(this.timer); } });
    this.batchSize = settings.batchSize;
    this.debounce = settings.debounce;
    const size = Math.min(h, w);
    this.control('window', checks.integer(WHERE, 'window', 1, size, ` (the image is ${h}×${w})`));
    this.control('stride', checks.integer(WHERE, 'stride', 1, size, ` (the image is ${h}×${w})`));
    this.control('baseline', checks.choice(WHERE, 'baseline', OCCLUSION_BASELINES));
    this.onChange((keys) => {
      if (keys.some((k) => k === 'window' || k === 'stride' || k === 'baseline')) this.schedule();
    });
    this.onCustom((content) => {
      if (content.event === 'cancel') this.cancel();
    });
  }

  /** Stops a running computation (the map keeps what was computed). */
  cancel(): void {
    const pending = this.timer !== undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelledAt = performance.now();
    const running = this.cancelTask('occlusion');
    if (pending || running) this.set({ status: 'cancelled' });
  }

  /** Recomputes after the debounce; a change meanwhile restarts the wait, and stops a running computation at once. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.cancelledAt = performance.now();
    this.cancelTask('occlusion');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.recompute();
    }, this.debounce);
  }

  private baselineTensor(kind: OcclusionBaseline): tf.Tensor4D {
    let b = this.baselines.get(kind);
    if (!b) this.baselines.set(kind, (b = occlusionBaseline(this.ctx.x, kind)));
    return b;
  }

  /** Runs occlusion with the current settings (detached); resolves when it ended or was cancelled. */
  recompute(): Promise<void> {
    const window = this.get('window') as number;
    const stride = this.get('stride') as number;
    const baseline = this.baselineTensor(this.get('baseline') as OcclusionBaseline);
    const [, h, w] = this.ctx.x.shape;
    return this.startTask('occlusion', async (signal) => {
      const t0 = performance.now();
      let first = -1;
      let lastSent = 0;
      this.set({ status: 'running', done: 0, message: '' });
      try {
        const map = await occlusionMap(this.ctx, {
          window, stride, baseline, batchSize: this.batchSize, signal,
          onPartial: (partial, done, total) => {
            // The first partial map at once, then at most one every PARTIAL_INTERVAL ms (the front end redraws each).
            const now = performance.now();
            if (first >= 0 && now - lastSent < PARTIAL_INTERVAL) return;
            if (first < 0) first = now - t0;
            lastSent = now;
            this.set({ map: floatArray(partial, [h, w]), done, total });
          },
        });
        this.set({ map: floatArray(map, [h, w]), done: this.get('total') as number, status: 'done' });
        this.lastRun = { firstPartial: first, total: performance.now() - t0, cancelled: false };
      } catch (e) {
        const end = performance.now();
        if (signal.aborted) this.lastRun = { firstPartial: first, total: end - t0, cancelled: true, stopAfterCancel: end - this.cancelledAt };
        throw e;
      }
    });
  }

  picture(): RGBAImage {
    const img = this.get('image') as WireArray;
    const [h, w] = img.shape;
    const p = renderOverlay(img.data as Uint8Array, (this.get('map') as WireArray).data as Float32Array, h, w, this.look());
    return new RGBAImage(p.width, p.height, p.rgba);
  }

  describe(): string {
    const [, h, w] = this.ctx.x.shape;
    return `occlusionExplorer: ${h}×${w} image, window ${String(this.get('window'))}, stride ${String(this.get('stride'))}, baseline ${String(this.get('baseline'))} (${String(this.get('status'))})`;
  }
}

/**
 * Makes an occlusion explorer for one image ([1,H,W,C] or [H,W,C]) and computes its first map
 * (awaited). Bad options (window 0, a stride larger than the image, an image that does not fit the
 * model, an unknown baseline) are typed errors raised here.
 */
export async function occlusionExplorer(model: Model, image: tf.Tensor, options: OcclusionExplorerOptions = {}): Promise<OcclusionExplorer> {
  const { target, window: win, stride: str, baseline = 'zeros', batchSize = 8, debounce = 150, imageRange = [0, 1], ...look } = options;
  if (!(image instanceof tf.Tensor) || (image.rank !== 3 && image.rank !== 4) || (image.rank === 4 && image.shape[0] !== 1)) {
    throw new WidgetError(WHERE, `image must be one image, a tf.Tensor [H,W,C] or [1,H,W,C], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`);
  }
  const x = (image.rank === 3 ? tf.expandDims(image, 0) : tf.clone(image)) as tf.Tensor4D;
  let ctx: OcclusionContext | undefined;
  try {
    const [, h, w] = x.shape;
    const size = Math.min(h, w);
    const window = win ?? Math.min(8, size);
    checks.integer(WHERE, 'window', 1, size, ` (the image is ${h}×${w})`)(window);
    const stride = str ?? Math.max(1, Math.floor(window / 2));
    checks.integer(WHERE, 'stride', 1, size, ` (the image is ${h}×${w})`)(stride);
    checks.choice(WHERE, 'baseline', OCCLUSION_BASELINES)(baseline);
    checks.integer(WHERE, 'batchSize', 1, 4096)(batchSize);
    ctx = await occlusionContext(model, x, { target }, WHERE);
    const pixels = await toPixels(x, imageRange);
    const widget = new OcclusionExplorer(ctx, { dtype: 'uint8', shape: [h, w, 3], data: pixels.data }, {
      window, stride, baseline, batchSize, debounce, target: Array.isArray(ctx.target) ? ctx.target[0] : null,
    }, look);
    await widget.recompute();
    return widget;
  } catch (e) {
    x.dispose();
    ctx?.dispose();
    throw e;
  }
}
