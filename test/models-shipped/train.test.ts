import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { main } from '../../src/cli/main';
import { loadModel } from '../../src/models/load';
import { trainShipped, heldOutSeed, trainingDataSeed } from '../../src/models/train';
import { CancelledError, OptionError } from '../../src/errors';
import { SHIPPED_MODELS, type ShippedModelName } from '../../src/models/shipped';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-train-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(SHIPPED_MODELS.map((n) => [n]))('saliency-lab train %s --short trains, reports and saves a loadable model', async (name: ShippedModelName) => {
  const out = path.join(dir, name);
  const lines: string[] = [];
  const written: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: unknown) => written.push(String(s)) > 0);
  let code: number;
  try {
    code = await main(['train', name, '--short', '--out', out, '--seed', '3']);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  expect(code).toBe(0);
  const printed = lines.join('\n');
  expect(printed).toMatch(name === 'shapes' ? /held out \(64 images, data seed 3999\): accuracy \d/ : /held out \(64 images, data seed 3999\): MAE \d/);
  const progress = written.join('');
  expect(progress).toMatch(/\[#+\] 100% batch 2\/2 loss \d/);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
  expect(json.userDefinedMetadata).toMatchObject({ dataset: name, seed: 3, trainedWith: `saliency-lab train ${name} --short --seed 3` });
  expect(json.userDefinedMetadata.heldOut.n).toBe(64);
  const m = (await loadModel(out)) as tf.LayersModel;
  const x = tf.zeros([2, 64, 64, 3]);
  const y = m.predict(x) as tf.Tensor;
  expect(y.shape).toEqual(name === 'shapes' ? [2, 6] : [2, 1]);
  tf.dispose([x, y]);
  m.dispose();
});

test('the same seed gives the same weights; another seed does not', async () => {
  const weights = async (seed: number) => {
    const r = await trainShipped('road', { short: true, seed, evalImages: 8 });
    const w = Array.from(await r.model.getLayer('conv1').getWeights()[0].data());
    r.model.dispose();
    return w;
  };
  const a = await weights(4);
  expect(await weights(4)).toEqual(a);
  expect(await weights(5)).not.toEqual(a);
});

test('seeds of training chunks never reach the held-out seed', () => {
  for (const s of [0, 1, 7]) {
    for (let c = 0; c < 999; c++) expect(trainingDataSeed(s, c)).not.toBe(heldOutSeed(s));
    expect(trainingDataSeed(s + 1, 0)).toBeGreaterThan(heldOutSeed(s));
  }
});

test('bad arguments are errors with the choices', async () => {
  await expect(trainShipped('mnist' as ShippedModelName)).rejects.toThrow(OptionError);
  await expect(trainShipped('mnist' as ShippedModelName)).rejects.toThrow('trainShipped: unknown data set "mnist"; choices: shapes, road, rings');
  await expect(trainShipped('road', { seed: -1 })).rejects.toThrow(/seed must be an integer/);
  const errors: string[] = [];
  const err = jest.spyOn(console, 'error').mockImplementation((s: unknown) => void errors.push(String(s)));
  try {
    expect(await main(['train', 'mnist'])).toBe(1);
    expect(await main(['train', 'road', '--fast'])).toBe(1);
    expect(errors).toEqual([
      'saliency-lab train: expected a data set, one of shapes, road, rings; got "mnist"',
      'saliency-lab train: unknown option "--fast"; options: --short, --out, --seed, --chunks',
    ]);
  } finally {
    err.mockRestore();
  }
});

test('an AbortSignal stops training with a CancelledError and frees its tensors', async () => {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const run = trainShipped('rings', {
    short: true,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.batch === 1) controller.abort('enough');
    },
  });
  await expect(run).rejects.toThrow(CancelledError);
  expect(tf.memory().numTensors).toBe(before);
});
