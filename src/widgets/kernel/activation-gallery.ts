/**
 * activationGallery(model, image): a layer picker (every layer with a 4-D output), the layer's channel
 * maps in a grid on a shared or per-channel scale, sorted by index, mean or max activation, paged for
 * wide layers; a click enlarges a channel with a value readout; the page's filter visualizations
 * (activation maximization of those channels) on request. A new layer is computed in the kernel; sort,
 * scale, page and selection redraw in the browser.
 */
import * as tf from '@tensorflow/tfjs';
import { UnknownLayerError } from '../../errors';
import type { Model } from '../../models/types';
import { checkInput } from '../../methods/common';
import { RGBAImage } from '../../viz/image';
import type { WireArray } from '../arrays';
import { GALLERY_SCALES, GALLERY_SORTS, renderGallery, type GalleryScale, type GallerySort } from '../views';
import { LookWidget, type LookOptions } from './look-widget';
import { channelMaps, filterImages, layersWith4D, type LayerChoice } from './compute';
import { WidgetError, checks } from './widget';

const WHERE = 'activationGallery';

export interface ActivationGalleryOptions extends LookOptions {
  /** The layer shown first. Default: the last layer with a 4-D output. */
  layer?: string;
  sort?: GallerySort;
  scale?: GalleryScale;
  /** Channels per page. Default 32. */
  pageSize?: number;
  /** Optimization steps of the filter visualizations. Default 64. */
  filterSteps?: number;
}

export class ActivationGallery extends LookWidget {
  private readonly model: Model;
  private readonly x: tf.Tensor4D;
  private readonly layers: LayerChoice[];
  private readonly filterSteps: number;

  constructor(model: Model, x: tf.Tensor4D, layers: LayerChoice[], layer: string, activations: WireArray, options: { sort: GallerySort; scale: GalleryScale; pageSize: number; filterSteps: number }, look: LookOptions) {
    super(WHERE, { modelName: 'ActivationGalleryModel', viewName: 'ActivationGalleryView' }, {
      layers: layers.map((l) => ({ name: l.name, shape: l.shape })), layer, activations, sort: options.sort, scale: options.scale,
      page: 0, pageSize: options.pageSize, selected: -1, status: 'idle', filters: null, filterChannels: [], filterStatus: 'idle', filterStep: 0, filterSteps: options.filterSteps,
    }, { colormap: 'viridis', ...look });
    this.model = model;
    this.x = this.hold(x);
    this.layers = layers;
    this.filterSteps = options.filterSteps;
    const names = layers.map((l) => l.name);
    this.control('layer', (v) => {
      if (typeof v !== 'string' || !names.includes(v)) throw new UnknownLayerError(WHERE, String(v), names);
      return v;
    });
    this.control('sort', checks.choice(WHERE, 'sort', GALLERY_SORTS));
    this.control('scale', checks.choice(WHERE, 'scale', GALLERY_SCALES));
    this.control('page', (v) => checks.integer(WHERE, 'page', 0, this.pages() - 1, ` (${this.pages()} pages)`)(v));
    this.control('selected', (v) => checks.integer(WHERE, 'selected', -1, this.channels() - 1, ` (channel index, -1 for none)`)(v));
    this.onChange((keys) => {
      if (keys.includes('layer')) this.loadLayer();
    });
    this.onCustom((content) => {
      if (content.event === 'filters' && Array.isArray(content.channels)) this.visualize(content.channels as number[]);
      if (content.event === 'cancel') this.cancelTask('filters');
    });
  }

  private channels(): number {
    return (this.get('activations') as WireArray).shape[0];
  }

  private pages(): number {
    return Math.max(1, Math.ceil(this.channels() / (this.get('pageSize') as number)));
  }

  private loadLayer(): void {
    const layer = this.get('layer') as string;
    void this.startTask('layer', async () => {
      this.cancelTask('filters');
      this.set({ status: 'computing' });
      const activations = await channelMaps(this.model, this.x, layer);
      this.set({ activations, page: 0, selected: -1, status: 'idle', filters: null, filterChannels: [], filterStatus: 'idle' });
    });
  }

  /** Filter visualizations of some channels of the current layer (detached, with progress and cancel). */
  visualize(channels: number[]): Promise<void> {
    const c = this.channels();
    if (channels.length === 0 || channels.length > 64 || !channels.every((k) => Number.isInteger(k) && k >= 0 && k < c)) {
      this.showMessage(`${WHERE}: filters need 1 to 64 channel indices from 0 to ${c - 1}, got ${JSON.stringify(channels)}`);
      return Promise.resolve();
    }
    const layer = this.get('layer') as string;
    return this.startTask('filters', async (signal) => {
      this.set({ filterStatus: 'running', filterStep: 0 });
      try {
        const filters = await filterImages(this.model, layer, channels, {
          steps: this.filterSteps, signal,
          onStep: (step) => { if (step % 8 === 0) this.set({ filterStep: step }); },
        });
        this.set({ filters, filterChannels: channels, filterStatus: 'done', filterStep: this.filterSteps });
      } catch (e) {
        this.set({ filterStatus: signal.aborted ? 'cancelled' : 'error' });
        throw e;
      }
    });
  }

  picture(): RGBAImage {
    const p = renderGallery(this.get('activations') as WireArray, this.look(), {
      sort: this.get('sort') as GallerySort, scale: this.get('scale') as GalleryScale, page: this.get('page') as number,
      pageSize: this.get('pageSize') as number, selected: this.get('selected') as number,
    }, (this.get('filters') as WireArray | undefined) ?? null, this.get('filterChannels') as number[]);
    return new RGBAImage(p.width, p.height, p.rgba);
  }

  describe(): string {
    const l = this.layers.find((x) => x.name === this.get('layer'));
    return `activationGallery: layer ${String(this.get('layer'))} [${l?.shape.join(', ')}], ${this.layers.length} layers with 4-D outputs`;
  }
}

/** Makes an activation gallery for one image ([1,H,W,C] or [H,W,C]); the first layer's maps are awaited. */
export async function activationGallery(model: Model, image: tf.Tensor, options: ActivationGalleryOptions = {}): Promise<ActivationGallery> {
  const { layer, sort = 'index', scale = 'shared', pageSize = 32, filterSteps = 64, ...look } = options;
  if (!(image instanceof tf.Tensor) || (image.rank !== 3 && image.rank !== 4) || (image.rank === 4 && image.shape[0] !== 1)) {
    throw new WidgetError(WHERE, `image must be one image, a tf.Tensor [H,W,C] or [1,H,W,C], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`);
  }
  checks.choice(WHERE, 'sort', GALLERY_SORTS)(sort);
  checks.choice(WHERE, 'scale', GALLERY_SCALES)(scale);
  checks.integer(WHERE, 'pageSize', 1, 1024)(pageSize);
  checks.integer(WHERE, 'filterSteps', 1, 10000)(filterSteps);
  const layers = layersWith4D(model);
  if (layers.length === 0) throw new WidgetError(WHERE, 'the model has no layer with a 4-D output ([N,h,w,c]) to show');
  const names = layers.map((l) => l.name);
  const first = layer ?? names[names.length - 1];
  if (!names.includes(first)) throw new UnknownLayerError(WHERE, first, names);
  const x = (image.rank === 3 ? tf.expandDims(image, 0) : tf.clone(image)) as tf.Tensor4D;
  try {
    await checkInput(WHERE, model, x);
    const activations = await channelMaps(model, x, first);
    return new ActivationGallery(model, x, layers, first, activations, { sort, scale, pageSize, filterSteps }, look);
  } catch (e) {
    x.dispose();
    throw e;
  }
}
