/**
 * The AvgPool gradient rule of gradient-rules.ts against central finite differences of the forward pass,
 * at borders with `same` padding (where tfjs's own gradient divides by the full window while the forward
 * pass divides by the number of real pixels), windows 2 and 3, strides 1 and 2, on cpu and wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { withGradientRules } from '../../src/models/gradient-rules';

type Shape4 = [number, number, number, number];

interface Case { x: Shape4; f: number; s: number; pad: 'same' | 'valid' }

const cases: Case[] = [];
for (const pad of ['same', 'valid'] as const) {
  for (const f of [2, 3]) {
    for (const s of [1, 2]) {
      cases.push({ x: [2, 7, 7, 2], f, s, pad }, { x: [1, 6, 5, 3], f, s, pad });
    }
  }
}

/** f(x) = Σ r · avgPool(x) for a fixed random r; one value per batch row of `x`. */
function objective(c: Case, r: tf.Tensor4D) {
  return (x: tf.Tensor4D) => tf.sum(tf.mul(tf.avgPool(x, c.f, c.s, c.pad), r), [1, 2, 3]);
}

/**
 * Central differences (f(x + h·e) − f(x − h·e)) / 2h for every unit vector e of item `n`, batched: rows
 * are x[n] moved along one coordinate each.
 */
function finiteDifferences(c: Case, x: tf.Tensor4D, r: tf.Tensor4D, h = 0.5): Float32Array {
  return tf.tidy(() => {
    const [n, hh, ww, cc] = c.x;
    const m = hh * ww * cc;
    const eye = tf.reshape(tf.mul(tf.eye(m), h), [m, hh, ww, cc]);
    const rows: tf.Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const xi = tf.slice(x, [i, 0, 0, 0], [1, hh, ww, cc]);
      const ri = tf.slice(r, [i, 0, 0, 0], [1, ...r.shape.slice(1)]);
      const f = objective(c, ri as tf.Tensor4D);
      rows.push(tf.div(tf.sub(f(tf.add(xi, eye)), f(tf.sub(xi, eye))), 2 * h));
    }
    return tf.concat(rows).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.each(['cpu', 'wasm'] as const)('true AvgPool gradient on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test.each(cases.map((c) => [`x [${c.x}] window ${c.f} stride ${c.s} ${c.pad}`, c] as const))(
    'equals finite differences of the forward pass: %s', (_name, c) => {
      const x = tf.randomUniform(c.x, -1, 1, 'float32', 5) as tf.Tensor4D;
      const pooled = tf.avgPool(x, c.f, c.s, c.pad) as tf.Tensor4D;
      const r = tf.randomUniform(pooled.shape, -1, 1, 'float32', 6) as tf.Tensor4D;
      pooled.dispose();
      const before = tf.memory().numTensors;
      const dataBefore = tf.backend().numDataIds();
      const grad = withGradientRules({}, () => tf.tidy(() => tf.grad((xi) => tf.sum(objective(c, r)(xi as tf.Tensor4D)))(x)));
      const ours = grad.dataSync() as Float32Array;
      grad.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(dataBefore);

      const fd = finiteDifferences(c, x, r);
      expect(maxAbsDiff(ours, fd)).toBeLessThanOrEqual(1e-4 * maxAbs(fd));

      // tfjs's own rule is wrong exactly where `same` padding makes partial windows.
      const own = tf.tidy(() => tf.grad((xi) => tf.sum(objective(c, r)(xi as tf.Tensor4D)))(x).dataSync() as Float32Array);
      const padTotal = (d: number) => Math.max((Math.ceil(d / c.s) - 1) * c.s + c.f - d, 0);
      const partial = c.pad === 'same' && padTotal(c.x[1]) + padTotal(c.x[2]) > 0;
      if (c.pad === 'valid') expect(maxAbsDiff(own, fd)).toBeLessThanOrEqual(1e-4 * maxAbs(fd));
      else if (partial) expect(maxAbsDiff(own, fd)).toBeGreaterThan(1e-2 * maxAbs(fd));
      tf.dispose([x, r]);
    },
  );
});
