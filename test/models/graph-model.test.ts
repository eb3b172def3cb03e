import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../../src/backend';
import { listLayers, endsInSoftmax, forwardScores } from '../../src/models';
import { splitModel } from '../../src/models/split';
import { vanillaGradient } from '../../src/methods/gradient';
import { guidedBackprop } from '../../src/methods/guided-backprop';
import { relErr } from '../reference/net';
import { RANDOM_CNNS, randomCnn, randomInput } from '../reference/models';
import { toGraphModel } from '../fixtures/graph-model';
import { UnknownLayerError } from '../../src/errors';

describe.each(['cpu', 'wasm'] as const)('GraphModel on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test.each(RANDOM_CNNS)('%s: same scores, gradients and split as the LayersModel', async (kind) => {
    const model = randomCnn(kind, 6);
    const graph = await toGraphModel(model);
    const x = randomInput(model, 2, 3);
    expect(endsInSoftmax(graph)).toBe(endsInSoftmax(model));
    for (const preSoftmax of [true, false]) {
      const a = tf.tidy(() => forwardScores('t', model, x, { preSoftmax }));
      const b = tf.tidy(() => forwardScores('t', graph, x, { preSoftmax }));
      expect(relErr(await b.data(), await a.data())).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
    const before = tf.memory().numTensors;
    const ga = await vanillaGradient(model, x, { target: [0, 1] });
    const gb = await vanillaGradient(graph, x, { target: [0, 1] });
    expect(relErr(await gb.data(), await ga.data())).toBeLessThan(1e-4);
    const pa = await guidedBackprop(model, x, { target: 1 });
    const pb = await guidedBackprop(graph, x, { target: 1 });
    expect(relErr(await pb.data(), await pa.data())).toBeLessThan(1e-4);
    tf.dispose([ga, gb, pa, pb]);
    expect(tf.memory().numTensors).toBe(before);
    // Split at the second layer: head + tail equal the whole model.
    const at = model.layers[1].name;
    for (const m of [model, graph]) {
      const split = splitModel(m, at);
      const whole = tf.tidy(() => forwardScores('t', m, x));
      const parts = tf.tidy(() => split.tail(split.head(x), x));
      expect(relErr(await parts.data(), await whole.data())).toBeLessThan(1e-5);
      tf.dispose([whole, parts]);
    }
    const names = listLayers(graph).map((l) => l.name);
    for (const l of model.layers) expect(names).toContain(l.name);
    expect(() => splitModel(graph, 'nope')).toThrow(UnknownLayerError);
    x.dispose();
    graph.dispose();
    model.dispose();
  });
});
