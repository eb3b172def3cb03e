import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/models/load';
import { SHIPPED_MODELS, SHIPPED_MODELS_DIR, SHIPPED_INFO } from '../../src/models/shipped';
import { evaluateShipped } from '../../src/models/train';

/** Held-out data seed for these checks: training with seed s uses s·1000 … s·1000+999 only. */
const CHECK_SEED = 7_000_001;

test.each(SHIPPED_MODELS.map((n) => [n]))('shipped %s: tfjs LayersModel files under 5 MB with metadata', async (name) => {
  const dir = path.join(SHIPPED_MODELS_DIR, name);
  const files = fs.readdirSync(dir);
  expect(files.sort()).toEqual(['model.json', 'weights.bin']);
  const bytes = files.reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
  expect(bytes).toBeLessThan(5 * 1024 * 1024);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.userDefinedMetadata).toMatchObject({ ...SHIPPED_INFO[name], seed: 1 });
  expect(json.userDefinedMetadata.trainedWith).toBe(`saliency-lab train ${name}`);
  const m = await loadModel(name);
  expect(m).toBeInstanceOf(tf.LayersModel);
  (m as tf.LayersModel).dispose();
});

const THRESHOLDS = {
  shapes: (m: { accuracy?: number }) => expect(m.accuracy).toBeGreaterThanOrEqual(0.95),
  road: (m: { maeOverStd?: number }) => expect(m.maeOverStd).toBeLessThan(0.2),
  rings: (m: { mae?: number }) => expect(m.mae).toBeLessThan(1),
};

test.each(SHIPPED_MODELS.map((n) => [n]))('shipped %s meets its held-out target on 500 unseen images', async (name) => {
  const m = (await loadModel(name)) as tf.LayersModel;
  const before = tf.memory().numTensors;
  const metrics = await evaluateShipped(m, name, { n: 500, seed: CHECK_SEED });
  expect(tf.memory().numTensors).toBe(before);
  // Printed so that the README's numbers can be checked against a run.
  console.log(`${name} held out (n=500, seed ${CHECK_SEED}): ${JSON.stringify(metrics)}`);
  THRESHOLDS[name](metrics);
  m.dispose();
}, 300_000);
