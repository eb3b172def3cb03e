/**
 * The same method on the webgpu and cpu backends gives the same numbers (to 1e-4 of the largest value),
 * for LayersModels and GraphModels (whose convolutions are tfjs-converter's fused ops), and leaves no
 * tensor behind. Needs a WebGPU adapter: in CI, Mesa's lavapipe (see test/webgpu/helpers.ts).
 */
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { toGraphModel } from '../fixtures/graph-model';
import { useWebGPU } from '../webgpu/helpers';
import { allMethods, expectAgree } from './agree';

beforeAll(useWebGPU);

test.each(RANDOM_CNNS)('%s: every method agrees between webgpu and cpu', async (kind) => {
  const model = randomCnn(kind, 9);
  const x = randomInput(model, 2, 21);
  const values = (await x.data()) as Float32Array;
  const cpu = await allMethods('cpu', kind, model, values, x.shape);
  const gpu = await allMethods('webgpu', kind, model, values, x.shape);
  expectAgree(gpu, cpu, ['webgpu', 'cpu']);
  x.dispose();
  model.dispose();
});

test.each(['fusedGapSoftmax', 'stridedAvgSame'] as const)('%s as a GraphModel: every method agrees between webgpu and cpu', async (kind) => {
  const model = randomCnn(kind, 4);
  const graph = await toGraphModel(model);
  const x = randomInput(model, 2, 8);
  const values = (await x.data()) as Float32Array;
  const cpu = await allMethods('cpu', kind, graph, values, x.shape);
  const gpu = await allMethods('webgpu', kind, graph, values, x.shape);
  expectAgree(gpu, cpu, ['webgpu', 'cpu']);
  x.dispose();
  graph.dispose();
  model.dispose();
});
