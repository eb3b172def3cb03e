/**
 * Every GraphModel op that saliency-lab takes gradients through (src/models/op-coverage.ts), run as a
 * real GraphModel node, against finite differences on each backend the coverage list names; ops without
 * a gradient fail with a GradientError naming the op and the node. Every op tfjs-converter maps to is in
 * the list (or out of scope with a reason).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { setBackend } from '../../src/backend';
import { GradientError } from '../../src/errors';
import { coveredNames, OP_COVERAGE, TestedBackend } from '../../src/models/op-coverage';
import { checkGradient, itemValues } from './gradient-check';
import { buildCase, NO_GRADIENT_CASES, OP_CASES, OpCase } from './op-cases';

const rowsOf = (op: string) => OP_COVERAGE.filter((r) => r.ops.includes(op));

/** The backends a case is checked on: those every row it exercises is tested on. */
function backendsOf(c: OpCase): TestedBackend[] {
  const all: TestedBackend[] = ['cpu', 'wasm'];
  return all.filter((b) => c.ops.every((op) => rowsOf(op).every((r) => r.gradient === 'not needed' || r.backends.includes(b))));
}


const run = (model: tf.GraphModel, outputs: string[]) => (x: tf.Tensor) => {
  const r = model.execute(x, outputs);
  return Array.isArray(r) ? r : [r];
};

describe('the op list covers tfjs-converter', () => {
  test('every converter op is listed with its gradient or as out of scope', () => {
    // The op list files are ES modules: read the names from their text.
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-converter/package.json')), 'dist/operations/op_list');
    const ops = fs.readdirSync(dir).filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/'tfOpName': '(\w+)'/g)].map((m) => m[1]));
    expect(ops.length).toBeGreaterThan(240);
    const { ops: covered } = coveredNames();
    expect(ops.filter((op) => !covered.has(op))).toEqual([]);
  });

  test('every op with a gradient has a finite-difference case, every op without one an error case', () => {
    const tested = new Set(OP_CASES.flatMap((c) => c.ops));
    const failing = new Set(NO_GRADIENT_CASES.flatMap((c) => c.ops));
    for (const r of OP_COVERAGE) {
      for (const op of r.ops) {
        if (r.gradient === 'tfjs' || r.gradient === 'saliency-lab') expect([op, tested.has(op)]).toEqual([op, true]);
        if (r.gradient === 'none') expect([op, failing.has(op)]).toEqual([op, true]);
      }
    }
  });
});

describe.each(['cpu', 'wasm'] as const)('op gradients on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  const cases = OP_CASES.filter((c) => backendsOf(c).includes(backend));
  test.each(cases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const { model, outputs } = await buildCase(c);
    const x = tf.tensor(itemValues(c.shape.reduce((a, d) => a * d, 1), 3, c.scale), c.shape);
    const before = tf.memory().numTensors;
    const r = checkGradient(run(model, outputs), x, { h: c.h, model, oneAtATime: c.oneAtATime });
    expect(tf.memory().numTensors).toBe(before);
    if (r.relErr >= 1e-2) throw new Error(`${c.label}: gradient differs from finite differences by ${r.relErr} (max |fd| ${r.maxFd}, max |g| ${r.maxGrad}, ${r.kinks} kinks)`);
    // A check that meets a kink at most coordinates would check little.
    expect(r.kinks).toBeLessThanOrEqual(r.size / 10);
    x.dispose();
    model.dispose();
  });

  test.each(NO_GRADIENT_CASES.map((c) => [c.label, c] as const))('%s: a GradientError naming the node', async (_label, c) => {
    const { model, outputs } = await buildCase(c);
    const x = tf.tensor(itemValues(c.shape.reduce((a, d) => a * d, 1), 3, c.scale), c.shape);
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      checkGradient(run(model, outputs), x, { model });
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(GradientError);
    const message = (error as Error).message;
    expect(message).toContain(`"${outputs[0].split(':')[0]}"`);
    expect(message).toMatch(/occlusion and scoreCam need no gradients/);
    expect(message).not.toMatch(/Cannot compute gradient|not registered for backend/);
    x.dispose();
    model.dispose();
  });
});
