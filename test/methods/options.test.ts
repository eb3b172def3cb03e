import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { InputError, OptionError, TargetError } from '../../src/errors';
import { integratedGradients } from '../../src/methods/integrated-gradients';
import { occlusion } from '../../src/methods/occlusion';
import {
  checkBaseline, checkBoolean, checkChoice, checkInteger, checkNumber, checkWindow, optionFromJSON, optionSpecs, parseOption, resolveOptions,
} from '../../src/methods/options';
import { getMethod, METHOD_NAMES, methodOptionsFromJSON, parseMethodOptions } from '../../src/methods/registry';
import { vanillaGradient } from '../../src/methods/gradient';
import { randomCnn, randomInput } from '../reference/models';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('one check per option type, one wording', () => {
  test('integers, numbers, booleans, choices, windows', () => {
    expect(message(() => checkInteger('m', 'steps', 0, { min: 1, max: 10 }))).toBe('OptionError: m: steps must be an integer from 1 to 10, got 0');
    expect(message(() => checkInteger('m', 'batchSize', 1.5, { min: 1 }))).toBe('OptionError: m: batchSize must be an integer from 1, got 1.5');
    expect(message(() => checkInteger('m', 'seed', 'x'))).toBe('OptionError: m: seed must be an integer, got "x"');
    expect(checkInteger('m', 'seed', -3)).toBe(-3);
    expect(message(() => checkNumber('m', 'noise', -1, { min: 0 }))).toBe('OptionError: m: noise must be a finite number ≥ 0, got -1');
    expect(message(() => checkNumber('m', 'sigma', 0, { min: 0, exclusiveMin: true }))).toBe('OptionError: m: sigma must be a finite number > 0, got 0');
    expect(message(() => checkNumber('m', 'alpha', NaN, { min: 0, max: 1 }))).toBe('OptionError: m: alpha must be a finite number ≥ 0 and ≤ 1, got NaN');
    expect(message(() => checkNumber('m', 'x', Infinity))).toBe('OptionError: m: x must be a finite number, got Infinity');
    expect(message(() => checkBoolean('m', 'relu', 'yes'))).toBe('OptionError: m: relu must be true or false, got "yes"');
    expect(message(() => checkChoice('m', 'type', 'sq', ['a', 'b']))).toBe('OptionError: m: unknown type "sq"; choices: a, b');
    const fn = () => 0;
    expect(checkChoice('m', 'method', fn, ['a'], true)).toBe(fn);
    expect(message(() => checkChoice('m', 'method', 'z', ['a'], true))).toBe('OptionError: m: unknown method "z"; choices: a, or a function');
    expect(checkWindow('m', 'window', 3, [5, 6])).toEqual([3, 3]);
    expect(message(() => checkWindow('m', 'window', [2, 7], [5, 6]))).toBe("OptionError: m: window width must be an integer from 1 to 6 (the input's width), got 7");
    expect(message(() => checkWindow('m', 'stride', 'big', [5, 6]))).toBe('OptionError: m: stride must be a number or [height, width], got "big"');
  });

  test('resolveOptions: defaults from the specs, null and undefined mean the default, other keys pass through', () => {
    const specs = optionSpecs({ steps: 50, relu: true, seed: null as number | null }, {
      steps: { type: 'integer', min: 1, description: 'points on the path' },
      relu: { type: 'boolean', description: 'keep positive evidence' },
      seed: { type: 'integer', description: 'noise seed', defaultText: 'random' },
    });
    const cb = () => undefined;
    expect(resolveOptions('m', specs, { steps: undefined, relu: null as unknown as boolean, onProgress: cb })).toEqual({ steps: 50, relu: true, seed: null, onProgress: cb });
    expect(resolveOptions('m', specs, undefined)).toEqual({ steps: 50, relu: true, seed: null });
    expect(() => resolveOptions('m', specs, { steps: 0 })).toThrow(new OptionError('m', 'steps must be an integer from 1, got 0'));
    expect(() => resolveOptions('m', specs, 5 as never)).toThrow(new OptionError('m', 'options must be an object, got 5'));
    expect(() => optionSpecs({ a: 1 }, {} as never)).toThrow(/option a has a default but no type/);
  });
});

describe('one parser per option type: command-line strings and widget JSON', () => {
  const spec = (type: string, extra: object = {}) => ({ type, description: 'x', ...extra }) as never;
  test('strings parse by type; what does not parse is kept for the check to report', () => {
    expect(parseOption(spec('integer'), '12')).toBe(12);
    expect(parseOption(spec('integer'), '1.5')).toBe(1.5);
    expect(parseOption(spec('integer'), 'ten')).toBe('ten');
    expect(parseOption(spec('number'), '-0.15')).toBe(-0.15);
    expect(parseOption(spec('number'), '1e-3')).toBe(0.001);
    expect(parseOption(spec('number'), 'NaN')).toBe('NaN');
    expect(parseOption(spec('boolean'), 'false')).toBe(false);
    expect(parseOption(spec('boolean'), 'no')).toBe('no');
    expect(parseOption(spec('choice'), ' maxAbs ')).toBe('maxAbs');
    expect(parseOption(spec('layer'), 'block3_conv2')).toBe('block3_conv2');
    expect(parseOption(spec('target'), '3')).toBe(3);
    expect(parseOption(spec('target'), '0,2,1')).toEqual([0, 2, 1]);
    expect(parseOption(spec('window'), '8')).toBe(8);
    expect(parseOption(spec('window'), '8,4')).toEqual([8, 4]);
    expect(parseOption(spec('window'), '8x4')).toEqual([8, 4]);
    expect(parseOption(spec('baseline'), 'blur')).toBe('blur');
    expect(parseOption(spec('baseline'), '0.5')).toBe(0.5);
    expect(optionFromJSON(spec('integer'), null)).toBeUndefined();
    expect(optionFromJSON(spec('integer'), '7')).toBe(7);
    expect(optionFromJSON(spec('window'), [3, 5])).toEqual([3, 5]);
    expect(optionFromJSON(spec('choice'), 'l2')).toBe('l2');
  });

  test('parseMethodOptions and methodOptionsFromJSON check what they can and name the method', () => {
    expect(parseMethodOptions('occlusion', { window: '8,4', batchSize: '16', target: '1', baseline: '0.5' })).toEqual({ window: [8, 4], batchSize: 16, target: 1, baseline: 0.5 });
    expect(parseMethodOptions('gradCam', { layer: 'conv3', relu: 'false', upsample: 'true' })).toEqual({ layer: 'conv3', relu: false, upsample: true });
    expect(parseMethodOptions('smoothGrad', { method: 'guidedBackprop', noise: '0.2', seed: '4' })).toEqual({ method: 'guidedBackprop', noise: 0.2, seed: 4 });
    expect(message(() => parseMethodOptions('gradCam', { relu: 'maybe' }))).toBe('OptionError: gradCam: relu must be true or false, got "maybe"');
    expect(message(() => parseMethodOptions('integratedGradients', { steps: 'many' }))).toBe('OptionError: integratedGradients: steps must be an integer from 1 to 10000, got "many"');
    expect(message(() => parseMethodOptions('gradCam', { reluu: 'true' }))).toBe('OptionError: gradCam: unknown option "reluu"; options: target, preSoftmax, layer, relu, upsample, eigenSmooth, augSmooth');
    expect(methodOptionsFromJSON('gradCam', { layer: 'c3', relu: false, target: null })).toEqual({ layer: 'c3', relu: false });
    expect(message(() => methodOptionsFromJSON('saliencyMap', { reduce: 'max' }))).toBe('OptionError: saliencyMap: unknown reduce "max"; choices: maxAbs, sumAbs, l2, signed');
  });

  test('a fields option (occlusion approximate): each field parsed and checked by its own spec, missing ones their defaults', () => {
    expect(parseMethodOptions('occlusion', { approximate: 'tau=0.5,drillDown=0.25' })).toEqual({ approximate: { tau: 0.5, drillDown: 0.25 } });
    expect(parseMethodOptions('occlusion', { approximate: 'tau=0.5' })).toEqual({ approximate: { tau: 0.5, drillDown: null } });
    expect(methodOptionsFromJSON('occlusion', { approximate: { drillDown: 0.5, tau: null } })).toEqual({ approximate: { tau: null, drillDown: 0.5 } });
    expect(message(() => parseMethodOptions('occlusion', { approximate: 'tau=2' }))).toBe('OptionError: occlusion: approximate.tau must be a finite number > 0 and ≤ 1, got 2');
    expect(message(() => parseMethodOptions('occlusion', { approximate: 'tau' }))).toBe('OptionError: occlusion: approximate must be an object with fields tau, drillDown, got "tau"');
    expect(message(() => methodOptionsFromJSON('occlusion', { approximate: { tau: 0.5, eps: 1 } }))).toBe('OptionError: occlusion: unknown approximate field "eps"; fields: tau, drillDown');
    expect(message(() => methodOptionsFromJSON('occlusion', { approximate: [0.5] }))).toBe('OptionError: occlusion: approximate must be an object with fields tau, drillDown, got [0.5]');
  });

  test("every option's declared default passes its own parser and check (a widget can send the defaults back)", () => {
    for (const name of METHOD_NAMES) {
      const info = getMethod(name);
      const json = Object.fromEntries(info.options.map((o) => [o.name, o.default]));
      const parsed = methodOptionsFromJSON(name, json);
      for (const o of info.options) {
        expect(o.description.length).toBeGreaterThan(5);
        if (o.default === null) expect(o.defaultText).toBeDefined();
        else expect(parsed[o.name]).toEqual(o.default);
      }
    }
  });
});

describe.each(['cpu', 'wasm'] as const)('one baseline check for Integrated Gradients and occlusion, on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('the same bad baseline is the same error in both; a tensor is an InputError, a value an OptionError', async () => {
    const model = randomCnn('stridedAvgSame', 2);
    const x = randomInput(model, 1, 3); // [1,9,9,3]
    const wrongShape = tf.zeros([2, 9, 3]);
    const nan = tf.tensor1d([0, NaN, 0]);
    const disposed = tf.zeros([1, 9, 9, 3]);
    disposed.dispose();
    const before = tf.memory().numTensors;
    const cases: [unknown, typeof InputError, string][] = [
      [wrongShape, InputError, 'baseline of shape [2,9,3] does not broadcast to the input shape [1,9,9,3]'],
      [nan, InputError, 'baseline holds 1 NaN or Infinity value'],
      [disposed, InputError, 'baseline tensor is disposed'],
    ];
    for (const [baseline, type, text] of cases) {
      for (const [where, run] of [['integratedGradients', () => integratedGradients(model, x, { baseline: baseline as tf.Tensor, steps: 2 })], ['occlusion', () => occlusion(model, x, { baseline: baseline as tf.Tensor })]] as const) {
        const err = await run().then(() => null, (e: Error) => e);
        expect(err).toBeInstanceOf(type);
        expect((err as Error).message).toBe(`${where}: ${text}`);
      }
    }
    const ig = await integratedGradients(model, x, { baseline: Infinity, steps: 2 }).catch((e: Error) => e);
    expect(ig).toEqual(new OptionError('integratedGradients', "baseline must be 'zeros', 'blur', a finite number or a tf.Tensor broadcastable to the input [1,9,9,3], got Infinity"));
    const occ = await occlusion(model, x, { baseline: 'blur' as never }).catch((e: Error) => e);
    expect(occ).toEqual(new OptionError('occlusion', 'baseline must be a finite number or a tf.Tensor broadcastable to the input [1,9,9,3], got "blur"'));
    expect(tf.memory().numTensors).toBe(before);
    // A baseline that fits comes back rank 4 and float32, owned by the caller; the caller's tensor is kept.
    const ints = tf.ones([3], 'int32');
    const b = await checkBaseline('m', ints, [1, 9, 9, 3]);
    expect(b.kind === 'tensor' && b.tensor.shape).toEqual([1, 1, 1, 3]);
    expect(b.kind === 'tensor' && b.tensor.dtype).toBe('float32');
    if (b.kind === 'tensor') b.tensor.dispose();
    expect(ints.isDisposed).toBe(false);
    tf.dispose([x, wrongShape, nan, ints]);
    model.dispose();
  });

  test('target and preSoftmax are checked as every method checks them', async () => {
    const model = randomCnn('separateFlatten', 2);
    const x = randomInput(model, 1, 1);
    await expect(vanillaGradient(model, x, { preSoftmax: 'no' as never })).rejects.toThrow(new OptionError('vanillaGradient', 'preSoftmax must be true or false, got "no"'));
    await expect(vanillaGradient(model, x, { target: [1, 2] })).rejects.toThrow(TargetError);
    const a = await vanillaGradient(model, x, { target: null });
    const b = await vanillaGradient(model, x);
    expect(await a.data()).toEqual(await b.data());
    tf.dispose([a, b, x]);
    model.dispose();
  });
});
