/**
 * Random transformations applied to the image before each forward pass (Mordvintsev et al. 2015, Olah et
 * al. 2017 "Feature Visualization"): features that survive small shifts, scalings and rotations look like
 * objects rather than high-frequency patterns. All keep the image size, so fixed-input models work, and all
 * run on every backend:
 *
 * - jitter: reflect-pad and crop at a random offset (pad and slice; exact gradient).
 * - scale and rotation: one affine `tf.image.transform` about the image center, on the image reflect-padded
 *   by `tf.mirrorPad` so that every bilinear read is inside (the same numbers on every backend). tfjs has no
 *   gradient for `Transform` on any backend, so its gradient is the inverse transform of the upstream
 *   gradient times |det A|⁻¹ — the adjoint of the continuous resampling, which bilinear sampling
 *   approximates (it differs by the interpolation's smoothing) — with the padded borders' gradient folded
 *   back onto the pixels they copy.
 * - blur: a separable Gaussian applied between steps (not differentiated), as Yosinski et al. 2015.
 */
import * as tf from '@tensorflow/tfjs';
import { mirrorPadBackward } from '../../models/gradients';
import type { Rng } from './rng';

export interface TransformOptions {
  /** Largest shift in pixels, each axis (0: none). */
  jitter: number;
  /** Range of the random zoom factor `[min, max]` (`[1, 1]`: none). */
  scale: [number, number];
  /** Largest rotation in degrees, either way (0: none). */
  rotate: number;
}

/** One draw of the random transformation: drawn outside tf.grad so that every backend sees the same. */
export interface TransformDraw {
  dy: number;
  dx: number;
  scale: number;
  angle: number;
}

export function drawTransform(rng: Rng, options: TransformOptions): TransformDraw {
  const j = Math.floor(options.jitter);
  const dy = j > 0 ? rng.int(-j, j) : 0;
  const dx = j > 0 ? rng.int(-j, j) : 0;
  const scale = options.scale[0] === options.scale[1] ? options.scale[0] : rng.uniform(options.scale[0], options.scale[1]);
  const angle = options.rotate > 0 ? (rng.uniform(-options.rotate, options.rotate) * Math.PI) / 180 : 0;
  return { dy, dx, scale, angle };
}

/** Shifts by (dy, dx) with reflected borders; size unchanged. Sync, differentiable. */
export function shift(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  if (dy === 0 && dx === 0) return x;
  const [n, h, w, c] = x.shape;
  const py = Math.min(Math.abs(dy), h - 1);
  const px = Math.min(Math.abs(dx), w - 1);
  const padded = tf.mirrorPad(x, [[0, 0], [py, py], [px, px], [0, 0]], 'reflect');
  return tf.slice(padded, [0, py - Math.sign(dy) * py, px - Math.sign(dx) * px, 0], [n, h, w, c]) as tf.Tensor4D;
}

/** The `tf.image.transform` row mapping output pixels to input pixels: zoom by `scale`, rotate by `angle`. */
function affineRow(h: number, w: number, scale: number, angle: number): number[] {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0, 0];
}

/**
 * The row as seen between frames offset by margins: output pixel q of a frame with margin `outM` (its
 * pixel q is q − outM of the unpadded frame) reads input pixel p + inM of a frame with margin `inM`.
 */
function shiftedRow(row: number[], outM: number, inM: number): number[] {
  const [a, b, c, d, e, f] = row;
  return [a, b, c - outM * (a + b) + inM, d, e, f - outM * (d + e) + inM, 0, 0];
}

/**
 * The margin (pixels, each side) that holds every bilinear read of `row` over an `outH`×`outW` output grid
 * from an `h`×`w` input: how far the mapped corners fall outside [0, h − 1]×[0, w − 1], plus one pixel for
 * the interpolation's neighbour.
 */
function readMargin(row: number[], outH: number, outW: number, h: number, w: number): number {
  let over = 0;
  for (const y of [0, outH - 1]) for (const x of [0, outW - 1]) {
    const ix = row[0] * x + row[1] * y + row[2];
    const iy = row[3] * x + row[4] * y + row[5];
    over = Math.max(over, -ix, ix - (w - 1), -iy, iy - (h - 1));
  }
  return Math.ceil(over - 1e-6) + 1;
}

/** `tf.image.transform` of `x` by `row` into an `outShape` grid; every read is inside `x` when the margins allow. */
function transformInto(x: tf.Tensor4D, row: number[], outShape: [number, number], fill: 'reflect' | 'constant'): tf.Tensor4D {
  return tf.image.transform(x, tf.tile(tf.tensor2d([row], [1, 8]), [x.shape[0], 1]) as tf.Tensor2D, 'bilinear', fill, 0, outShape);
}

/**
 * Zoom by `scale` and rotate by `angle` (radians) about the center, size unchanged, reflected borders.
 * Sync, differentiable (see the module comment for the gradient).
 *
 * The borders are reflected by `tf.mirrorPad` before the transform (its gradient folds the borders'
 * gradient back onto the pixels they copy, here, whether or not saliency-lab's gradient rules are on), so that `tf.image.transform` only interpolates inside its input: its own
 * `reflect` fill differs between backends at the borders (wasm's from cpu's and webgpu's). The gradient is
 * likewise computed on a zero-padded upstream gradient, every read inside. Only a zoom-out or rotation so
 * large that the margin would exceed the image (margin ≥ size) falls back on the transform's own fill.
 */
export function scaleRotate(x: tf.Tensor4D, scale: number, angle: number): tf.Tensor4D {
  if (scale === 1 && angle === 0) return x;
  const [, h, w] = x.shape;
  const forward = affineRow(h, w, scale, angle);
  const inverse = affineRow(h, w, 1 / scale, -angle);
  const jacobian = scale * scale;
  const need = readMargin(forward, h, w, h, w);
  const m = Math.min(need, h - 1, w - 1);
  const fill = m < need ? 'reflect' : 'constant';
  const paddings: [number, number][] = [[0, 0], [m, m], [m, m], [0, 0]];
  const [ph, pw] = [h + 2 * m, w + 2 * m];
  // The gradient reads the upstream gradient (h×w, zero outside) at the inverse-mapped padded grid.
  const back = shiftedRow(inverse, m, 0);
  const g = readMargin(back, ph, pw, h, w);
  const op = tf.customGrad((...args: unknown[]) => {
    const input = args[0] as tf.Tensor4D;
    const padded = m > 0 ? (tf.mirrorPad(input, paddings, 'reflect') as tf.Tensor4D) : input;
    const value = transformInto(padded, shiftedRow(forward, 0, m), [h, w], fill);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const dyPadded = tf.pad(dy as tf.Tensor4D, [[0, 0], [g, g], [g, g], [0, 0]]) as tf.Tensor4D;
        const dPadded = tf.mul(transformInto(dyPadded, shiftedRow(inverse, m, g), [ph, pw], 'constant'), jacobian);
        return m > 0 ? mirrorPadBackward(dPadded, input.shape, paddings, 'reflect') : dPadded;
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Applies one draw: shift, then zoom and rotation. Sync, differentiable. */
export function applyTransform(x: tf.Tensor4D, draw: TransformDraw): tf.Tensor4D {
  return scaleRotate(shift(x, draw.dy, draw.dx), draw.scale, draw.angle);
}

/** 1-D Gaussian weights of standard deviation `sigma`, radius ⌈3σ⌉ capped at `maxRadius`, summing to 1. */
export function gaussianKernel1d(sigma: number, maxRadius = Infinity): number[] {
  const r = Math.max(1, Math.min(maxRadius, Math.ceil(3 * sigma)));
  const k: number[] = [];
  for (let i = -r; i <= r; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

/** Separable Gaussian blur per channel with reflected borders. Sync; not meant for differentiation. */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (!(sigma > 0) || x.shape[1] < 2 || x.shape[2] < 2) return x.clone();
  return tf.tidy(() => {
    const c = x.shape[3];
    // Reflect padding needs a radius below the image size.
    const ky = gaussianKernel1d(sigma, x.shape[1] - 1);
    const kx = gaussianKernel1d(sigma, x.shape[2] - 1);
    const ry = (ky.length - 1) / 2;
    const rx = (kx.length - 1) / 2;
    const rows = tf.tensor4d(ky.flatMap((v) => new Array<number>(c).fill(v)), [ky.length, 1, c, 1]);
    const cols = tf.tensor4d(kx.flatMap((v) => new Array<number>(c).fill(v)), [1, kx.length, c, 1]);
    const padded = tf.mirrorPad(x, [[0, 0], [ry, ry], [rx, rx], [0, 0]], 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, rows, 1, 'valid'), cols, 1, 'valid') as tf.Tensor4D;
  });
}
