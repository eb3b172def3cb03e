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
    };
    for (const name of METHOD_NAMES) {
      const info = getMethod(name);
      for (const o of info.options) expect(o.description.length).toBeGreaterThan(5);
      const before = tf.memory().numTensors;
      const out = await runMethod(name, model, x, small[name] ?? {});
      expect(out.shape).toEqual(info.output === 'input' ? x.shape : [2, 11, 11]);
      expect(out.dtype).toBe('float32');
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(Object.keys(METHODS)).toEqual([...METHOD_NAMES]);
    x.dispose();
    model.dispose();
  });

  test('an unknown name lists the methods', () => {
    expect(() => getMethod('gradcam')).toThrow(OptionError);
    expect(() => getMethod('gradcam')).toThrow(/getMethod: unknown method "gradcam"; methods: vanillaGradient, saliencyMap, .*occlusion/);
  });
});
