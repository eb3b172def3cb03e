/** The same method on the wasm and cpu backends gives the same numbers (to 1e-4 of the largest value). */
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { allMethods, camApplies, expectAgree, methodNames } from './agree';

test.each(RANDOM_CNNS)('%s: every method agrees between wasm and cpu', async (kind) => {
  const model = randomCnn(kind, 9);
  const x = randomInput(model, 2, 21);
  const values = (await x.data()) as Float32Array;
  const names = methodNames(camApplies(kind, model));
  const cpu = await allMethods('cpu', names, model, values, x.shape);
  const wasm = await allMethods('wasm', names, model, values, x.shape);
  expectAgree(wasm, cpu, ['wasm', 'cpu']);
  x.dispose();
  model.dispose();
});
