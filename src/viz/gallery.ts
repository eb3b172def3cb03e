/**
 * Galleries: many maps or images tiled into one atlas, e.g. the channels of a layer's activations. This
 * reads and splits the inputs into tiles; the viz core (src/viz/core/gallery.ts) draws the atlas.
 */
import { InputError, OptionError } from '../errors';
import { ArrayInput, FloatArray, describe, isHostArray, isTensor, readArray } from './array';
import { MapStack, finiteRange } from './core/arrays';
import { ATLAS_DEFAULTS, AtlasOptions, AtlasTile, checkAtlasOptions, drawAtlas } from './core/gallery';
import { RGBAImage, floatToImage } from './image';

export const GALLERY_LAYOUTS = ['auto', 'maps', 'channels', 'images'] as const;
export type GalleryLayout = (typeof GALLERY_LAYOUTS)[number];

export interface GalleryOptions extends AtlasOptions {
  /**
   * How a single tensor or array splits into tiles:
   * - "maps": [N,H,W] (or [H,W], [N,H,W,1]) is N maps;
   * - "channels": [H,W,C] or [1,H,W,C] (a layer's activations, NHWC) is C maps;
   * - "images": [N,H,W,3] is N RGB images (values in `imageRange`);
   * - "auto" (default): rank 2 or 3 is "maps"; rank 4 is "images" when C = 3, "maps" when C = 1, and
   *   "channels" when N = 1.
   * An array is always one tile per element (maps [H,W], images [H,W,3] or RGBAImages).
   */
  layout?: GalleryLayout;
  /** Values of image tiles that map to 0 and 255. Default [0, 1]. */
  imageRange?: [number, number];
}

export const GALLERY_DEFAULTS = {
  layout: 'auto' as GalleryLayout,
  ...ATLAS_DEFAULTS,
  imageRange: [0, 1] as [number, number],
};

/** [H,W,C] (or [1,H,W,C]) to C maps of H×W. */
function channelsToStack(a: FloatArray, h: number, w: number, c: number): MapStack {
  const out = new Float32Array(a.data.length);
  const size = h * w;
  for (let p = 0; p < size; p++) for (let k = 0; k < c; k++) out[k * size + p] = a.data[p * c + k];
  return { data: out, n: c, h, w };
}

function layoutOf(where: string, a: FloatArray, layout: GalleryLayout): Exclude<GalleryLayout, 'auto'> {
  const s = a.shape;
  if (layout !== 'auto') return layout;
  if (s.length === 2 || s.length === 3) return 'maps';
  if (s.length === 4) {
    if (s[3] === 3) return 'images';
    if (s[3] === 1) return 'maps';
    if (s[0] === 1) return 'channels';
  }
  throw new InputError(where, `cannot tell how to tile shape [${s.join(', ')}]; set layout to one of: maps, channels, images`);
}

/**
 * Tiles maps or images into one atlas (an RGBAImage) with optional labels: layer activations, filters, or
 * the maps of several methods side by side. Map tiles are normalized (per tile or on one shared scale) and
 * colored; image tiles are drawn as they are. Tiles of different sizes are centered in cells of the
 * largest size. Async: tensors are read with `await data()`; the caller keeps the inputs.
 *
 *   await gallery(activations, { layout: 'channels', zoom: 2, labels: true })   // [1,28,28,256]
 */
export async function gallery(maps: ArrayInput | (ArrayInput | RGBAImage)[], options: GalleryOptions = {}): Promise<RGBAImage> {
  const where = 'gallery';
  const o = { ...GALLERY_DEFAULTS, ...options };
  if (!(GALLERY_LAYOUTS as readonly string[]).includes(o.layout)) {
    throw new OptionError(where, `invalid layout ${JSON.stringify(o.layout)}; choices: ${GALLERY_LAYOUTS.join(', ')}`);
  }
  checkAtlasOptions(where, o);
  const ir = o.imageRange;
  if (!Array.isArray(ir) || ir.length !== 2 || !(ir[1] > ir[0])) {
    throw new OptionError(where, `imageRange must be [lo, hi] with hi > lo, but got ${JSON.stringify(ir)}`);
  }

  const stacks: MapStack[] = [];
  const tiles: AtlasTile[] = [];
  const addStack = (s: MapStack, what: string, a: FloatArray): void => {
    stacks.push({ ...s, range: finiteRange(where, what, a) });
    for (let i = 0; i < s.n; i++) tiles.push({ kind: 'map', stack: stacks.length - 1, index: i });
  };

  if (Array.isArray(maps)) {
    for (let i = 0; i < maps.length; i++) {
      const item = maps[i];
      const what = `tile ${i}`;
      if (item instanceof RGBAImage) { tiles.push({ kind: 'image', image: item }); continue; }
      if (!isTensor(item) && !isHostArray(item)) {
        throw new InputError(where, `${what} must be a tf.Tensor, { data, shape } or RGBAImage, but got ${describe(item)}`);
      }
      const a = await readArray(where, what, item);
      const s = a.shape;
      const isImage = (s.length === 3 && s[2] === 3) || (s.length === 4 && s[0] === 1 && s[3] === 3);
      if (isImage) tiles.push({ kind: 'image', image: floatToImage(where, a, o.imageRange) });
      else if (s.length === 2 || (s.length === 3 && s[0] === 1) || (s.length === 4 && s[0] === 1 && s[3] === 1)) {
        const h = s.length === 2 ? s[0] : s[1], w = s.length === 2 ? s[1] : s[2];
        if (h === 0 || w === 0) throw new InputError(where, `${what} is empty (shape [${s.join(', ')}])`);
        addStack({ data: a.data, n: 1, h, w }, what, a);
      } else {
        throw new InputError(where, `${what} must be a map [H,W] or an image [H,W,3], but got shape [${s.join(', ')}]`);
      }
    }
  } else {
    const a = await readArray(where, 'maps', maps);
    const s = a.shape;
    const layout = layoutOf(where, a, o.layout);
    if (layout === 'maps') {
      let dims: number[];
      if (s.length === 2) dims = [1, s[0], s[1]];
      else if (s.length === 3) dims = s;
      else if (s.length === 4 && s[3] === 1) dims = s.slice(0, 3);
      else throw new InputError(where, `layout "maps" needs [N,H,W], [H,W] or [N,H,W,1], but got [${s.join(', ')}]`);
      if (dims[0] > 0 && (dims[1] === 0 || dims[2] === 0)) throw new InputError(where, `maps are empty (shape [${s.join(', ')}])`);
      if (dims[0] > 0) addStack({ data: a.data, n: dims[0], h: dims[1], w: dims[2] }, 'maps', a);
    } else if (layout === 'channels') {
      const d = s.length === 3 ? s : s.length === 4 && s[0] === 1 ? s.slice(1) : null;
      if (!d) throw new InputError(where, `layout "channels" needs [H,W,C] or [1,H,W,C], but got [${s.join(', ')}]`);
      if (d[2] > 0 && (d[0] === 0 || d[1] === 0)) throw new InputError(where, `maps are empty (shape [${s.join(', ')}])`);
      if (d[2] > 0) addStack(channelsToStack(a, d[0], d[1], d[2]), 'maps', a);
    } else {
      if (s.length !== 4 || (s[3] !== 3 && s[3] !== 1)) {
        throw new InputError(where, `layout "images" needs [N,H,W,3] or [N,H,W,1], but got [${s.join(', ')}]`);
      }
      const [n, h, w, c] = s;
      const size = h * w * c;
      for (let i = 0; i < n; i++) {
        tiles.push({ kind: 'image', image: floatToImage(where, { data: a.data.subarray(i * size, (i + 1) * size), shape: [h, w, c] }, o.imageRange) });
      }
    }
  }
  return RGBAImage.from(drawAtlas(stacks, tiles, o, where));
}
