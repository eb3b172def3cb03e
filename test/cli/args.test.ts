/** The command-line flag parser and the method flags generated from the registry. */
import { UsageError, flagHelp, parseFlags } from '../../src/cli/args';
import { methodFlags, methodOptionsFromFlags } from '../../src/cli/method-flags';
import { METHOD_NAMES, getMethod } from '../../src/methods/registry';

const W = 'saliency-lab test';
const SPECS = [
  { name: 'out', value: 'DIR', description: 'where' },
  { name: 'quick', description: 'fast' },
  { name: 'image', value: 'PATH', repeat: true, description: 'images' },
  { name: 'mode', value: 'M', description: 'mode', choices: ['a', 'b'] },
];

test('values, switches, repeats, = forms and --', () => {
  expect(parseFlags(W, ['--out', 'x', '--quick', '--image', 'a.png', 'b.png', '--image=c.png', '--mode=b', '--', '--out'], SPECS)).toEqual({
    flags: { out: 'x', quick: true, image: ['a.png', 'b.png', 'c.png'], mode: 'b' },
    positional: ['--out'],
  });
  expect(parseFlags(W, ['--no-quick'], SPECS).flags).toEqual({ quick: false });
  expect(parseFlags(W, ['--quick=false', 'pos'], SPECS)).toEqual({ flags: { quick: false }, positional: ['pos'] });
});

test('every mistake names the flag and the choices', () => {
  const bad: [string[], RegExp][] = [
    [['--ot', 'x'], /^saliency-lab test: unknown option "--ot" \(did you mean --out\?\); flags: --out, --quick, --image, --mode\. Run `saliency-lab test --help`/],
    [['--out'], /^saliency-lab test: --out needs a value \(DIR\)$/],
    [['--mode', 'c'], /^saliency-lab test: --mode "c" is not a valid choice; choices: a, b$/],
    [['--out', 'a', '--out', 'b'], /--out is given twice/],
    [['--quick=yes'], /--quick is a switch: give --quick or --no-quick/],
    [['-o', 'x'], /unknown option "-o": flags start with two dashes/],
  ];
  for (const [args, message] of bad) {
    expect(() => parseFlags(W, args, SPECS)).toThrow(UsageError);
    expect(() => parseFlags(W, args, SPECS)).toThrow(message);
  }
});

test('help lists every flag with its choices and default', () => {
  const help = flagHelp([...SPECS, { name: 'relu', description: 'clip', default: 'true' }]).join('\n');
  for (const s of ['--out DIR', '--quick', '--image PATH ...', '--mode M', 'one of a, b', '--[no-]relu', 'default true']) expect(help).toContain(s);
});

test('every option of every registry method has a flag, and its default parses back to itself', () => {
  for (const m of METHOD_NAMES) {
    const flags = methodFlags(m, ['method']);
    expect(flags.map((f) => f.option.name)).toEqual(getMethod(m).options.map((o) => o.name));
    for (const f of flags) {
      expect(f.name).toMatch(/^[a-z][a-z-]*$/);
      const d = f.option.default;
      if (d === null || d === undefined || f.option.type === 'target') continue;
      const text = f.option.type === 'boolean' ? (d as boolean) : String(d);
      expect(methodOptionsFromFlags(W, flags, { [f.name]: text })).toEqual({ [f.option.name]: d });
    }
  }
  // Options named like a command flag get the method's name in front.
  expect(methodFlags('smoothGrad', ['method']).map((f) => f.name)).toContain('smooth-grad-method');
  expect(methodFlags('integratedGradients', ['method']).map((f) => f.name)).toContain('integrated-gradients-method');
});

test('method option values of each type, and their errors', () => {
  const parse = (m: string, flags: Record<string, unknown>) => methodOptionsFromFlags(W, methodFlags(m, ['method']), flags);
  expect(parse('occlusion', { window: '8,4', stride: '2', baseline: '0.5', 'batch-size': '16', 'pre-softmax': false }))
    .toEqual({ window: [8, 4], stride: 2, baseline: 0.5, batchSize: 16, preSoftmax: false });
  expect(parse('integratedGradients', { baseline: 'blur', steps: '32', 'integrated-gradients-method': 'riemannLeft' }))
    .toEqual({ baseline: 'blur', steps: 32, method: 'riemannLeft' });
  expect(parse('gradCam', { target: '3', layer: 'conv2' })).toEqual({ target: { indices: [3] }, layer: 'conv2' });
  expect(parse('gradCam', { target: '1,0,2' })).toEqual({ target: { indices: [1, 0, 2] } });
  expect(parse('gradCam', { target: 'cat,dog' })).toEqual({ target: { names: ['cat', 'dog'] } });
  expect(parse('smoothGrad', { noise: '0.2', samples: '10' })).toEqual({ noise: 0.2, samples: 10 });
  expect(parse('occlusion', { approximate: 'tau=0.5, drill-down=0.25' })).toEqual({ approximate: { tau: 0.5, drillDown: 0.25 } });
  expect(parse('occlusion', { approximate: 'tau=1' })).toEqual({ approximate: { tau: 1 } });
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['smoothGrad', { samples: '0' }, /^saliency-lab test: --samples must be (at least 1|from 1 to \d+), got 0$/],
    ['smoothGrad', { samples: '2.5' }, /--samples needs an integer, got "2.5"/],
    ['smoothGrad', { noise: '-1' }, /--noise must be at least 0, got -1/],
    ['smoothGrad', { noise: 'lots' }, /--noise needs a number, got "lots"/],
    ['smoothGrad', { type: 'smoothgrad' }, /--type "smoothgrad" is not a valid choice \(did you mean "smoothGrad"\?\); choices: smoothGrad, smoothGradSquared, varGrad/],
    ['smoothGrad', { 'smooth-grad-method': 'x' }, /--smooth-grad-method "x" is not a valid choice; choices: vanillaGradient/],
    ['integratedGradients', { baseline: 'black' }, /--baseline needs zeros, blur or a number, got "black"/],
    ['occlusion', { window: '8,4,2' }, /--window needs one size or two \(H,W\), got "8,4,2"/],
    ['occlusion', { window: '0' }, /--window must be at least 1, got 0/],
    ['occlusion', { approximate: 'sigma=1' }, /--approximate needs field=value pairs separated by commas \(fields: tau, drill-down\), got "sigma=1"/],
    ['occlusion', { approximate: 'tau=x' }, /--approximate\.tau needs a number, got "x"/],
    ['gradCam', { target: '-1' }, /--target needs an output index \(0, 1, \.\.\.\), one index per image \(1,0,2\) or a class name, got "-1"/],
    ['gradCam', { relu: 'maybe' }, /--relu is true or false, got "maybe"/],
    ['gradCam', { layer: true }, /--layer needs a value \(LAYER\)/],
  ];
  for (const [m, flags, message] of bad) {
    expect(() => parse(m, flags)).toThrow(UsageError);
    expect(() => parse(m, flags)).toThrow(message);
  }
});
