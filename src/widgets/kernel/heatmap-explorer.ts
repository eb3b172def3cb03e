/**
 * heatmapExplorer(model, images, {methods, target}): the images with one map per method. Look-only
 * controls (opacity, colormap, normalization, threshold / top-k mask, smoothing, method, page) redraw in
 * the browser; choosing a target among the image's top-k predictions recomputes its maps in the kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { JSONValue } from '../../kernel/api';
import type { Model } from '../../models/types';
import { checkInput } from '../../methods/common';
import { getMethod } from '../../methods/registry';
import { isLayersModel, isGraphModel } from '../../models/layers';
import { RGBAImage } from '../../viz/image';
import { floatArray, type WireArray } from '../arrays';
import { renderHeatmapExplorer } from '../views';
import { LookWidget, type LookOptions } from './look-widget';
import { methodMaps, toPixels, topPredictions, type Prediction } from './compute';
import { WidgetError, checks } from './widget';

export interface HeatmapExplorerOptions extends LookOptions {
  /** Method names from the registry (METHOD_NAMES). Default saliencyMap and gradCam (saliencyMap alone for a function model). */
  methods?: string[];
  /** The class (output) to explain: one for all images or one per image. Default: each image's top class. */
  target?: number | number[];
  /** Options passed to every method (e.g. `{ steps: 32 }`), or per method name. */
  methodOptions?: Record<string, Record<string, unknown>>;
  /** How many top predictions are offered as targets. Default 5. */
  predictions?: number;
  /** Class names for the predictions. */
  classes?: readonly string[];
  /** Image values shown as black and white. Default [0, 1]. */
  imageRange?: [number, number];
}

const WHERE = 'heatmapExplorer';

function images4d(where: string, images: unknown): tf.Tensor4D {
  if (!(images instanceof tf.Tensor)) throw new WidgetError(where, `images must be a tf.Tensor [N,H,W,C] or [H,W,C], got ${images === null ? 'null' : typeof images}`);
  if (images.rank === 3) return tf.expandDims(images, 0) as tf.Tensor4D;
  if (images.rank === 4) return tf.clone(images) as tf.Tensor4D;
  throw new WidgetError(where, `images must be [N,H,W,C] or [H,W,C], got shape [${images.shape}]`);
}

export function defaultMethods(model: Model): string[] {
  return isLayersModel(model) || isGraphModel(model) ? ['saliencyMap', 'gradCam'] : ['saliencyMap'];
}

export class HeatmapExplorer extends LookWidget {
  private readonly model: Model;
  private readonly x: tf.Tensor4D;
  private readonly methods: string[];
  private readonly methodOptions: Record<string, Record<string, unknown>>;

  /** Use `heatmapExplorer(...)`, which computes the maps first. */
  constructor(model: Model, x: tf.Tensor4D, methods: string[], methodOptions: Record<string, Record<string, unknown>>, state: {
    images: WireArray; maps: WireArray; predictions: Prediction[][]; targets: number[]; outputs: number;
  }, look: LookOptions) {
    super(WHERE, { modelName: 'HeatmapExplorerModel', viewName: 'HeatmapExplorerView' }, {
      images: state.images, maps: state.maps, predictions: state.predictions as unknown as JSONValue, targets: state.targets,
      methods, methodTitles: methods.map((m) => getMethod(m).title), method: 0, page: 0, status: 'idle',
    }, look);
    this.model = model;
    this.x = this.hold(x);
    this.methods = methods;
    this.methodOptions = methodOptions;
    const n = x.shape[0];
    this.control('method', checks.integer(WHERE, 'method', 0, methods.length - 1, ` (${methods.join(', ')})`));
    this.control('page', checks.integer(WHERE, 'page', 0, n - 1, ` (${n} images)`));
    this.control('targets', (v) => {
      if (!Array.isArray(v) || v.length !== n || !v.every((t) => Number.isInteger(t) && t >= 0 && t < state.outputs)) {
        throw new WidgetError(WHERE, `targets must be ${n} output indices from 0 to ${state.outputs - 1}, got ${JSON.stringify(v)}`);
      }
      return v as number[];
    });
    this.onChange((keys) => {
      if (keys.includes('targets')) this.recompute();
    });
  }

  /** Recomputes the maps for the current targets (detached from the comm handler). */
  private recompute(): void {
    const targets = this.get('targets') as number[];
    void this.startTask('maps', async (signal) => {
      this.set({ status: 'computing' });
      const maps = await computeMaps(this.model, this.x, this.methods, this.methodOptions, targets, signal);
      if (!signal.aborted) this.set({ maps, status: 'idle' });
    });
  }

  picture(): RGBAImage {
    const p = renderHeatmapExplorer(this.get('images') as WireArray, this.get('maps') as WireArray, this.get('page') as number, this.get('method') as number, this.look());
    return new RGBAImage(p.width, p.height, p.rgba);
  }

  describe(): string {
    const [n, h, w] = this.x.shape;
    return `heatmapExplorer: ${n} image${n === 1 ? '' : 's'} ${h}×${w}, methods ${this.methods.join(', ')}`;
  }
}

async function computeMaps(model: Model, x: tf.Tensor4D, methods: string[], methodOptions: Record<string, Record<string, unknown>>, targets: number[], signal?: AbortSignal): Promise<WireArray> {
  const [n, h, w] = x.shape;
  const m = methods.length;
  const out = new Float32Array(n * m * h * w);
  for (let j = 0; j < m; j++) {
    const opts: Record<string, unknown> = { ...(methodOptions[methods[j]] ?? {}), target: targets };
    if (signal && getMethod(methods[j]).long) opts.signal = signal;
    const maps = await methodMaps(model, x, methods[j], opts);
    for (let i = 0; i < n; i++) out.set(maps.subarray(i * h * w, (i + 1) * h * w), (i * m + j) * h * w);
    // Between methods, let messages (a newer target) through.
    await new Promise<void>((r) => setImmediate(r));
    if (signal?.aborted) break;
  }
  return floatArray(out, [n, m, h, w]);
}

/**
 * Makes a heatmap explorer: computes every method's map for every image (awaited), then shows the
 * widget. The images are copied (the caller keeps theirs); `close()` frees the copy. Errors (unknown
 * method, an image that does not fit the model, a method that cannot serve it) are typed and raised
 * here, before any widget exists.
 */
export async function heatmapExplorer(model: Model, images: tf.Tensor, options: HeatmapExplorerOptions = {}): Promise<HeatmapExplorer> {
  const { methods = defaultMethods(model), target, methodOptions = {}, predictions = 5, classes, imageRange = [0, 1], ...look } = options;
  if (!Array.isArray(methods) || methods.length === 0) throw new WidgetError(WHERE, `methods must be a non-empty list of method names, got ${JSON.stringify(methods)}`);
  methods.forEach((name) => getMethod(name));
  const x = images4d(WHERE, images);
  try {
    await checkInput(WHERE, model, x);
    const { top, outputs } = await topPredictions(model, x, predictions, classes);
    const n = x.shape[0];
    const targets = target === undefined ? top.map((p) => p[0].index) : Array.isArray(target) ? target : new Array<number>(n).fill(target);
    const maps = await computeMaps(model, x, methods, methodOptions, targets);
    const pixels = await toPixels(x, imageRange);
    return new HeatmapExplorer(model, x, methods, methodOptions, { images: pixels, maps, predictions: top, targets, outputs }, look);
  } catch (e) {
    x.dispose();
    throw e;
  }
}
