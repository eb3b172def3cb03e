/**
 * Normalization of saliency maps to [0, 1], ready for a colormap.
 *
 * Modes (x is a map value, [lo, hi] the scale):
 * - "minmax": (x - lo) / (hi - lo) with lo, hi the (100 - p)-th and p-th percentiles of x (min and max
 *   at the default p = 100).
 * - "abs": |x| / hi with hi the p-th percentile of |x|. Captum's "absolute_value" sign.
 * - "signed": 0.5 + 0.5 x / hi with hi the p-th percentile of |x|: zero lands on 0.5, the middle of a
 *   diverging colormap, and +v and -v are equally far from it.
 * Results are clamped to [0, 1]; the divisor is at least 1e-12, so a constant map becomes all 0 (0.5 in
 * "signed" mode) instead of NaN.
 *
 * Percentile clipping: `percentile: 99` saturates the top 1% (PAIR saliency's visualization uses the 99th
 * percentile). Percentiles use linear interpolation between order statistics (numpy's default "linear"
 * method): P_p = s[k] + (s[k+1] - s[k]) f, with s sorted, r = p/100 (n - 1), k = floor(r), f = r - k.
 * Captum's `outlier_perc` differs: it clips where the cumulative sum of sorted |x| reaches (100 - perc)% of
 * the total, a threshold on mass rather than on count.
 *
 * Scale: "per-map" takes lo and hi from each map alone; "shared" takes them from all maps together (every
 * map of an [N,H,W] stack and every map in an array), so that equal values get equal colors across maps
 * from different methods or images.
 */
import { InputError, OptionError } from './errors';
import { MapStack } from './arrays';

export const NORMALIZE_MODES = ['minmax', 'abs', 'signed'] as const;
export type NormalizeMode = (typeof NORMALIZE_MODES)[number];
export const SCALES = ['per-map', 'shared'] as const;
export type ScaleMode = (typeof SCALES)[number];

export interface NormalizeOptions {
  /** How values map to [0, 1]; see the module comment. Default "minmax". */
  mode?: NormalizeMode;
  /** Clipping percentile p in (0, 100]; for "minmax" in [50, 100]. Default 100 (no clipping). */
  percentile?: number;
  /** "per-map" (default) or "shared" (one scale across all maps given). */
  scale?: ScaleMode;
  /**
   * A fixed [lo, hi] instead of one computed from the data (then percentile and scale are unused). For
   * "abs" it applies to |x|, for "signed" only hi is used (lo = -hi).
   */
  range?: [number, number];
}

export const NORMALIZE_DEFAULTS: Required<Omit<NormalizeOptions, 'range'>> = { mode: 'minmax', percentile: 100, scale: 'per-map' };

const EPS = 1e-12;

export function checkNormalizeOptions(where: string, options: NormalizeOptions): Required<Omit<NormalizeOptions, 'range'>> & Pick<NormalizeOptions, 'range'> {
  const o = { ...NORMALIZE_DEFAULTS, ...options };
  if (!(NORMALIZE_MODES as readonly string[]).includes(o.mode)) {
    throw new OptionError(where, `invalid mode ${JSON.stringify(o.mode)}; choices: ${NORMALIZE_MODES.join(', ')}`);
  }
  if (!(SCALES as readonly string[]).includes(o.scale)) {
    throw new OptionError(where, `invalid scale ${JSON.stringify(o.scale)}; choices: ${SCALES.join(', ')}`);
  }
  const p = o.percentile;
  const pOk = typeof p === 'number' && p <= 100 && (o.mode === 'minmax' ? p >= 50 : p > 0);
  if (!pOk) {
    throw new OptionError(where, `percentile must be in ${o.mode === 'minmax' ? '[50' : '(0'}, 100] for mode "${o.mode}", but got ${o.percentile}`);
  }
  if (o.range !== undefined) {
    const r = o.range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || (o.mode !== 'signed' && !(r[1] > r[0])) || (o.mode === 'signed' && !(r[1] > 0))) {
      throw new OptionError(where, `range must be [lo, hi] of finite numbers with hi > lo${o.mode === 'signed' ? ' and hi > 0' : ''}, but got ${JSON.stringify(r)}`);
    }
  }
  return o;
}

/** The k-th smallest value (0-based) of a, reordering a in place (Hoare's quickselect). */
function select(a: Float32Array, k: number, from = 0, to = a.length - 1): number {
  let lo = from, hi = to;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot keeps sorted input linear.
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * The p-th percentile (0 <= p <= 100) of the values, with linear interpolation (numpy's default).
 * Works on a copy; O(n) on average.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new OptionError('percentile', `p must be in [0, 100], but got ${p}`);
  const n = values.length;
  if (n === 0) throw new InputError('percentile', 'no values');
  const a = Float32Array.from(values);
  const r = (p / 100) * (n - 1);
  const k = Math.floor(r);
  const f = r - k;
  const lower = select(a, k);
  if (f === 0 || k + 1 >= n) return lower;
  // After select, a[k+1..] are all >= a[k]; the next order statistic is their minimum.
  let upper = Infinity;
  for (let i = k + 1; i < n; i++) if (a[i] < upper) upper = a[i];
  return lower + (upper - lower) * f;
}

function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function absMax(a: ArrayLike<number>): number {
  let hi = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > hi) hi = v;
  }
  return hi;
}

type ResolvedOptions = ReturnType<typeof checkNormalizeOptions>;

/**
 * [lo, hi] of one set of values, in the mode's own terms (|x| for "abs", x otherwise). `known` is the
 * values' [min, max] when already found.
 */
function rangeOf(values: Float32Array, o: ResolvedOptions, known?: [number, number]): [number, number] {
  const p = o.percentile;
  if (o.mode === 'minmax') {
    return p === 100 ? known ?? minMax(values) : [percentile(values, 100 - p), percentile(values, p)];
  }
  let hi: number;
  if (p === 100) hi = known ? Math.max(Math.abs(known[0]), Math.abs(known[1])) : absMax(values);
  else {
    const abs = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) abs[i] = Math.abs(values[i]);
    hi = percentile(abs, p);
  }
  return o.mode === 'abs' ? [0, hi] : [-hi, hi];
}

function fixedRange(o: ResolvedOptions): [number, number] {
  const r = o.range as [number, number];
  return o.mode === 'signed' ? [-r[1], r[1]] : [r[0], r[1]];
}

/** The [lo, hi] for every map of every stack: result[s][m]. */
export function scalesOf(stacks: MapStack[], o: ResolvedOptions): [number, number][][] {
  if (o.range) {
    const r = fixedRange(o);
    return stacks.map((s) => Array.from({ length: s.n }, () => r));
  }
  if (o.scale === 'shared') {
    const total = stacks.reduce((a, s) => a + s.data.length, 0);
    let all: Float32Array;
    if (stacks.length === 1) all = stacks[0].data;
    else {
      all = new Float32Array(total);
      let at = 0;
      for (const s of stacks) { all.set(s.data, at); at += s.data.length; }
    }
    const known = stacks.every((s) => s.range)
      ? [Math.min(...stacks.map((s) => (s.range as [number, number])[0])), Math.max(...stacks.map((s) => (s.range as [number, number])[1]))] as [number, number]
      : undefined;
    const r = rangeOf(all, o, known);
    return stacks.map((s) => Array.from({ length: s.n }, () => r));
  }
  return stacks.map((s) => {
    const size = s.h * s.w;
    // A stack's range is its one map's range when it holds one map.
    return Array.from({ length: s.n }, (_, m) => rangeOf(s.data.subarray(m * size, (m + 1) * size), o, s.n === 1 ? s.range : undefined));
  });
}

/**
 * The affine form of a scale: t = clamp(a f(x) + b, 0, 1) with f = |x| when `abs`, else x. Render loops
 * use it to color values without an intermediate array.
 */
export interface ScaleCoefficients {
  a: number;
  b: number;
  abs: boolean;
}

export function coefficients([lo, hi]: [number, number], mode: NormalizeMode): ScaleCoefficients {
  if (mode === 'signed') {
    // 0.5 + 0.5 x / hi, written so that an all-zero map lands on 0.5 too.
    return { a: 0.5 / Math.max(hi, EPS), b: 0.5, abs: false };
  }
  const a = 1 / Math.max(hi - lo, EPS);
  return { a, b: -lo * a, abs: mode === 'abs' };
}

/**
 * A value on a scale: clamp(a f(v) + b, 0, 1). The one normalization formula of viz; render loops call it
 * per pixel (it is small enough to be inlined) so that they need no intermediate array.
 */
export function scaled(v: number, a: number, b: number, abs: boolean): number {
  const t = a * (abs ? Math.abs(v) : v) + b;
  return t > 0 ? (t < 1 ? t : 1) : 0;
}

/** Writes the normalized values of one map (src[offset .. offset + length]) into out. */
export function applyScale(src: ArrayLike<number>, out: Float32Array, range: [number, number], mode: NormalizeMode, offset = 0, length = src.length): void {
  const { a, b, abs } = coefficients(range, mode);
  for (let i = offset, end = offset + length; i < end; i++) out[i] = scaled(src[i], a, b, abs);
}

/** Normalizes stacks read already: one Float32Array per stack, values in [0, 1]. */
export function normalizeStacks(stacks: MapStack[], o: ResolvedOptions): { data: Float32Array[]; scales: [number, number][][] } {
  const scales = scalesOf(stacks, o);
  const data = stacks.map((s, k) => {
    const out = new Float32Array(s.data.length);
    const size = s.h * s.w;
    for (let m = 0; m < s.n; m++) applyScale(s.data, out, scales[k][m], o.mode, m * size, size);
    return out;
  });
  return { data, scales };
}

/**
 * Normalizes one set of values (a map, or any values) to [0, 1] per `options` (mode, percentile, range;
 * see the module comment) into a new Float32Array. Checks the options (OptionError) and that the values
 * are finite (InputError). The widgets' look-only redraw.
 *
 *   normalizeValues(map, { mode: 'signed', percentile: 99 })
 */
export function normalizeValues(values: ArrayLike<number>, options: NormalizeOptions = {}, where = 'normalizeValues'): Float32Array {
  return normalizeStacks([valuesAsStack(where, values)], checkNormalizeOptions(where, options)).data[0];
}

/** The [lo, hi] that normalizeValues uses for these values (for a colorbar's labels). */
export function valuesRange(values: ArrayLike<number>, options: NormalizeOptions = {}, where = 'valuesRange'): [number, number] {
  return scalesOf([valuesAsStack(where, values)], checkNormalizeOptions(where, options))[0][0];
}

function valuesAsStack(where: string, values: ArrayLike<number>): MapStack {
  if (values == null || typeof values.length !== 'number') throw new InputError(where, `values must be an array of numbers, but got ${values === null ? 'null' : typeof values}`);
  if (values.length === 0) throw new InputError(where, 'no values (empty array)');
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new InputError(where, `values hold ${v} at index ${i}; values must be finite`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { data, n: 1, h: 1, w: data.length, range: [lo, hi] };
}
