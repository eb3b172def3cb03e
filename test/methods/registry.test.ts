import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { METHODS, METHOD_NAMES, getMethod, runMethod } from '../../src/methods/registry';
import { OptionError } from '../../src/errors';
import { randomCnn, randomInput } from '../reference/models';

describe('method registry', () => {
  beforeAll(() => setBackend('wasm'));

  test('every method runs by name with its small options and returns the shape it declares, leaking nothing', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 4);
    const small: Record<string, Record<string, unknown>> = {
      smoothGrad: { samples: 2, seed: 1 }, integratedGradients: { steps: 4 }, occlusion: { window: 3, stride: 2 }, scoreCam: { batchSize: 4 },
      layerConductance: { steps: 4 }, internalInfluence: { steps: 4 }, layerIntegratedGradients: { steps: 4 },
      shapleyValueSampling: { samples: 2 }, rise: { samples: 64 },
      gradientShap: { samples: 2, seed: 1 }, expectedGradients: { samples: 2, seed: 1 }, guidedIg: { steps: 4 }, blurIg: { steps: 4, maxSigma: 2 }, xrai: { steps: 2 },
    };
    for (const name of METHOD_NAMES) {
      const info = getMethod(name);
      for (const o of info.options) expect(o.description.length).toBeGreaterThan(5);
      const before = tf.memory().numTensors;
      const out = await runMethod(name, model, x, small[name] ?? {});
      // The default layer of a layer attribution is the CAM layer, c3 ([3,3,6] per item).
      expect(out.shape).toEqual(info.output === 'input' ? x.shape : info.output === 'layer' ? [2, 3, 3, 6] : [2, 11, 11]);
      expect(out.dtype).toBe('float32');
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(Object.keys(METHODS)).toEqual([...METHOD_NAMES]);
    x.dispose();
    model.dispose();
  });

  test('every method gives the same result with {} and with its declared defaults (one source for each default)', async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 4);
    // SmoothGrad's default seed is random: both runs get the same one.
    const fixed: Record<string, Record<string, unknown>> = {
      smoothGrad: { seed: 3 }, gradientShap: { seed: 3 }, expectedGradients: { seed: 3 },
      shapleyValueSampling: { seed: 3 }, lime: { seed: 3 }, kernelShap: { seed: 3 }, rise: { seed: 3, samples: 64 },
    };
    for (const name of METHOD_NAMES) {
      const info = getMethod(name);
      const declared = Object.fromEntries(info.options.map((o) => [o.name, o.default]));
      const a = await runMethod(name, model, x, { ...fixed[name] });
      const b = await runMethod(name, model, x, { ...declared, ...fixed[name] });
      expect([name, Array.from(await b.data())]).toEqual([name, Array.from(await a.data())]);
      tf.dispose([a, b]);
    }
    // The drift the registry had: cam's relu (false, as cam() does), SmoothGrad's noise (no maximum), IG's blurSigma.
    const option = (m: string, o: string) => getMethod(m).options.find((e) => e.name === o);
    expect(option('cam', 'relu')?.default).toBe(false);
    expect(option('gradCam', 'relu')?.default).toBe(true);
    expect(option('smoothGrad', 'noise')?.max).toBeUndefined();
    expect(option('integratedGradients', 'blurSigma')?.default).toBe(5);
    x.dispose();
    model.dispose();
  });

  test("capabilities: SmoothGrad wraps any entry, as Captum's NoiseTunnel; with zero noise it is the method itself", async () => {
    const model = randomCnn('fusedGapSoftmax', 2);
    const x = randomInput(model, 2, 4);
    const small: Record<string, Record<string, unknown>> = {
      integratedGradients: { steps: 4 }, occlusion: { window: 3, stride: 2 }, layerConductance: { steps: 4 }, internalInfluence: { steps: 4 }, layerIntegratedGradients: { steps: 4 },
      shapleyValueSampling: { seed: 3, samples: 2 }, lime: { seed: 3 }, kernelShap: { seed: 3 }, rise: { seed: 3, samples: 64 },
      gradientShap: { samples: 2, seed: 1 }, expectedGradients: { samples: 2, seed: 1 },
      guidedIg: { steps: 4 }, blurIg: { steps: 4, maxSigma: 2 }, xrai: { steps: 2 },
    };
    const wrappable = METHOD_NAMES.filter((n) => n !== 'smoothGrad');
    expect(getMethod('smoothGrad').options.find((o) => o.name === 'method')?.choices).toEqual(wrappable);
    expect(wrappable.filter((n) => getMethod(n).reluRule !== null)).toEqual(['vanillaGradient', 'gradientTimesInput', 'guidedBackprop', 'deconvnet']);
    expect(wrappable.filter((n) => getMethod(n).multipliesByInput)).toEqual(['gradientTimesInput', 'integratedGradients', 'deepLift', 'deepLiftShap', 'gradientShap', 'expectedGradients', 'guidedIg', 'lrp', 'layerIntegratedGradients']);
    expect(wrappable.filter((n) => getMethod(n).convergenceDelta)).toEqual(['integratedGradients', 'deepLift', 'lrp']);
    expect(METHOD_NAMES.filter((n) => getMethod(n).long)).toEqual(['smoothGrad', 'integratedGradients', 'deepLiftShap', 'gradientShap', 'expectedGradients', 'guidedIg', 'blurIg', 'xrai', 'layerConductance', 'internalInfluence', 'layerIntegratedGradients', 'scoreCam', 'ablationCam', 'occlusion', 'featureAblation', 'shapleyValueSampling', 'lime', 'kernelShap', 'rise']);
    for (const name of wrappable) {
      const before = tf.memory().numTensors;
      const direct = await runMethod(name, model, x, small[name] ?? {});
      const smoothed = await runMethod('smoothGrad', model, x, { method: name, methodOptions: small[name], noise: 0, samples: 2, seed: 1 });
      expect(smoothed.shape).toEqual(direct.shape);
      const [d, s] = [await direct.data(), await smoothed.data()];
      const scale = Math.max(1e-6, ...Array.from(d, Math.abs));
      const err = Math.max(...Array.from(d, (v, i) => Math.abs(v - s[i]))) / scale;
      expect({ name, close: err < 1e-5 }).toEqual({ name, close: true });
      tf.dispose([direct, smoothed]);
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
    model.dispose();
  });

  test('an unknown name lists the methods', () => {
    expect(() => getMethod('gradcam')).toThrow(OptionError);
    expect(() => getMethod('gradcam')).toThrow(/getMethod: unknown method "gradcam"; methods: vanillaGradient, saliencyMap, .*occlusion/);
  });
});
