import * as tf from '@tensorflow/tfjs';
import { preprocess, deprocess, PREPROCESS_PRESETS } from '../../src/viz';
import { InputError, OptionError } from '../../src/errors';
import { useCpu, expectNoLeak } from './helpers';

beforeAll(useCpu);

describe('preprocess presets', () => {
  const rgb = () => tf.tensor3d([[[0, 0.5, 1], [1, 0.25, 0]]]); // [1, 2, 3]

  test('known values of each preset', async () => {
    const x = rgb();
    const values = async (t: tf.Tensor) => { const v = Array.from(await t.data()); t.dispose(); return v; };
    expect(await values(preprocess(x, 'unit'))).toEqual([0, 0.5, 1, 1, 0.25, 0]);
    expect(await values(preprocess(x, 'symmetric'))).toEqual([-1, 0, 1, 1, -0.5, -1]);
    const caffe = await values(preprocess(x, 'caffe'));
    // BGR, ×255, minus [103.939, 116.779, 123.68].
    [255 - 103.939, 127.5 - 116.779, 0 - 123.68, 0 - 103.939, 63.75 - 116.779, 255 - 123.68].forEach((v, i) => expect(caffe[i]).toBeCloseTo(v, 3));
    const torch = await values(preprocess(x, 'torch'));
    [(0 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (1 - 0.406) / 0.225].forEach((v, i) => expect(torch[i]).toBeCloseTo(v, 5));
    x.dispose();
  });

  test.each(PREPROCESS_PRESETS)('%s: deprocess inverts preprocess, batched too, without leaks', async (preset) => {
    const x = tf.randomUniform([2, 3, 4, 3], 0, 1, 'float32', 5);
    await expectNoLeak(async () => {
      const back = tf.tidy(() => deprocess(preprocess(x, preset), preset));
      const [a, b] = [await x.data(), await back.data()];
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
      back.dispose();
    });
    x.dispose();
  });

  test('errors: channels, preset name', () => {
    const x = tf.zeros([2, 2, 4]);
    expect(() => preprocess(x, 'unit')).toThrow(new InputError('preprocess', 'image must have 3 channels last ([H,W,3] or [N,H,W,3]), but got shape [2, 2, 4]'));
    const y = tf.zeros([2, 2, 3]);
    expect(() => deprocess(y, 'vgg' as never)).toThrow(new OptionError('deprocess', 'invalid preset "vgg"; choices: unit, symmetric, caffe, torch'));
    tf.dispose([x, y]);
  });
});
