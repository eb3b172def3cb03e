/**
 * The scoped fast kernels (src/models/fast-kernels.ts) against tfjs's own kernels on the cpu backend,
 * called directly on both backends across shapes, paddings, strides, channels and batch sizes; leak
 * checks on tensors and on the backend's data; and the swap itself through withGradientRules.
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { withGradientRules } from '../../src/models/gradient-rules';
import { conv2dBackpropInputViaConv2D, fastKernels, maxPoolGradFirstMax, sweepFilterCache } from '../../src/models/fast-kernels';
import { cpuReference, expectClose, runHere, size, values } from './kernel-test-util';

type Info = tf.TensorInfo;
type Shape4 = [number, number, number, number];

function outSize(inSize: number, k: number, s: number, pad: 'same' | 'valid'): number {
  return pad === 'same' ? Math.ceil(inSize / s) : Math.floor((inSize - k) / s) + 1;
}

interface ConvCase { x: Shape4; k: [number, number]; cout: number; strides: [number, number]; pad: 'same' | 'valid' }

const convCases: ConvCase[] = [];
for (const pad of ['same', 'valid'] as const) {
  for (const strides of [[1, 1], [2, 2], [2, 1]] as [number, number][]) {
    convCases.push({ x: [1, 7, 9, 3], k: [3, 3], cout: 8, strides, pad });
    convCases.push({ x: [3, 8, 6, 1], k: [3, 2], cout: 3, strides, pad });
    convCases.push({ x: [1, 5, 5, 8], k: [1, 1], cout: 1, strides, pad });
    convCases.push({ x: [3, 10, 11, 8], k: [5, 5], cout: 8, strides, pad });
    convCases.push({ x: [1, 6, 6, 3], k: [2, 2], cout: 8, strides, pad });
  }
}

interface PoolCase { x: Shape4; f: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' }

const poolCases: PoolCase[] = [];
for (const pad of ['same', 'valid'] as const) {
  for (const x of [[1, 8, 8, 3], [3, 7, 9, 8], [1, 5, 6, 1]] as Shape4[]) {
    poolCases.push({ x, f: 2, s: 2, pad }, { x, f: 3, s: 2, pad }, { x, f: 2, s: 1, pad }, { x, f: 3, s: 1, pad }, { x, f: [3, 2], s: [2, 1], pad });
  }
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

function poolInputs(c: PoolCase, levels: number, seed: number) {
  const [fh, fw] = pair(c.f);
  const [sh, sw] = pair(c.s);
  const dyShape = [c.x[0], outSize(c.x[1], fh, sh, c.pad), outSize(c.x[2], fw, sw, c.pad), c.x[3]];
  const x = { shape: c.x as number[], values: values(size(c.x), seed, levels) };
  const attrs = { filterSize: c.f, strides: c.s, pad: c.pad, dimRoundingMode: undefined };
  const output = { shape: dyShape, values: cpuReference('MaxPool', { x }, attrs) };
  const dy = { shape: dyShape, values: values(size(dyShape), seed + 1) };
  return { inputs: { dy, input: x, output }, attrs };
}

describe.each(['cpu', 'wasm'] as const)('fast kernels on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  const routes = ['auto', 'conv', 'matmul'] as const;
  test.each(convCases.flatMap((c) => routes.map((route) => [`x [${c.x}] k ${c.k} → ${c.cout} strides ${c.strides} ${c.pad}, route ${route}`, c, route] as const)))(
    'Conv2DBackpropInput equals the cpu kernel: %s', (_name, c, route) => {
      const [kh, kw] = c.k;
      const dyShape = [c.x[0], outSize(c.x[1], kh, c.strides[0], c.pad), outSize(c.x[2], kw, c.strides[1], c.pad), c.cout];
      const inputs = {
        dy: { shape: dyShape, values: values(size(dyShape), 11) },
        filter: { shape: [kh, kw, c.x[3], c.cout], values: values(kh * kw * c.x[3] * c.cout, 12) },
      };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x };
      const got = runHere(conv2dBackpropInputViaConv2D(backend, route, false) as never, inputs, attrs);
      expect(got.shape).toEqual(c.x);
      expectClose(got.values, cpuReference('Conv2DBackpropInput', inputs, attrs));
    },
  );

  test.each([
    ['pad 1, stride 1', 1, [1, 1], 'floor'],
    ['pad 2, stride 2', 2, [2, 2], 'floor'],
    ['pad 1, stride 2, rounding ceil', 1, [2, 2], 'ceil'],
    ['explicit pads, stride 2', [[0, 0], [2, 0], [1, 2], [0, 0]], [2, 2], undefined],
  ] as const)('Conv2DBackpropInput with numeric or explicit padding equals the cpu kernel: %s', (_name, pad, strides, rounding) => {
    const inputShape: Shape4 = [2, 9, 8, 3];
    const info = tf.backend_util.computeConv2DInfo(inputShape, [3, 3, 3, 5], strides as [number, number], 1, pad as never, rounding);
    const inputs = {
      dy: { shape: info.outShape, values: values(size(info.outShape), 51) },
      filter: { shape: [3, 3, 3, 5], values: values(3 * 3 * 3 * 5, 52) },
    };
    const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: rounding, inputShape };
    for (const route of routes) {
      const got = runHere(conv2dBackpropInputViaConv2D(backend, route, false) as never, inputs, attrs);
      expect(got.shape).toEqual(inputShape);
      expectClose(got.values, cpuReference('Conv2DBackpropInput', inputs, attrs));
    }
  });

  test('Conv2DBackpropInput with NCHW data equals the cpu kernel', () => {
    const inputShape: Shape4 = [2, 3, 7, 6];
    const dyShape = [2, 4, 4, 3];
    const inputs = {
      dy: { shape: dyShape, values: values(size(dyShape), 21) },
      filter: { shape: [3, 3, 3, 4], values: values(3 * 3 * 3 * 4, 22) },
    };
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', dimRoundingMode: undefined, inputShape };
    for (const route of routes) {
      const got = runHere(conv2dBackpropInputViaConv2D(backend, route, false) as never, inputs, attrs);
      expect(got.shape).toEqual(inputShape);
      expectClose(got.values, cpuReference('Conv2DBackpropInput', inputs, attrs));
    }
  });

  test('Conv2DBackpropInput keeps one transformed copy per live filter, frees it once the filter is gone, and follows new weights', () => {
    sweepFilterCache(true);
    const be = tf.backend();
    const dataBefore = be.numDataIds();
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [1, 6, 6, 3] } as never;
    const kernel = conv2dBackpropInputViaConv2D(backend, 'auto');
    const dy = tf.tensor4d(values(3 * 3 * 8, 61), [1, 3, 3, 8]);
    const filter = tf.tidy(() => tf.variable(tf.tensor4d(values(3 * 3 * 3 * 8, 62), [3, 3, 3, 8])));
    const call = () => {
      const out = kernel({ inputs: { dy, filter }, backend: be, attrs } as never) as tf.TensorInfo;
      const got = Float32Array.from(be.readSync(out.dataId) as Float32Array);
      be.disposeData(out.dataId);
      return got;
    };
    const reference = () => cpuReference('Conv2DBackpropInput', {
      dy: { shape: dy.shape, values: dy.dataSync() as Float32Array }, filter: { shape: filter.shape, values: filter.dataSync() as Float32Array },
    }, attrs);
    expectClose(call(), reference());
    expect(be.numDataIds()).toBe(dataBefore + 3); // dy, the filter, and its transformed copy
    expectClose(call(), reference());
    expect(be.numDataIds()).toBe(dataBefore + 3); // the copy is reused
    tf.tidy(() => filter.assign(tf.tensor4d(values(3 * 3 * 3 * 8, 63), [3, 3, 3, 8])));
    expectClose(call(), reference()); // new weights are new data: not the old copy
    expect(sweepFilterCache()).toBe(1); // the old weights are gone, and so is their copy
    filter.dispose();
    dy.dispose();
    expect(sweepFilterCache()).toBe(0);
    expect(be.numDataIds()).toBe(dataBefore);
  });

  test.each(poolCases.map((c) => [`x [${c.x}] f ${c.f} s ${c.s} ${c.pad}`, c] as const))(
    'MaxPoolGrad equals the cpu kernel, ties included: %s', (_name, c) => {
      for (const levels of [0, 3]) {
        const { inputs, attrs } = poolInputs(c, levels, 31 + levels);
        const got = runHere(maxPoolGradFirstMax as never, inputs, attrs);
        expect(got.shape).toEqual(c.x);
        expectClose(got.values, cpuReference('MaxPoolGrad', inputs, attrs));
      }
    },
  );

  test.each([
    ['a window of −∞ passes nothing', [-Infinity, -Infinity, -Infinity, -Infinity], [0, 0, 0, 0]],
    ['NaN is never the maximum', [NaN, 1, 2, NaN], [0, 0, 5, 0]],
  ])('MaxPoolGrad as the cpu kernel: %s', (_name, window, expected) => {
    for (const [shape, attrs] of [
      [[1, 2, 2, 1], { filterSize: 2, strides: 2, pad: 'valid' }], // the unrolled 2×2 path
      [[1, 2, 2, 1], { filterSize: 2, strides: 1, pad: 'valid' }], // the general path
    ] as const) {
      const x = { shape: [...shape], values: new Float32Array(window) };
      const inputs = { dy: { shape: [1, 1, 1, 1], values: new Float32Array([5]) }, input: x, output: { shape: [1, 1, 1, 1], values: new Float32Array([Math.max(...window)]) } };
      expect(Array.from(runHere(maxPoolGradFirstMax as never, inputs, attrs).values)).toEqual(expected);
      expect(Array.from(cpuReference('MaxPoolGrad', inputs, attrs))).toEqual(expected);
    }
  });

  test('the kernels are swapped in only inside withGradientRules, and gradients through them are right', () => {
    const original = tf.getKernel('MaxPoolGrad', backend)!.kernelFunc;
    const mine = fastKernels.filter((k) => k.backendName === backend);
    expect(mine.length).toBeGreaterThan(0);
    withGradientRules({}, () => {
      for (const k of mine) expect(tf.getKernel(k.kernelName, backend)!.kernelFunc).toBe(k.kernelFunc);
    });
    expect(tf.getKernel('MaxPoolGrad', backend)!.kernelFunc).toBe(original);

    // d/dx Σ r·maxPool(relu(conv(x, w)), 2×2/2) through tf.grad: with our kernels vs without (random
    // values, so no ties and both tie rules agree).
    const x = tf.tensor4d(values(2 * 9 * 10 * 3, 41), [2, 9, 10, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 8, 42), [3, 3, 3, 8]);
    const w2 = tf.tensor4d(values(3 * 3 * 8 * 4, 43), [3, 3, 8, 4]);
    const f = (xi: tf.Tensor) => {
      const h = tf.maxPool(tf.relu(tf.conv2d(xi as tf.Tensor4D, w, 1, 'same')), 2, 2, 'valid');
      const y = tf.maxPool(tf.conv2d(h, w2, 2, 'same'), 3, 1, 'same');
      return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    };
    const before = tf.memory().numTensors;
    const dataBefore = tf.backend().numDataIds();
    const fast = withGradientRules({}, () => tf.tidy(() => tf.grad(f)(x)));
    const plain = tf.tidy(() => tf.grad(f)(x));
    expectClose(fast.dataSync() as Float32Array, plain.dataSync() as Float32Array);
    tf.dispose([fast, plain]);
    expect(tf.memory().numTensors).toBe(before);
    // What stays on the backend is one transformed copy per filter while the filter lives (wasm's
    // Conv2DBackpropInput keeps them; cpu's kernel is tfjs's own).
    const copies = backend === 'wasm' ? 2 : 0;
    expect(tf.backend().numDataIds()).toBe(dataBefore + copies);
    tf.dispose([x, w, w2]);
    expect(sweepFilterCache()).toBe(0);
    expect(tf.backend().numDataIds()).toBe(dataBefore - 3);
  });

  if (backend === 'wasm') {
    test('Identity and same-dtype Cast share data inside withGradientRules, with correct reference counts', () => {
      const be = tf.backend();
      const before = tf.memory().numTensors;
      const dataBefore = be.numDataIds();
      const t = tf.tensor2d([[1.5, -2], [0, 7]]);
      const [cloned, cast] = withGradientRules({}, () => [tf.clone(t), tf.cast(t, 'float32')]);
      expect(cloned.dataId).toBe(t.dataId);
      expect(cast.dataId).toBe(t.dataId);
      expect(be.numDataIds()).toBe(dataBefore + 1);
      t.dispose();
      expect(Array.from(cloned.dataSync())).toEqual([1.5, -2, 0, 7]);
      cloned.dispose();
      expect(Array.from(cast.dataSync())).toEqual([1.5, -2, 0, 7]);
      cast.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(be.numDataIds()).toBe(dataBefore);
    });

    test.each([
      ['float32', 'int32', [1.7, -2.5, 0, 300.2, -0.2]],
      ['int32', 'float32', [3, -4, 0, 100000]],
      ['float32', 'bool', [0, 1, 2, -1, 0.5]],
      ['bool', 'float32', [1, 0, 1]],
    ] as const)('Cast %s → %s equals the wasm kernel', (from, to, vals) => {
      const own = tf.getKernel('Cast', 'wasm')!.kernelFunc;
      const x = tf.tensor1d(vals as unknown as number[], from);
      const be = tf.backend();
      const expected = own({ inputs: { x }, backend: be, attrs: { dtype: to } }) as Info;
      const expectedValues = Array.from(be.readSync(expected.dataId) as Float32Array);
      be.disposeData(expected.dataId);
      const got = withGradientRules({}, () => tf.cast(x, to));
      expect(got.dtype).toBe(to);
      expect(Array.from(got.dataSync())).toEqual(expectedValues);
      tf.dispose([got, x]);
    });

    test("tfjs-backend-wasm's own MaxPoolGrad sends ties elsewhere (the tie cases above test something)", () => {
      const { inputs, attrs } = poolInputs({ x: [1, 8, 8, 3], f: 2, s: 2, pad: 'valid' }, 3, 34);
      const own = runHere(tf.getKernel('MaxPoolGrad', 'wasm')!.kernelFunc as never, inputs, attrs);
      const reference = cpuReference('MaxPoolGrad', inputs, attrs);
      let differ = 0;
      for (let i = 0; i < reference.length; i++) if (own.values[i] !== reference[i]) differ++;
      expect(differ).toBeGreaterThan(0);
    });
  }
});
