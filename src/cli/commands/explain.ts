/**
 * `saliency-lab explain`: one attribution method on a user's own model and photos. Images (PNG or JPEG,
 * EXIF orientation applied) are resized to the model's input size when it has one, preprocessed with
 * `--preprocess`, explained in one batch, and each map is written as a PNG over its image. Every option
 * of the chosen method is a flag, generated from the registry.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../main';
import { ready } from '../../backend';
import { LayerError, TargetError, UnknownLayerError, listChoices } from '../../errors';
import { loadModel } from '../../models/load';
import { METHOD_NAMES, getMethod } from '../../methods/registry';
import { COLORMAPS } from '../../viz/core/colormap';
import { loadImage, saveImage } from '../../viz/io';
import { overlay } from '../../viz/overlay';
import { PREPROCESS_PRESETS, type PreprocessPreset, preprocess } from '../../viz/preprocess';
import { type FlagSpec, UsageError, checkChoice, flagHelp, numberFlag, parseFlags } from '../args';
import { type MethodFlag, type TargetText, methodFlags, methodOptionsFromFlags, methodsWithFlag } from '../method-flags';
import { pixelMaps } from '../maps';
import { progressBar } from '../progress';

const WHERE = 'saliency-lab explain';

const FLAGS: FlagSpec[] = [
  { name: 'model', value: 'PATH|URL', description: 'a tfjs model: folder or model.json path, file:// or http(s):// URL, or a shipped name (shapes, road, rings)' },
  { name: 'image', value: 'PATH', repeat: true, description: 'PNG or JPEG photos (EXIF orientation applied); several are explained as one batch' },
  { name: 'method', value: 'NAME', description: 'attribution method', choices: METHOD_NAMES },
  { name: 'out', value: 'DIR|FILE.png', description: 'folder for <image>.<method>.png, or a file name when there is one image', default: '.' },
  { name: 'preprocess', value: 'NAME', description: "the model's input convention: unit [0,1], symmetric [-1,1] (MobileNet), caffe (VGG, ResNet50), torch", choices: PREPROCESS_PRESETS, default: 'unit' },
  { name: 'colormap', value: 'NAME', description: 'colormap of the overlay', choices: COLORMAPS, default: 'jet' },
  { name: 'alpha', value: 'X', description: 'opacity of the map over the photo, 0 to 1', default: '0.5' },
];
const COMMON = FLAGS.map((f) => f.name);

/** The method named on the command line, if any (needed before the method's own flags can be parsed). */
function methodArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--method') return args[i + 1];
    if (args[i].startsWith('--method=')) return args[i].slice('--method='.length);
  }
  return undefined;
}

/** `--help`, generated: the common flags, then the chosen method's flags, or every method's. */
export function explainUsage(args: readonly string[] = []): string {
  const chosen = methodArg(args);
  const methods = chosen && METHOD_NAMES.includes(chosen) ? [chosen] : METHOD_NAMES;
  const lines = [
    'usage: saliency-lab explain --model PATH|URL --image PATH... --method NAME [--target T] [--layer LAYER] [--out DIR]',
    '                            [method options]',
    '',
    'Explains what a model looks at in your own photos: runs one attribution method and writes each map over',
    'its photo as a PNG. Images are resized to the model\'s input size (with a note) and preprocessed with',
    '--preprocess. A LayersModel or GraphModel converted with tensorflowjs_converter works.',
    '',
    ...flagHelp(FLAGS),
    '',
    methods.length === 1 ? `options of ${methods[0]} (from the method registry):` : 'method options (from the method registry; `--method NAME --help` shows one method\'s):',
  ];
  for (const m of methods) {
    const info = getMethod(m);
    if (methods.length > 1) lines.push(`  ${m}: ${info.title} (${info.reference})`);
    lines.push(...flagHelp(methodFlags(m, COMMON), methods.length > 1 ? '    ' : '  '));
  }
  lines.push('', 'Example: saliency-lab explain --model models/shapes --image photo.jpg --method gradCam --layer block3_conv2 --out maps/');
  return lines.join('\n');
}

export interface ExplainArgs {
  model: string;
  images: string[];
  method: string;
  out: string;
  preprocess: PreprocessPreset;
  colormap: string;
  alpha: number;
  /** Method options, parsed (the target still as text until the model's classes are known). */
  options: Record<string, unknown>;
}

/** Parses and checks explain's arguments; every mistake is a UsageError naming the flag and the choices. */
export function parseExplainArgs(args: readonly string[]): ExplainArgs {
  const method = methodArg(args);
  if (method === undefined || method.startsWith('--')) {
    throw new UsageError(WHERE, `--method is required; methods: ${listChoices(METHOD_NAMES)}`);
  }
  checkChoice(WHERE, '--method', method, METHOD_NAMES);
  const own: MethodFlag[] = methodFlags(method, COMMON);
  const hint = (flag: string) => {
    const owners = methodsWithFlag(flag, COMMON);
    if (owners.length === 0) return undefined;
    return `--${flag} is an option of ${listChoices(owners)}, not of --method ${method}; ${method}'s options: ` +
      `${own.map((f) => `--${f.name}`).join(', ') || 'none'}`;
  };
  const { flags, positional } = parseFlags(WHERE, args, [...FLAGS, ...own], hint);
  if (positional.length) {
    throw new UsageError(WHERE, `unexpected argument ${JSON.stringify(positional[0])}: images go after --image (--image a.jpg b.jpg)`);
  }
  if (typeof flags.model !== 'string') throw new UsageError(WHERE, '--model is required: a folder or model.json path, a URL, or shapes, road, rings');
  const images = flags.image as string[] | undefined;
  if (!images?.length) throw new UsageError(WHERE, '--image is required: one or more PNG or JPEG files');
  const alpha = typeof flags.alpha === 'string' ? numberFlag(WHERE, '--alpha', flags.alpha, 0, 1) : 0.5;
  return {
    model: flags.model,
    images,
    method,
    out: typeof flags.out === 'string' ? flags.out : '.',
    preprocess: (flags.preprocess as PreprocessPreset | undefined) ?? 'unit',
    colormap: (flags.colormap as string | undefined) ?? 'jet',
    alpha,
    options: methodOptionsFromFlags(WHERE, own, flags),
  };
}

/** The model's fixed input [height, width, channels]; null entries where the model takes any size. */
function inputShape(model: tf.LayersModel | tf.GraphModel): [number | null, number | null, number | null] {
  const shape = (model.inputs[0]?.shape ?? []) as (number | null)[];
  if (shape.length !== 4) {
    throw new UsageError(WHERE, `--model takes images as [batch, height, width, channels], but its input has shape [${shape.map((d) => d ?? -1).join(', ')}]`);
  }
  const fixed = (d: number | null) => (d === null || d < 0 ? null : d);
  return [fixed(shape[1]), fixed(shape[2]), fixed(shape[3])];
}

/** Class names from a model.json's userDefinedMetadata.classes (the shipped models have them). */
function classNames(model: tf.LayersModel | tf.GraphModel): string[] | undefined {
  const meta = (model as { getUserDefinedMetadata?: () => unknown }).getUserDefinedMetadata?.() as { classes?: unknown } | undefined;
  const classes = meta?.classes;
  return Array.isArray(classes) && classes.every((c) => typeof c === 'string') ? classes : undefined;
}

/** The target option from its text: an index for all, one per image, or class names. */
function resolveTarget(text: TargetText, n: number, classes: string[] | undefined): number | number[] {
  const values = 'indices' in text ? text.indices : text.names.map((name) => {
    if (!classes) throw new UsageError(WHERE, `--target ${JSON.stringify(name)}: the model lists no class names (userDefinedMetadata.classes in model.json); give an output index`);
    const k = classes.indexOf(name);
    if (k < 0) checkChoice(WHERE, '--target', name, classes);
    return k;
  });
  if (values.length === 1) return values[0];
  if (values.length !== n) throw new UsageError(WHERE, `--target gives ${values.length} targets for ${n} images; give one for all, or one per image`);
  return values;
}

function outputFile(a: ExplainArgs, image: string): string {
  const ext = path.extname(a.out).toLowerCase();
  if (['.png', '.jpg', '.jpeg'].includes(ext)) {
    if (a.images.length > 1) throw new UsageError(WHERE, `--out ${JSON.stringify(a.out)} names one file, but there are ${a.images.length} images; give a folder`);
    return a.out;
  }
  return path.join(a.out, `${path.basename(image, path.extname(image))}.${a.method}.png`);
}

export interface ExplainResult {
  files: string[];
  /** Notes printed to stderr (resizing, ...). */
  notes: string[];
}

/** Runs explain with parsed arguments; writes the PNGs and returns their paths. */
export async function runExplain(a: ExplainArgs, log: (line: string) => void = console.log, note: (line: string) => void = console.error): Promise<ExplainResult> {
  await ready();
  const notes: string[] = [];
  const tell = (s: string) => {
    notes.push(s);
    note(`note: ${s}`);
  };
  const info = getMethod(a.method);
  // Check the output names before the work.
  const files = a.images.map((img) => outputFile(a, img));
  const model = await loadModel(a.model);
  const tensors: tf.Tensor[] = [];
  try {
    const [h, w, c] = inputShape(model);
    if (c !== null && c !== 3 && c !== 1) throw new UsageError(WHERE, `--model takes ${c} input channels; explain gives it RGB photos (3 channels) or gray ones (1)`);
    const photos: tf.Tensor3D[] = [];
    const shown: tf.Tensor3D[] = [];
    for (const file of a.images) {
      const img = await loadImage(file);
      tensors.push(img);
      photos.push(img);
      const [ih, iw] = img.shape;
      let sized: tf.Tensor3D = img;
      if ((h !== null && h !== ih) || (w !== null && w !== iw)) {
        const th = h ?? ih, tw = w ?? iw;
        sized = tf.image.resizeBilinear(img, [th, tw], false, true);
        tensors.push(sized);
        const aspect = Math.abs(iw / ih - tw / th) > 0.02 * (tw / th) ? ' (its aspect ratio changes)' : '';
        tell(`${file} is ${iw}×${ih}; resized to ${tw}×${th}, the model's input size${aspect}`);
      }
      shown.push(sized);
    }
    if (h === null || w === null) {
      const sizes = new Set(shown.map((s) => s.shape.slice(0, 2).join('×')));
      if (sizes.size > 1) throw new UsageError(WHERE, `the model takes any image size, but the images differ in size (${[...sizes].join(', ')}); explain them one at a time or resize them to one size`);
    }
    const batch = tf.stack(shown) as tf.Tensor4D;
    tensors.push(batch);
    const gray = c === 1 ? tf.mean(batch, -1, true) : batch;
    if (c === 1) tensors.push(gray);
    const x = preprocess(gray, a.preprocess);
    tensors.push(x);

    const options: Record<string, unknown> = { ...a.options };
    const classes = classNames(model);
    if (options.target !== undefined) options.target = resolveTarget(options.target as TargetText, a.images.length, classes);
    if (info.long) {
      const bar = progressBar();
      options.onProgress = (done: number, total: number) => bar(done, total, a.method);
    }
    const scores = model.predict(x) as tf.Tensor;
    tensors.push(scores);
    let result: tf.Tensor;
    try {
      result = await info.run(model, x, options);
    } catch (e) {
      // Say which flag the method's complaint is about.
      const flag = e instanceof UnknownLayerError || e instanceof LayerError ? '--layer' : e instanceof TargetError ? '--target' : undefined;
      if (flag) (e as Error).message = `${WHERE}: ${flag}: ${(e as Error).message}`;
      throw e;
    }
    tensors.push(result);
    const maps = pixelMaps(info, result);
    tensors.push(maps);

    const scoreRows = (await scores.array()) as number[][] | number[];
    for (let i = 0; i < a.images.length; i++) {
      // The map goes back over the photo as it was given (bilinear, half-pixel centres), at its size.
      const img = photos[i];
      const map = tf.tidy(() => {
        const m = maps.slice([i], [1]) as tf.Tensor3D;
        const [, mh, mw] = m.shape;
        const [ph, pw] = img.shape;
        return (mh === ph && mw === pw ? m : tf.image.resizeBilinear(tf.expandDims(m, -1) as tf.Tensor4D, [ph, pw], false, true)).reshape([ph, pw]);
      });
      tensors.push(map);
      // A gray model sees the gray picture: draw the map over that.
      const under = c === 1 ? tf.tidy(() => tf.tile(tf.mean(img, -1, true), [1, 1, 3])) : img;
      if (under !== img) tensors.push(under);
      const picture = await overlay(under, map, { colormap: a.colormap as never, alpha: a.alpha });
      await saveImage(files[i], picture);
      const row = scoreRows[i];
      const out = Array.isArray(row) ? row : [row];
      const t = Array.isArray(options.target) ? (options.target as number[])[i] : options.target as number | undefined;
      const explained = t ?? (out.length > 1 ? out.indexOf(Math.max(...out)) : 0);
      const label = classes?.[explained] ? ` "${classes[explained]}"` : '';
      log(`${files[i]}: ${a.method} of output ${explained}${label} (model output ${Number(out[explained]).toPrecision(4)}${t === undefined && out.length > 1 ? ', the top class' : ''}) for ${a.images[i]}`);
    }
    return { files, notes };
  } finally {
    tf.dispose(tensors);
    model.dispose();
  }
}

export const command: Command = {
  summary: 'explain your own model on your own photos with one method, as PNGs',
  usage: explainUsage,
  async run(args) {
    const a = parseExplainArgs(args);
    await runExplain(a);
    return 0;
  },
};
