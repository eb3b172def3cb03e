/** What the CAM tests share: the hand-set model G, reference upsampling, value and leak checks. */
import * as tf from '@tensorflow/tfjs';

/**
 * Hand-set model G: 4×4×1 input → conv 2×2 stride 2 (no bias), channel 0 sums each block, channel 1 is
 * top-left − bottom-right → GAP → dense V (no bias). y_k = Σ_c V[c][k] mean(A_c), so ∂y_k/∂A_c = V[c][k]/4
 * everywhere, and Grad-CAM_k = Σ_c V[c][k] A_c / 4.
 */
export const V = [[1, 2], [3, -1]];
export const X = [
  [1, 2, 0, -1],
  [0, 3, 1, 1],
  [-2, 1, 4, 0],
  [1, 0, 2, 2],
];
// A_0 = block sums [[6,1],[0,8]]; A_1 = tl − br [[-2,-1],[-2,2]]; y = [1.5, 8.25] → default class 1.

/** Model G; with `activation: 'relu'` the conv is followed by a ReLU (A_1 becomes [[0,0],[0,2]]). */
export function modelG(activation: 'linear' | 'relu' = 'linear'): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [4, 4, 1], filters: 2, kernelSize: 2, strides: 2, useBias: false, activation }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'dense', units: 2, useBias: false }),
    ],
  });
  // kernel[ki][kj][0][channel]
  model.layers[0].setWeights([tf.tensor4d([[[[1, 1]], [[1, 0]]], [[[1, 0]], [[1, -1]]]])]);
  model.layers[2].setWeights([tf.tensor2d(V)]);
  return model;
}

export const xG = () => tf.tensor4d([X.map((r) => r.map((v) => [v]))]);

export async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

export async function expectNear(t: tf.Tensor, expected: unknown[], shape: number[], tol = 1e-5): Promise<void> {
  expect(t.shape).toEqual(shape);
  const want = expected.flat(3) as number[];
  const got = await values(t);
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol * Math.max(1, Math.abs(want[i]))));
}

/** Bilinear resize of one `[h,w]` map, half-pixel centres, sources clamped at 0 (PyTorch align_corners=False). */
export function refUpsample(m: Float64Array, h: number, w: number, H: number, W: number): Float64Array {
  const axis = (o: number, inSize: number, outSize: number) => {
    const src = Math.max(0, (o + 0.5) * (inSize / outSize) - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    return [i0, i1, src - i0] as const;
  };
  const out = new Float64Array(H * W);
  for (let i = 0; i < H; i++) {
    const [r0, r1, fr] = axis(i, h, H);
    for (let j = 0; j < W; j++) {
      const [c0, c1, fc] = axis(j, w, W);
      const top = m[r0 * w + c0] * (1 - fc) + m[r0 * w + c1] * fc;
      const bottom = m[r1 * w + c0] * (1 - fc) + m[r1 * w + c1] * fc;
      out[i * W + j] = top * (1 - fr) + bottom * fr;
    }
  }
  return out;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export async function expectLeakFreeError(fn: () => Promise<unknown>, type: new (...args: never[]) => Error, message?: RegExp | string): Promise<void> {
  const before = tf.memory().numTensors;
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  if (message !== undefined) expect((err as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

