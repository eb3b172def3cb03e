import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { CancelledError, OptionError, TargetError, UnknownLayerError } from '../../src/errors';
import { activationMaximization, filterGallery } from '../../src/methods/activation-maximization';
import { StepEvent } from '../../src/methods/optimize/loop';
import { loadModel } from '../../src/models/load';
import { registerWasmTrainingKernels } from '../../src/models/train-kernels';
import { setAmbientSignal } from '../../src/signal';
import { randomConvNet, testPicture, toGraphModel, trainedColorClassifier } from './helpers';

/** A classifier trained here in seconds (3 colors, 32×32): fast enough for the cpu backend too. */
let classifier: tf.LayersModel;
/** The shipped shapes classifier (6 shapes, 64×64): the checks run on it (wasm). */
let shapesModel: tf.LayersModel;
let wasmObjectives: number[] = [];

beforeAll(async () => {
  await setBackend('wasm');
  registerWasmTrainingKernels();
  classifier = await trainedColorClassifier(32);
  shapesModel = (await loadModel('shapes')) as tf.LayersModel;
});

/** Mean activation of one channel of a layer, per batch item. */
async function channelMeans(model: tf.LayersModel, layer: string, x: tf.Tensor4D, channel: number): Promise<number[]> {
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
  const m = tf.tidy(() => tf.mean(tf.slice(sub.predict(x) as tf.Tensor4D, [0, 0, 0, channel], [-1, -1, -1, 1]), [1, 2, 3]));
  const v = Array.from(await m.data());
  m.dispose();
  return v;
}

async function minMax(x: tf.Tensor): Promise<[number, number]> {
  const [lo, hi] = [x.min(), x.max()];
  const r: [number, number] = [(await lo.data())[0], (await hi.data())[0]];
  tf.dispose([lo, hi]);
  return r;
}

describe.each(['wasm', 'cpu'] as const)('activation maximization on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('maximizing a class raises its probability from the starting noise to ≥ 0.9, inside [0, 1]', async () => {
    // wasm: every class of the shipped shapes classifier; cpu: one class of the small color classifier.
    const model = backend === 'wasm' ? shapesModel : classifier;
    const size = model.inputs[0].shape[1] as number;
    let start: tf.Tensor4D | null = null;
    const first = await activationMaximization(model, { classIndex: 0, steps: 1, imageEvery: 1, onStep: (e) => { start = e.image!.clone(); } });
    const p0 = model.predict(start!) as tf.Tensor;
    const startProbs = Array.from(await p0.data());
    tf.dispose([first, start!, p0]);
    // The classes the start does not already favour (a near-gray start may look like one of them).
    const classes = startProbs.map((_, c) => c).filter((c) => startProbs[c] < 0.5).slice(0, backend === 'wasm' ? 6 : 1);
    expect(classes.length).toBeGreaterThanOrEqual(backend === 'wasm' ? 5 : 1);
    for (const cls of classes) {
      const out = await activationMaximization(model, { classIndex: cls, steps: 50 });
      expect(out.shape).toEqual([1, size, size, 3]);
      const p1 = model.predict(out) as tf.Tensor;
      expect((await p1.data())[cls]).toBeGreaterThanOrEqual(0.9);
      const [lo, hi] = await minMax(out);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      tf.dispose([out, p1]);
    }
  });

  if (backend === 'wasm') {
    test('the Fourier parameterization with the symmetric preset: probability ≥ 0.9, inside [-1, 1]', async () => {
      // The classifier was trained on [0, 1] inputs; wrap it so that it takes symmetric [-1, 1] ones.
      const symmetric = tf.sequential({ layers: [tf.layers.rescaling({ scale: 0.5, offset: 0.5, inputShape: [32, 32, 3] }), classifier] });
      const out = await activationMaximization(symmetric, { classIndex: 2, steps: 60, parameterization: 'fourier', preprocess: 'symmetric' });
      const p = symmetric.predict(out) as tf.Tensor;
      expect((await p.data())[2]).toBeGreaterThanOrEqual(0.9);
      const [lo, hi] = await minMax(out);
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo).toBeGreaterThan(0.5);
      tf.dispose([out, p]);
    });

    test('maximizing a channel of the last convolution raises its mean activation at least tenfold (shapes)', async () => {
      const events: StepEvent[] = [];
      const out = await activationMaximization(shapesModel, { layer: 'block3_conv2', channel: 0, steps: 100, onStep: (e) => void events.push(e) });
      const [after] = await channelMeans(shapesModel, 'block3_conv2', out, 0);
      expect(events).toHaveLength(100);
      expect(events[0].objective).toBeGreaterThan(0);
      expect(after).toBeGreaterThanOrEqual(10 * events[0].objective);
      const [lo, hi] = await minMax(out);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      out.dispose();
    });

    test('a unit of a convolutional layer is its channel at the center', async () => {
      const out = await activationMaximization(classifier, { layer: 'conv2', unit: 3, steps: 40 });
      const sub = tf.model({ inputs: classifier.inputs, outputs: classifier.getLayer('conv2').output as tf.SymbolicTensor });
      const a = sub.predict(out) as tf.Tensor4D;
      const gray = tf.fill([1, 32, 32, 3], 0.5);
      const a0 = sub.predict(gray) as tf.Tensor4D;
      const [center, center0] = [(await a.data())[(8 * 16 + 8) * 16 + 3], (await a0.data())[(8 * 16 + 8) * 16 + 3]];
      expect(center).toBeGreaterThan(3 * center0);
      tf.dispose([out, a, gray, a0]);
    });
  }

  if (backend === 'wasm') {
    test('filterGallery: one image per channel, optimized as one batch; most channels rise tenfold (shapes)', async () => {
      const channels = [0, 1, 2, 3, 4, 5, 6, 7];
      const events: StepEvent[] = [];
      const out = await filterGallery(shapesModel, 'block3_conv2', { channels, steps: 100, onStep: (e) => void events.push(e) });
      expect(out.shape).toEqual([8, 64, 64, 3]);
      const start = tf.fill([1, 64, 64, 3], 0.5) as tf.Tensor4D;
      const ratios: number[] = [];
      let specific = 0;
      for (const c of channels) {
        const [a0] = await channelMeans(shapesModel, 'block3_conv2', start, c);
        const a = await channelMeans(shapesModel, 'block3_conv2', out, c);
        if (a0 > 1e-3) ratios.push(a[c] / a0);
        // Item c is the image for channel c: it drives channel c harder than the other items do on average.
        const others = a.filter((_, i) => i !== c);
        if (a[c] > others.reduce((s, v) => s + v, 0) / others.length) specific++;
      }
      ratios.sort((x, y) => x - y);
      expect(ratios.length).toBeGreaterThanOrEqual(6);
      expect(ratios[Math.floor(ratios.length / 2)]).toBeGreaterThanOrEqual(10);
      expect(ratios[0]).toBeGreaterThan(3);
      expect(specific).toBeGreaterThanOrEqual(6);
      expect(events[events.length - 1].objective).toBeGreaterThan(5 * events[0].objective);
      tf.dispose([out, start]);
    });
  }

  test('every backend follows the same course (Fourier, all transforms, blur, penalties)', async () => {
    // Not bit-equal (float sums in another order; backends break max-pool ties differently), but every
    // transform reads only inside its input (the zoom and rotation reflect borders with mirrorPad, not with
    // tf.image.transform's fill, which differs between wasm and cpu): measured agreement ~1e-6 over 20 steps.
    const objectives: number[] = [];
    const opts = { layer: 'conv2', channel: 3, steps: 20, parameterization: 'fourier' as const, rotate: 10, scale: [0.9, 1.1] as [number, number], tv: 0.1, l2: 0.1, blurEvery: 3, seed: 2 };
    (await activationMaximization(classifier, { ...opts, onStep: (e) => void objectives.push(e.objective) })).dispose();
    if (backend === 'wasm') wasmObjectives = objectives;
    else {
      expect(wasmObjectives).toHaveLength(20);
      objectives.forEach((v, i) => expect(Math.abs(v - wasmObjectives[i])).toBeLessThan(1e-3 * Math.abs(wasmObjectives[i]) + 1e-4));
    }
  });

  test('same seed, same image (LayersModel and the same network as a GraphModel); another seed differs', async () => {
    const model = randomConvNet(3, 16);
    const graph = await toGraphModel(model);
    const opts = { layer: 'conv2', channel: 5, steps: 15, seed: 4, parameterization: 'fourier' as const };
    const a = await activationMaximization(model, opts);
    const b = await activationMaximization(model, opts);
    const g = await activationMaximization(graph, { ...opts, layer: 'conv2' });
    const c = await activationMaximization(model, { ...opts, seed: 5 });
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    const dg = tf.tidy(() => tf.max(tf.abs(tf.sub(a, g))));
    const dc = tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))));
    expect((await dg.data())[0]).toBeLessThan(1e-4);
    expect((await dc.data())[0]).toBeGreaterThan(1e-2);
    const gc = await activationMaximization(graph, { classIndex: 1, steps: 10, seed: 1 });
    const lc = await activationMaximization(model, { classIndex: 1, steps: 10, seed: 1 });
    const dl = tf.tidy(() => tf.max(tf.abs(tf.sub(gc, lc))));
    expect((await dl.data())[0]).toBeLessThan(1e-4);
    tf.dispose([a, b, g, c, dg, dc, gc, lc, dl]);
    model.dispose();
  });

  test('a unit of a dense layer, and a plain score function with an explicit size', async () => {
    const model = randomConvNet(8, 16);
    const objectives: number[] = [];
    // The dense layer's output is after its softmax: the unit is the probability of class 2.
    const out = await activationMaximization(model, { layer: 'probs', unit: 2, steps: 30, rotate: 0, scale: [1, 1], jitter: 0, onStep: (e) => void objectives.push(e.objective) });
    const p = model.predict(out) as tf.Tensor;
    const probs = Array.from(await p.data());
    expect(objectives[objectives.length - 1]).toBeGreaterThan(objectives[0] + 0.02);
    expect(probs[2]).toBeGreaterThan(objectives[0] + 0.02);
    const fn = (x: tf.Tensor4D) => tf.stack([tf.mean(x, [1, 2, 3]), tf.neg(tf.mean(x, [1, 2, 3]))], 1);
    await expect(activationMaximization(fn, { classIndex: 1, steps: 2 })).rejects.toThrow(/pass size: \[height, width\]/);
    const dark = await activationMaximization(fn, { classIndex: 1, steps: 40, size: [8, 8], stepSize: 0.1 });
    expect(dark.shape).toEqual([1, 8, 8, 3]);
    expect((await dark.mean().data())[0]).toBeLessThan(0.2);
    tf.dispose([out, p, dark]);
    model.dispose();
  });

  test('init: the optimization starts from the given image (pixel and Fourier, caffe preset)', async () => {
    const model = randomConvNet(8, 16);
    const caffe = tf.sequential({ layers: [tf.layers.rescaling({ scale: 1 / 255, inputShape: [16, 16, 3] }), model] });
    const picture = testPicture(16);
    const init = tf.tidy(() => tf.sub(tf.mul(tf.reverse(picture, -1), 255), tf.tensor1d([103.939, 116.779, 123.68]))) as tf.Tensor4D;
    for (const parameterization of ['pixel', 'fourier'] as const) {
      const out = await activationMaximization(caffe, { layer: 'conv2', channel: 0, steps: 1, stepSize: 1e-4, init, parameterization, preprocess: 'caffe', jitter: 0, rotate: 0, scale: [1, 1] });
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(out, init))));
      expect((await d.data())[0]).toBeLessThan(0.5); // in 0..255 units
      tf.dispose([out, d]);
    }
    tf.dispose([picture, init]);
    model.dispose();
  });

  test('bad input gets typed errors that name the method and the bad value', async () => {
    const model = randomConvNet(1, 16);
    const am = (o: object) => activationMaximization(model, o as Parameters<typeof activationMaximization>[1]);
    await expect(am({ layer: 'conv9', channel: 0 })).rejects.toThrow(UnknownLayerError);
    await expect(am({ layer: 'conv9', channel: 0 })).rejects.toThrow(/activationMaximization: unknown layer "conv9"; layers: conv1, pool1, conv2/);
    await expect(am({ layer: 'conv1', channel: 8 })).rejects.toThrow(OptionError);
    await expect(am({ layer: 'conv1', channel: 8 })).rejects.toThrow(/channel 8 is out of range: layer "conv1" has 8 channels \(valid: 0 to 7\)/);
    await expect(am({ layer: 'conv1', channel: -1 })).rejects.toThrow(OptionError);
    await expect(am({ layer: 'conv1', channel: 0, stepSize: 0 })).rejects.toThrow(/stepSize must be a finite number > 0, got 0/);
    await expect(am({ layer: 'conv1', channel: 0, stepSize: -0.1 })).rejects.toThrow(OptionError);
    await expect(am({ layer: 'conv1' })).rejects.toThrow(/give exactly one of channel, unit, classIndex/);
    await expect(am({ layer: 'conv1', channel: 0, unit: 1 })).rejects.toThrow(OptionError);
    await expect(am({ classIndex: 4 })).rejects.toThrow(TargetError);
    await expect(am({ classIndex: 0, layer: 'conv1' })).rejects.toThrow(/not used with classIndex/);
    await expect(am({ layer: 'conv1', channel: 0, preprocess: 'vgg' })).rejects.toThrow(/unknown preprocess "vgg"; choices: unit, symmetric, caffe, torch/);
    await expect(am({ layer: 'conv1', channel: 0, init: tf.zeros([1, 8, 8, 3]) })).rejects.toThrow(/init|input/);
    await expect(filterGallery(model, 'conv1', { channels: [0, 9] })).rejects.toThrow(/channels\[1\] 9 is out of range/);
    await expect(filterGallery(model, 'nope')).rejects.toThrow(UnknownLayerError);
    model.dispose();
  });

  test('cancellation through the signal (given or ambient) stops with AbortError and leaks nothing', async () => {
    const model = randomConvNet(2, 16);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = activationMaximization(model, {
      layer: 'conv2', channel: 1, steps: 100, signal: controller.signal, imageEvery: 2,
      onStep: (e) => {
        if (e.step === 5) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(CancelledError);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const ambient = new AbortController();
    ambient.abort();
    setAmbientSignal(ambient.signal);
    try {
      await expect(filterGallery(model, 'conv1', { channels: [0], steps: 5 })).rejects.toThrow(CancelledError);
    } finally {
      setAmbientSignal(undefined);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  if (backend === 'wasm') {
    test('no tensor leaks over 300 steps, with every transform, blur, penalties and images', async () => {
      const model = randomConvNet(2, 16);
      // Warm up once (the split model and tfjs create a few tensors on first use).
      (await activationMaximization(model, { layer: 'conv2', channel: 0, steps: 2 })).dispose();
      const init = tf.fill([1, 16, 16, 3], 0.3) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      let images = 0;
      const out = await activationMaximization(model, {
        layer: 'conv2', channel: 0, steps: 300, parameterization: 'fourier', l2: 0.1, tv: 0.1, blurEvery: 4, rotate: 10,
        scale: [0.9, 1.1], jitter: 2, init, imageEvery: 50, onStep: (e) => { if (e.image) images++; },
      });
      expect(images).toBe(6);
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const gallery = await filterGallery(model, 'conv1', { steps: 300, tv: 0.1, blurEvery: 10 });
      gallery.dispose();
      expect(tf.memory().numTensors).toBe(before);
      init.dispose();
      model.dispose();
    });
  }
});
