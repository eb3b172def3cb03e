/**
 * The README's "Your own model" section quotes the error a user sees when a converted model holds an op
 * without a gradient. This builds such a model the way tfjs-converter writes one (a crop-and-resize
 * inside the network, then global pooling, a dense layer and a softmax), runs a gradient method on it and
 * checks that the README quotes that very message, and that the methods the message recommends work.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { setBackend } from '../../src/backend';
import { GradientError } from '../../src/errors';
import { occlusion, saliencyMap, scoreCam } from '../../src/methods';
import { attr, GraphWriter } from '../fixtures/graph-model';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const P = 'StatefulPartitionedCall/model';

async function croppingClassifier(): Promise<{ model: tf.GraphModel; made: tf.Tensor[] }> {
  // The crop takes box 0 of item 0, so the graph is for one image at a time (its signature fixes the batch
  // at 1, which saliency-lab then feeds in chunks of one).
  const made = [
    tf.tensor2d([[0.1, 0.1, 0.9, 0.9]]),
    tf.tensor1d([0], 'int32'),
    tf.tensor1d([6, 6], 'int32'),
    tf.randomNormal([3, 3, 3, 4], 0, 0.5, 'float32', 1),
    tf.tensor1d([1, 2], 'int32'),
    tf.randomNormal([4, 3], 0, 0.5, 'float32', 2),
    tf.zeros([4]),
  ];
  const g = new GraphWriter();
  const x = g.placeholder('input_1', [1, 8, 8, 3]);
  const crop = g.node(`${P}/crop/CropAndResize`, 'CropAndResize', [x, g.constant(`${P}/crop/boxes`, made[0]), g.constant(`${P}/crop/ind`, made[1]), g.constant(`${P}/crop/size`, made[2])],
    { method: attr.str('bilinear'), extrapolation_value: attr.f(0) });
  const conv = g.node(`${P}/conv/Relu`, '_FusedConv2D', [crop, g.constant(`${P}/conv/Conv2D/ReadVariableOp`, made[3]), g.constant(`${P}/conv/BiasAdd/ReadVariableOp`, made[6])], {
    strides: attr.ints([1, 1, 1, 1]), padding: attr.str('SAME'), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]),
    fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.int(1), epsilon: attr.f(0), use_cudnn_on_gpu: attr.bool(true),
  });
  const gap = g.node(`${P}/gap/Mean`, 'Mean', [conv, g.constant(`${P}/gap/Mean/reduction_indices`, made[4])], { keep_dims: attr.bool(false), Tidx: attr.int32 });
  const logits = g.node(`${P}/dense/MatMul`, 'MatMul', [gap, g.constant(`${P}/dense/MatMul/ReadVariableOp`, made[5])], { transpose_a: attr.bool(false), transpose_b: attr.bool(false) });
  const softmax = g.node(`${P}/dense/Softmax`, 'Softmax', [logits]);
  g.node('Identity', 'Identity', [softmax]);
  const model = await g.build({ outputs: [{ key: 'dense', node: 'Identity', shape: [1, 3] }] });
  return { model, made };
}

describe.each(['wasm', 'cpu'] as const)('the README\'s own-model error, on %s', (backend) => {
  beforeAll(() => setBackend(backend));

  test('a gradient method names the op, the node and what works; occlusion and Score-CAM do work', async () => {
    const { model, made } = await croppingClassifier();
    const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      (await saliencyMap(model, x)).dispose();
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(GradientError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/Cannot compute gradient|not registered for backend/);
    // The README quotes the wasm message; on cpu it names cpu.
    const quoted = message.replace(`the ${backend} backend`, 'the wasm backend');
    expect(README.includes(quoted) ? 'quoted' : quoted).toBe('quoted');

    const map = await occlusion(model, x, { window: 4 });
    expect(map.shape).toEqual([1, 8, 8]);
    expect(Number.isFinite(Math.max(...await map.data()))).toBe(true);
    map.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const cam = await scoreCam(model, x, { layer: 'conv' });
    expect(cam.shape[0]).toBe(1);
    cam.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...made]);
    model.dispose();
  });
});
