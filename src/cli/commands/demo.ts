/**
 * `saliency-lab demo`: every attribution method of the registry on the three shipped models and
 * generated images, written as a self-contained HTML report (pictures, plotly figures, each method's
 * time, how much of each map falls on the ground truth) and PNG files.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../main';
import { ready } from '../../backend';
import { SaliencyError } from '../../errors';
import { data } from '../../data';
import type { Dataset } from '../../data/common';
import { loadModel } from '../../models/load';
import { SHIPPED_INFO, SHIPPED_MODELS, type ShippedModelName } from '../../models/shipped';
import { METHOD_NAMES, getMethod } from '../../methods/registry';
import { gallery } from '../../viz/gallery';
import { overlay } from '../../viz/overlay';
import { subplotsFigure } from '../../viz/plotly';
import { type FlagSpec, UsageError, flagHelp, intFlag, parseFlags } from '../args';
import { massMaps, pixelMaps, shareRatios } from '../maps';
import { progressBar } from '../progress';
import { type Block, type Report, type Section, writeReport } from '../report';

const WHERE = 'saliency-lab demo';

/** Data seed of the demo's images: outside the seeds training uses (s·1000 … s·1000+999 for the default s = 1). */
export const DEMO_SEED = 7_000_005;

/**
 * `--quick` (for CI and a first look): 2 images a model instead of 4, and fewer samples in the methods
 * that loop. Every other option is the method's default.
 */
export const QUICK_OPTIONS: Record<string, Record<string, unknown>> = {
  smoothGrad: { samples: 8, seed: 0 },
  integratedGradients: { steps: 16 },
  layerConductance: { steps: 16 },
  internalInfluence: { steps: 16 },
  layerIntegratedGradients: { steps: 16 },
  occlusion: { window: 8, stride: 8 },
  gradientShap: { samples: 4, seed: 0 },
  expectedGradients: { samples: 8, seed: 0 },
  guidedIg: { steps: 16 },
  blurIg: { steps: 16 },
  xrai: { steps: 8 },
  shapleyValueSampling: { samples: 2, seed: 0 },
  lime: { samples: 16, seed: 0 },
  kernelShap: { samples: 16, seed: 0 },
  rise: { samples: 64, seed: 0 },
};
const FULL_OPTIONS: Record<string, Record<string, unknown>> = {
  smoothGrad: { seed: 0 }, gradientShap: { seed: 0 }, expectedGradients: { seed: 0 },
  shapleyValueSampling: { seed: 0 }, lime: { seed: 0 }, kernelShap: { seed: 0 }, rise: { seed: 0 },
};

const FLAGS: FlagSpec[] = [
  { name: 'out', value: 'DIR', description: 'folder for report.html and the PNGs', default: 'saliency-lab-demo' },
  { name: 'quick', description: `fast mode (CI): 2 images a model, ${Object.entries(QUICK_OPTIONS).map(([m, o]) => `${m} ${JSON.stringify(o)}`).join(', ')}` },
  { name: 'images', value: 'N', description: 'images per model (default 4, 2 with --quick)' },
  { name: 'methods', value: 'A,B', description: 'only these methods (comma-separated)', default: 'all' },
];

const USAGE = [
  'usage: saliency-lab demo [--out DIR] [--quick] [--images N] [--methods A,B]',
  '',
  `Runs every attribution method (${METHOD_NAMES.length}) on the shipped models (${SHIPPED_MODELS.join(', ')}) and on`,
  `generated images (data seed ${DEMO_SEED}), then writes DIR/report.html (self-contained: open it in any browser)`,
  'and DIR/<model>/*.png. Progress goes to stderr; the report\'s path to stdout.',
  '',
  ...flagHelp(FLAGS),
].join('\n');

export interface DemoOptions {
  out: string;
  quick: boolean;
  images: number;
  methods: readonly string[];
  /** Progress callback (default: a bar on stderr). */
  onProgress?: (done: number, total: number, detail: string) => void;
}

/** One method on one model: its time and how much of its maps falls on the ground truth. */
export interface MethodRun {
  model: ShippedModelName;
  method: string;
  options: Record<string, unknown>;
  /** Wall milliseconds of the call (all images at once). */
  ms?: number;
  /** Mean over images of (mass on the mask / mask's share of the image). */
  groundTruthRatio?: number;
  /** Why it does not apply to this model (a typed error's message). */
  skipped?: string;
  /** The PNG written for it, relative to the output folder. */
  file?: string;
}

export interface DemoResult {
  report: string;
  runs: MethodRun[];
  files: string[];
  seconds: number;
}

function parse(args: string[]): DemoOptions {
  const { flags, positional } = parseFlags(WHERE, args, FLAGS);
  if (positional.length) throw new UsageError(WHERE, `unexpected argument ${JSON.stringify(positional[0])}; the demo takes only flags (see --help)`);
  const quick = flags.quick === true;
  let images = quick ? 2 : 4;
  if (typeof flags.images === 'string') images = intFlag(WHERE, '--images', flags.images, 1, 16);
  let methods: readonly string[] = METHOD_NAMES;
  if (typeof flags.methods === 'string' && flags.methods !== 'all') {
    methods = flags.methods.split(',').map((m) => m.trim());
    for (const m of methods) {
      if (!METHOD_NAMES.includes(m)) throw new UsageError(WHERE, `--methods: unknown method ${JSON.stringify(m)}; methods: ${METHOD_NAMES.join(', ')}`);
    }
  }
  return { out: typeof flags.out === 'string' ? flags.out : 'saliency-lab-demo', quick, images, methods };
}

function disposeData(d: Dataset): void {
  tf.dispose([d.images, d.labels, d.masks, ...Object.values(d.regions)]);
}

function fmt(v: number | undefined, digits = 2): string {
  return v === undefined ? '—' : v.toFixed(digits);
}

async function png(img: { toPNG(): Uint8Array }, file: string, files: string[]): Promise<Uint8Array> {
  const bytes = img.toPNG();
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, bytes);
  files.push(file);
  return bytes;
}

const GROUND_TRUTH: Record<ShippedModelName, string> = {
  shapes: 'the target shape',
  road: 'the lane markings',
  rings: 'the growth rings of the large scale',
};

/** Runs the demo and writes the report; returns where everything went. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const info = await ready();
  const outDir = path.resolve(o.out);
  const progress = o.onProgress ?? progressBar();
  const total = SHIPPED_MODELS.length * o.methods.length;
  let done = 0;
  const runs: MethodRun[] = [];
  const files: string[] = [];
  const sections: Section[] = [];
  progress(0, total, 'loading');

  for (const name of SHIPPED_MODELS) {
    const shipped = SHIPPED_INFO[name];
    const model = (await loadModel(name)) as tf.LayersModel;
    const d = data[name]({ n: o.images, seed: DEMO_SEED, size: 64 });
    const labels = Array.from(await d.labels.data());
    const outputs = model.predict(d.images) as tf.Tensor;
    const predicted = Array.from(await (shipped.task === 'classification' ? tf.tidy(() => tf.argMax(outputs, -1)) : outputs).data());
    outputs.dispose();
    const captions = labels.map((l, i) => shipped.classes
      ? `${shipped.classes[l]} (predicted ${shipped.classes[predicted[i]]})`
      : `${l.toFixed(1)} (predicted ${predicted[i].toFixed(1)})`);
    const blocks: Block[] = [];
    const inputs = await gallery(d.images, { zoom: 3, labels: labels.map((_, i) => `${i}`) });
    blocks.push({ kind: 'image', title: `${name}: the ${o.images} inputs`, caption: `label (prediction): ${captions.map((c, i) => `${i}: ${c}`).join('; ')}`,
      png: await png(inputs, path.join(outDir, name, 'inputs.png'), files), file: `${name}/inputs.png` });

    const mass: { method: string; map: tf.Tensor3D }[] = [];
    const rows: string[][] = [];
    for (const method of o.methods) {
      const entry = getMethod(method);
      const options: Record<string, unknown> = { ...(o.quick ? QUICK_OPTIONS : FULL_OPTIONS)[method] };
      const has = (opt: string) => entry.options.some((x) => x.name === opt);
      // The true class for the classifier (what the ground truth is about); the single output for regressions.
      if (has('target')) options.target = shipped.task === 'classification' ? labels : 0;
      if (has('layer')) options.layer = shipped.camLayer;
      const run: MethodRun = { model: name, method, options };
      runs.push(run);
      const t0 = Date.now();
      let result: tf.Tensor | undefined;
      try {
        result = await entry.run(model, d.images, options);
      } catch (e) {
        // A method that cannot serve this architecture (CAM needs GAP → Dense) says why; anything else is a bug.
        if (!(e instanceof SaliencyError)) throw e;
        run.skipped = e.message;
      }
      if (result) {
        run.ms = Date.now() - t0;
        const pixels = pixelMaps(entry, result, [d.images.shape[1], d.images.shape[2]]);
        result.dispose();
        const m = massMaps(pixels);
        pixels.dispose();
        const { share, area } = await shareRatios(m, d.masks);
        run.groundTruthRatio = share.reduce((s, v, i) => s + v / Math.max(area[i], 1e-12), 0) / share.length;
        const tiles = [];
        for (let i = 0; i < o.images; i++) {
          const [img, map] = tf.tidy(() => [d.images.slice([i], [1]).squeeze([0]), m.slice([i], [1]).squeeze([0])]);
          tiles.push(await overlay(img, map, { normalize: { percentile: 99 }, alpha: 0.6 }));
          tf.dispose([img, map]);
        }
        run.file = `${name}/${method}.png`;
        const picture = await gallery(tiles, { zoom: 3, columns: o.images });
        blocks.push({ kind: 'image', title: `${entry.title} (${method})`, caption: `${run.ms} ms`, png: await png(picture, path.join(outDir, run.file), files), file: run.file });
        mass.push({ method, map: m });
      }
      rows.push([entry.title, method, run.skipped ? 'not applicable' : `${run.ms} ms`, run.skipped ? '—' : `${(run.ms! / o.images).toFixed(0)} ms`,
        fmt(run.groundTruthRatio), Object.keys(options).filter((k) => k !== 'target').map((k) => `${k}=${JSON.stringify(options[k])}`).join(' ') || 'defaults',
        run.skipped ?? '']);
      done++;
      progress(done, total, `${name} ${method}`);
    }

    if (mass.length) {
      // One figure and one PNG for the first image, every method on one color scale: the fraction of the attribution per pixel.
      const first = tf.tidy(() => mass.map((x) => x.map.slice([0], [1]).squeeze([0]) as tf.Tensor2D));
      const normalize = { scale: 'shared' as const, percentile: 99 };
      const figure = await subplotsFigure(first, { titles: mass.map((x) => x.method), title: `${name}, image 0: fraction of the attribution per pixel (one scale)`, normalize, panelSize: 180 });
      const atlas = await gallery(first, { zoom: 3, labels: mass.map((x) => x.method), normalize, colormap: 'inferno' });
      blocks.unshift(
        { kind: 'figure', title: `${name}: every method on image 0, one shared scale`, spec: figure.toJSON() },
        { kind: 'image', title: `${name}: comparison on one shared scale`, caption: 'image 0; each map divided by its sum, one color range (99th percentile) for all',
          png: await png(atlas, path.join(outDir, name, 'comparison.png'), files), file: `${name}/comparison.png` },
      );
      tf.dispose(first);
      tf.dispose(mass.map((x) => x.map));
    }
    blocks.splice(mass.length ? 2 : 0, 0, {
      kind: 'table', title: `${name}: time and ground truth`,
      head: ['method', 'name', 'time', 'per image', `mass on ${GROUND_TRUTH[name]} ÷ its area share`, 'options', 'note'], rows,
    });
    sections.push({
      title: `${name}: ${shipped.task === 'classification' ? `classifier (${shipped.classes!.join(', ')})` : `regression: ${shipped.output}`}`,
      intro: `Model models/${name} on ${o.images} generated images (data.${name}, seed ${DEMO_SEED}). The ground truth is ${GROUND_TRUTH[name]}: ` +
        'a ratio of 1 means a map is drawn to it no more than a uniform map would be. CAM methods use the layer ' +
        `${shipped.camLayer}; targets are ${shipped.task === 'classification' ? 'the true classes' : 'the single output'}.`,
      blocks,
    });
    disposeData(d);
    model.dispose();
  }

  const timed = runs.filter((r) => r.ms !== undefined);
  const timeFigure = {
    data: SHIPPED_MODELS.map((name) => ({
      type: 'bar', name,
      x: timed.filter((r) => r.model === name).map((r) => r.method),
      y: timed.filter((r) => r.model === name).map((r) => r.ms! / o.images),
    })),
    layout: { title: { text: 'milliseconds per image' }, barmode: 'group', yaxis: { type: 'log', title: { text: 'ms per image (log)' } }, height: 420 },
  };
  const seconds = (Date.now() - started) / 1000;
  const report: Report = {
    title: 'saliency-lab demo',
    meta: [
      `saliency-lab ${packageVersion()} · backend ${info.name} (${info.package}) · Node ${process.version} · ${new Date().toISOString()}`,
      `${o.quick ? 'quick mode' : 'full mode'}: ${o.methods.length} methods × ${SHIPPED_MODELS.length} models × ${o.images} images in ${seconds.toFixed(1)} s` +
        ` (${timed.length} runs, ${runs.length - timed.length} not applicable)`,
    ],
    sections: [
      {
        title: 'Time per method', intro: 'Wall time of one call on all images of a model, divided by the number of images (includes the first call\'s set-up).',
        blocks: [{ kind: 'figure', title: 'time per image', spec: timeFigure }],
      },
      ...sections,
    ],
  };
  const file = await writeReport(path.join(outDir, 'report.html'), report);
  return { report: file, runs, files, seconds };
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export const command: Command = {
  summary: 'run every method on the shipped models and write an HTML report (start here)',
  usage: USAGE,
  async run(args) {
    const o = parse(args);
    const r = await runDemo(o);
    const skipped = r.runs.filter((x) => x.skipped);
    console.log(`${r.runs.length - skipped.length} method runs on ${SHIPPED_MODELS.length} models in ${r.seconds.toFixed(1)} s` +
      (skipped.length ? ` (${skipped.length} not applicable: ${skipped.map((x) => `${x.method} on ${x.model}`).join(', ')})` : ''));
    console.log(`PNGs: ${path.dirname(r.report)}`);
    console.log(`report: ${r.report}`);
    return 0;
  },
};
