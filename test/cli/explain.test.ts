/**
 * `saliency-lab explain` on a model and photos written here: a small classifier saved like a user's
 * converted Keras model (model.json + weights.bin, class names in its metadata), a PNG and a phone-style
 * JPEG stored sideways with EXIF orientation 6. Checks the PNGs asked for, and every kind of bad flag.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main';
import { saveModel } from '../../src/models/load';
import { jpegWithOrientation } from '../fixtures/exif-jpeg';

let dir: string;
let modelDir: string;

/** A picture of `width`×`height`: a bright square on a dark left half, a gradient on the right. */
function picture(width: number, height: number) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const square = x > width * 0.1 && x < width * 0.4 && y > height * 0.3 && y < height * 0.6;
      data.set(square ? [240, 240, 60, 255] : x < width / 2 ? [30, 30, 40, 255] : [x * 3, 120, 200, 255], i);
    }
  }
  return { data, width, height };
}

function png(p: { data: Uint8Array; width: number; height: number }): Buffer {
  const img = new PNG({ width: p.width, height: p.height });
  img.data.set(p.data);
  return PNG.sync.write(img);
}

function pngSize(file: string): [number, number] {
  const img = PNG.sync.read(fs.readFileSync(file));
  return [img.width, img.height];
}

/** Runs the command; returns its exit code and what it wrote to stdout and stderr. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  const error = jest.spyOn(console, 'error').mockImplementation((s: unknown) => void err.push(String(s)));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-explain-'));
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  modelDir = path.join(dir, 'my-model');
  await saveModel(model, modelDir, { classes: ['cat', 'dog', 'bird'] });
  model.dispose();
  fs.writeFileSync(path.join(dir, 'photo.png'), png(picture(48, 40)));
  // Stored sideways (as a phone held upright stores it) with orientation 6: shown 30 wide, 50 high.
  const upright = picture(30, 50);
  const sideways = { data: new Uint8Array(upright.data.length), width: 50, height: 30 };
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 50; x++) {
      // Orientation 6: stored row 0 is the picture's right side, stored column 0 its top.
      const ux = 29 - y, uy = x;
      sideways.data.set(upright.data.subarray((uy * 30 + ux) * 4, (uy * 30 + ux) * 4 + 4), (y * 50 + x) * 4);
    }
  }
  fs.writeFileSync(path.join(dir, 'phone.jpg'), jpegWithOrientation(sideways, 6));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('explains a PNG and an EXIF-rotated JPEG as one batch: one PNG each, upright at the photo\'s size', async () => {
  const outDir = path.join(dir, 'maps');
  const r = await run(['explain', '--model', modelDir, '--image', path.join(dir, 'photo.png'), path.join(dir, 'phone.jpg'), '--method', 'gradCam', '--layer', 'conv2', '--out', outDir]);
  expect(r.err).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  expect(r.err).toContain(`note: ${path.join(dir, 'photo.png')} is 48×40; resized to 32×32, the model's input size (its aspect ratio changes)`);
  expect(r.err).toContain('phone.jpg is 30×50; resized to 32×32');
  expect(pngSize(path.join(outDir, 'photo.gradCam.png'))).toEqual([48, 40]);
  expect(pngSize(path.join(outDir, 'phone.gradCam.png'))).toEqual([30, 50]);
  expect(r.out).toMatch(/photo\.gradCam\.png: gradCam of output \d "(cat|dog|bird)" \(model output [\d.]+, the top class\)/);
});

test('--out FILE.png, a target by class name and method options as flags', async () => {
  const file = path.join(dir, 'one', 'occ.png');
  const r = await run(['explain', '--model', modelDir, '--image', path.join(dir, 'photo.png'), '--method', 'occlusion',
    '--window', '8', '--stride', '4,4', '--baseline', '0.5', '--target', 'dog', '--out', file]);
  expect(r.err).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  expect(pngSize(file)).toEqual([48, 40]);
  expect(r.out).toContain('occlusion of output 1 "dog"');
  const ig = await run(['explain', '--model', modelDir, '--image', path.join(dir, 'photo.png'), '--method', 'integratedGradients',
    '--steps', '4', '--integrated-gradients-method', 'riemannTrapezoid', '--out', path.join(dir, 'ig.png')]);
  expect(ig.code).toBe(0);
  expect(fs.existsSync(path.join(dir, 'ig.png'))).toBe(true);
});

test('every bad flag is a message naming the flag and the choices, exit code 2', async () => {
  const photo = path.join(dir, 'photo.png');
  const base = ['explain', '--model', modelDir, '--image', photo];
  const cases: [string[], RegExp][] = [
    [['explain', '--model', modelDir, '--image', photo], /--method is required; methods: vanillaGradient, saliencyMap, .*occlusion/],
    [[...base, '--method', 'gradcam'], /--method "gradcam" is not a valid choice \(did you mean "gradCam"\?\); choices: vanillaGradient/],
    [[...base, '--method', 'gradCam', '--window', '8'], /--window is an option of occlusion, not of --method gradCam; gradCam's options: (--\w[\w-]*(, )?)+$/m],
    [[...base, '--method', 'gradCam', '--colormp', 'jet'], /unknown option "--colormp" \(did you mean --colormap\?\); flags: --model, --image, --method/],
    [[...base, '--method', 'gradCam', '--colormap', 'jett'], /--colormap "jett" is not a valid choice \(did you mean "jet"\?\); choices: viridis, inferno/],
    [[...base, '--method', 'smoothGrad', '--samples', 'many'], /--samples needs an integer, got "many"/],
    [[...base, '--method', 'smoothGrad', '--type', 'mean'], /--type "mean" is not a valid choice; choices: smoothGrad, smoothGradSquared, varGrad/],
    [[...base, '--method', 'gradCam', '--target', 'cow'], /--target "cow" is not a valid choice; choices: cat, dog, bird/],
    [[...base, '--method', 'gradCam', '--target', '1,2'], /--target gives 2 targets for 1 images; give one for all, or one per image/],
    [[...base, '--method', 'gradCam', '--preprocess', 'vgg'], /--preprocess "vgg" is not a valid choice; choices: unit, symmetric, caffe, torch/],
    [[...base, '--method', 'gradCam', '--alpha', '2'], /--alpha must be from 0 to 1, got 2/],
    [[...base, '--method', 'gradCam', '--out'], /--out needs a value \(DIR\|FILE\.png\)/],
    [['explain', '--image', photo, '--method', 'gradCam'], /--model is required/],
    [['explain', '--model', modelDir, '--method', 'gradCam'], /--image is required: one or more PNG or JPEG files/],
    [[...base, photo, '--method', 'gradCam', '--out', path.join(dir, 'x.png')], /--out ".*x\.png" names one file, but there are 2 images; give a folder/],
    [[...base, 'stray', '--method', 'gradCam', '--model', modelDir], /--model is given twice/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    expect({ args, err: r.err }).toEqual({ args, err: expect.stringMatching(message) });
    expect(r.err).toContain('Run `saliency-lab explain --help` for the options.');
    expect(r.code).toBe(2);
  }
});

test('errors from the model and the method say which flag and what to do, exit code 1', async () => {
  const photo = path.join(dir, 'photo.png');
  const layer = await run(['explain', '--model', modelDir, '--image', photo, '--method', 'gradCam', '--layer', 'conv9']);
  expect(layer.err).toContain('saliency-lab explain: --layer: gradCam: unknown layer "conv9"; layers: conv1, conv2, gap, probs');
  expect(layer.code).toBe(1);
  const target = await run(['explain', '--model', modelDir, '--image', photo, '--method', 'saliencyMap', '--target', '7']);
  expect(target.err).toMatch(/--target: saliencyMap: target 7 is out of range; the model has 3 outputs \(valid: 0 to 2\)/);
  const missing = await run(['explain', '--model', path.join(dir, 'nowhere'), '--image', photo, '--method', 'gradCam']);
  expect(missing.err).toMatch(/^loadModel: no such file or directory: .*nowhere; pass a directory holding model\.json/);
  expect(missing.code).toBe(1);
  const notImage = path.join(dir, 'notes.txt');
  fs.writeFileSync(notImage, 'hello');
  const bad = await run(['explain', '--model', modelDir, '--image', notImage, '--method', 'gradCam']);
  expect(bad.err).toMatch(/loadImage: .*notes\.txt: unsupported image format .*; supported: PNG, JPEG/);
});

test('--help lists the common flags and, generated from the registry, each method\'s', async () => {
  const all = await run(['explain', '--help']);
  expect(all.code).toBe(0);
  for (const s of ['--model PATH|URL', '--image PATH ...', '--method NAME', '--out DIR|FILE.png', 'occlusion:', '--window N|H,W', '--smooth-grad-method NAME', '--[no-]upsample']) {
    expect(all.out).toContain(s);
  }
  const one = await run(['explain', '--method', 'smoothGrad', '--help']);
  expect(one.out).toContain('options of smoothGrad');
  expect(one.out).toContain('--samples N');
  expect(one.out).not.toContain('--window');
  for (const c of ['demo', 'explain', 'train']) {
    const h = await run([c, '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: saliency-lab /);
    expect(h.out).toMatch(/--\w/);
  }
});

test("demo's bad flags are messages naming the flag and the choices, exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [['demo', '--images', '0'], /^saliency-lab demo: --images must be from 1 to 16, got 0/],
    [['demo', '--methods', 'gradCam,gradcam'], /--methods: unknown method "gradcam"; methods: vanillaGradient, saliencyMap/],
    [['demo', '--quik'], /unknown option "--quik" \(did you mean --quick\?\); flags: --out, --quick, --images, --methods/],
    [['demo', 'now'], /unexpected argument "now"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
  }
});
