/**
 * The kernels saliency-lab adds for gradients (src/models/gradient-kernels.ts) against tfjs's own cpu
 * kernels, called directly on both backends (leak-checked), and the swap through withGradientRules:
 * in place inside, tfjs's own (or none) again after, tf.fused.conv2d restored.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { withGradientRules } from '../../src/models/gradient-rules';
import { gateGradient } from '../../src/models/gradients';
import { depthwiseBackpropInputViaForward, gradientKernels, resizeBilinearAdjoint, resizeNearestAdjoint } from '../../src/models/gradient-kernels';
import { cpuReference, expectClose, runHere, size, values } from './kernel-test-util';

type Shape4 = [number, number, number, number];

interface DepthwiseCase { x: Shape4; k: [number, number]; m: number; strides: number; pad: 'same' | 'valid'; dilations?: number }
const depthwiseCases: DepthwiseCase[] = [];
for (const pad of ['same', 'valid'] as const) {
  for (const strides of [1, 2]) {
    depthwiseCases.push({ x: [1, 9, 7, 3], k: [3, 3], m: 1, strides, pad });
    depthwiseCases.push({ x: [2, 8, 8, 2], k: [5, 5], m: 2, strides, pad });
    depthwiseCases.push({ x: [1, 6, 5, 4], k: [3, 1], m: 1, strides, pad });
  }
  depthwiseCases.push({ x: [1, 9, 9, 2], k: [3, 3], m: 1, strides: 1, pad, dilations: 2 });
}

describe.each(['cpu', 'wasm'] as const)('gradient kernels on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test.each(depthwiseCases.map((c) => [JSON.stringify(c), c] as const))('DepthwiseConv2dNativeBackpropInput %s', (_l, c) => {
    const filter: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.m];
    const out = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(filter) as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? 1).shape);
    const inputs = { dy: { shape: out, values: values(size(out), 3) }, filter: { shape: filter, values: values(size(filter), 4) } };
    const attrs = { strides: [c.strides, c.strides], pad: c.pad, dilations: [c.dilations ?? 1, c.dilations ?? 1], inputShape: c.x };
    const got = runHere(depthwiseBackpropInputViaForward(backend) as never, inputs, attrs);
    expect(got.shape).toEqual(c.x);
    // tfjs-backend-cpu's own kernel ignores dilations: for those, the reference is the gradient of the
    // undilated convolution with the zero-dilated filter (the same function).
    if (!c.dilations) {
      expectClose(got.values, cpuReference('DepthwiseConv2dNativeBackpropInput', inputs, attrs));
    } else {
      const d = c.dilations;
      const kh = (c.k[0] - 1) * d + 1;
      const kw = (c.k[1] - 1) * d + 1;
      const big = new Float32Array(kh * kw * c.x[3] * c.m);
      const per = c.x[3] * c.m;
      for (let i = 0; i < c.k[0]; i++) for (let j = 0; j < c.k[1]; j++) big.set(inputs.filter.values.subarray((i * c.k[1] + j) * per, (i * c.k[1] + j + 1) * per), (i * d * kw + j * d) * per);
      expectClose(got.values, cpuReference('DepthwiseConv2dNativeBackpropInput', { dy: inputs.dy, filter: { shape: [kh, kw, c.x[3], c.m], values: big } }, { ...attrs, dilations: [1, 1] }));
    }
  });

  test('UnsortedSegmentSum, out-of-range ids dropped', () => {
    const inputs = { x: { shape: [5, 2, 3], values: values(30, 5) }, segmentIds: { shape: [5], values: Float32Array.from([2, 0, 2, -1, 7]) } };
    const ids = tf.tensor1d([2, 0, 2, -1, 7], 'int32');
    const x = tf.tensor(inputs.x.values, inputs.x.shape);
    const before = tf.memory().numTensors;
    const out = withGradientRules({}, () => tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 4 }) as tf.Tensor);
    expect(out.shape).toEqual([4, 2, 3]);
    const v = out.dataSync();
    const xv = inputs.x.values;
    const expected = new Float32Array(24);
    for (let k = 0; k < 6; k++) {
      expected[k] = xv[6 + k];
      expected[12 + k] = xv[k] + xv[12 + k];
    }
    expectClose(Float32Array.from(v), expected);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ids]);
  });

  test.each([[false, false], [true, false], [false, true]])('Resize adjoints (alignCorners %s, halfPixelCenters %s) against the forward kernels', (alignCorners, halfPixelCenters) => {
    // <resize(x), dy> = <x, resize*(dy)> for every x and dy: the adjoint property, with the backend's own forward.
    for (const [adjoint, forward] of [[resizeBilinearAdjoint, tf.image.resizeBilinear], [resizeNearestAdjoint, tf.image.resizeNearestNeighbor]] as const) {
      const x = tf.tensor(values(2 * 5 * 6 * 3, 6), [2, 5, 6, 3]) as tf.Tensor4D;
      const y = forward(x, [8, 4], alignCorners, halfPixelCenters);
      const dy = values(size(y.shape), 7);
      const got = runHere(adjoint as never, { dy: { shape: y.shape, values: dy }, images: { shape: x.shape, values: x.dataSync() as Float32Array } }, { alignCorners, halfPixelCenters });
      const lhs = tf.sum(tf.mul(y, tf.tensor(dy, y.shape))).dataSync()[0];
      const rhs = tf.sum(tf.mul(x, tf.tensor(got.values, x.shape))).dataSync()[0];
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
      tf.dispose([x, y]);
    }
  });

  test.each(['standard', 'guided', 'deconvnet'] as const)('the one-pass gate kernel equals the composed ops (ReLU, ReLU6, clip; %s rule)', (rule) => {
    const x = tf.tensor(Float32Array.from(values(300, 8), (v) => v * 8), [3, 10, 10]);
    const dy = tf.tensor(values(300, 9), [3, 10, 10]);
    for (const gate of [{ lo: 0, hi: Infinity, loInclusive: false }, { lo: 0, hi: 6, loInclusive: false }, { lo: -2, hi: 3, loInclusive: true }]) {
      if (rule !== 'standard' && gate.loInclusive) continue; // clips are gated with the standard rule only
      const before = tf.memory().numTensors;
      const fast = withGradientRules({}, () => gateGradient(dy, x, gate, rule));
      const composed = tf.tidy(() => {
        const pass = tf.mul(gate.loInclusive ? tf.cast(tf.greaterEqual(x, gate.lo), 'float32') : tf.cast(tf.greater(x, gate.lo), 'float32'), tf.cast(tf.lessEqual(x, gate.hi), 'float32'));
        if (rule === 'deconvnet') return tf.mul(tf.relu(dy), tf.cast(tf.lessEqual(x, gate.hi), 'float32'));
        return tf.mul(rule === 'guided' ? tf.relu(dy) : dy, pass);
      });
      expectClose(fast.dataSync() as Float32Array, composed.dataSync() as Float32Array, 0);
      tf.dispose([fast, composed]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, dy]);
  });

  test('withGradientRules swaps the kernels, gradient rules and tf.fused.conv2d in and restores them', () => {
    const mine = gradientKernels.filter((k) => k.backendName === backend);
    const own = mine.map((k) => tf.getKernel(k.kernelName, backend)?.kernelFunc);
    const fused = tf.fused.conv2d;
    const strided = tf.getGradient('StridedSlice');
    withGradientRules({}, () => {
      for (const k of mine) expect(tf.getKernel(k.kernelName, backend)?.kernelFunc).toBe(k.kernelFunc);
      expect(tf.getGradient('StridedSlice')).toBeDefined();
      expect(tf.fused.conv2d).not.toBe(fused);
    });
    mine.forEach((k, i) => expect(tf.getKernel(k.kernelName, backend)?.kernelFunc).toBe(own[i]));
    expect(tf.fused.conv2d).toBe(fused);
    expect(tf.getGradient('StridedSlice')).toBe(strided);
  });
});
