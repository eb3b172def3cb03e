/**
 * compareMethods(model, images, {methods}): a grid of methods × images, one row per image, on one shared
 * color scale by default (equal values, equal colors across methods and images). Colormap, opacity,
 * normalization, smoothing and the scale mode ("shared", "per-method", "per-map") redraw in the browser.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../models/types';
import { checkInput } from '../../methods/common';
import { getMethod } from '../../methods/registry';
import { RGBAImage } from '../../viz/image';
import { floatArray, type WireArray } from '../arrays';
import { COMPARE_SCALES, renderCompare, type CompareScale } from '../views';
import { LookWidget, type LookOptions } from './look-widget';
import { methodMaps, toPixels } from './compute';
import { defaultMethods } from './heatmap-explorer';
import { WidgetError, checks } from './widget';

const WHERE = 'compareMethods';

export interface CompareMethodsOptions extends LookOptions {
  /** Method names from the registry. Default: saliencyMap, integratedGradients, gradCam (gradient methods only for a function). */
  methods?: string[];
  /** The output to explain, one for all images or one per image. Default: each image's top class. */
  target?: number | number[];
  /** Options per method name, e.g. `{ integratedGradients: { steps: 32 } }`. */
  methodOptions?: Record<string, Record<string, unknown>>;
  /** "shared" (default): one scale for every map; "per-method": one per column; "per-map". */
  scale?: CompareScale;
  imageRange?: [number, number];
}

export class CompareMethods extends LookWidget {
  private readonly methods: string[];
  constructor(methods: string[], images: WireArray, maps: WireArray, scale: CompareScale, look: LookOptions) {
    super(WHERE, { modelName: 'CompareMethodsModel', viewName: 'CompareMethodsView' }, {
      images, maps, methods, methodTitles: methods.map((m) => getMethod(m).title), scale,
    }, look);
    this.methods = methods;
    this.control('scale', checks.choice(WHERE, 'scale', COMPARE_SCALES));
  }

  picture(): RGBAImage {
    const p = renderCompare(this.get('images') as WireArray, this.get('maps') as WireArray, this.get('methodTitles') as string[], this.look(), this.get('scale') as CompareScale);
    return new RGBAImage(p.width, p.height, p.rgba);
  }

  describe(): string {
    const n = (this.get('images') as WireArray).shape[0];
    return `compareMethods: ${n} image${n === 1 ? '' : 's'} × ${this.methods.join(', ')} (scale ${String(this.get('scale'))})`;
  }
}

/** Computes every method's maps (awaited), then shows the grid. The widget holds host arrays only. */
export async function compareMethods(model: Model, images: tf.Tensor, options: CompareMethodsOptions = {}): Promise<CompareMethods> {
  const { methods = [...defaultMethods(model).slice(0, 1), 'integratedGradients', ...defaultMethods(model).slice(1)], target, methodOptions = {}, scale = 'shared', imageRange = [0, 1], ...look } = options;
  if (!Array.isArray(methods) || methods.length === 0) throw new WidgetError(WHERE, `methods must be a non-empty list of method names, got ${JSON.stringify(methods)}`);
  methods.forEach((m) => getMethod(m));
  checks.choice(WHERE, 'scale', COMPARE_SCALES)(scale);
  if (!(images instanceof tf.Tensor) || (images.rank !== 3 && images.rank !== 4)) throw new WidgetError(WHERE, `images must be a tf.Tensor [N,H,W,C] or [H,W,C]`);
  const x = (images.rank === 3 ? tf.expandDims(images, 0) : tf.clone(images)) as tf.Tensor4D;
  try {
    await checkInput(WHERE, model, x);
    const [n, h, w] = x.shape;
    const m = methods.length;
    const out = new Float32Array(n * m * h * w);
    for (let j = 0; j < m; j++) {
      const maps = await methodMaps(model, x, methods[j], { ...(methodOptions[methods[j]] ?? {}), ...(target === undefined ? {} : { target }) });
      for (let i = 0; i < n; i++) out.set(maps.subarray(i * h * w, (i + 1) * h * w), (i * m + j) * h * w);
    }
    return new CompareMethods(methods, await toPixels(x, imageRange), floatArray(out, [n, m, h, w]), scale, look);
  } finally {
    x.dispose();
  }
}
