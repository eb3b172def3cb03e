import * as path from 'path';
import type { Command } from '../main';
import { OptionError } from '../../errors';
import { SHIPPED_INFO, SHIPPED_MODELS, isShippedModelName } from '../../models/shipped';
import { saveModel } from '../../models/load';
import { trainShipped } from '../../models/train';
import { progressBar } from '../progress';

const USAGE = `usage: saliency-lab train <${SHIPPED_MODELS.join('|')}> [--short] [--out DIR] [--seed S] [--chunks N]

Trains a shipped model's architecture from scratch on freshly generated synthetic data, reports its
held-out accuracy or error, and saves it (model.json + weights.bin) to DIR.

  --out DIR     where to save (default: models/<data set>)
  --seed S      seed for data and initial weights (default 1, the shipped weights)
  --short       a few seconds' run (2 small chunks) to check that everything works
  --chunks N    number of 256-image training chunks (default: the data set's recipe)`;

function parseArgs(args: string[]) {
  const where = 'saliency-lab train';
  const out: { dataset?: string; short: boolean; outDir?: string; seed?: number; chunks?: number } = { short: false };
  const number = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n)) throw new OptionError(where, `${flag} needs an integer, got ${JSON.stringify(v ?? '')}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--short') out.short = true;
    else if (a === '--out') out.outDir = args[++i];
    else if (a === '--seed') out.seed = number(a, args[++i]);
    else if (a === '--chunks') out.chunks = number(a, args[++i]);
    else if (a.startsWith('-')) throw new OptionError(where, `unknown option ${JSON.stringify(a)}; options: --short, --out, --seed, --chunks`);
    else if (out.dataset === undefined) out.dataset = a;
    else throw new OptionError(where, `unexpected argument ${JSON.stringify(a)}`);
  }
  if (out.dataset === undefined || !isShippedModelName(out.dataset)) {
    throw new OptionError(where, `expected a data set, one of ${SHIPPED_MODELS.join(', ')}; got ${JSON.stringify(out.dataset ?? '')}`);
  }
  if (out.outDir === undefined && args.includes('--out')) throw new OptionError(where, '--out needs a directory');
  return { ...out, dataset: out.dataset };
}

/** `saliency-lab train <data set>`: reproduces a shipped model from scratch. */
export const command: Command = {
  summary: 'train a shipped model (shapes, road, rings) from scratch on synthetic data',
  usage: USAGE,
  async run(args) {
    const o = parseArgs(args);
    const outDir = path.resolve(o.outDir ?? path.join('models', o.dataset));
    const bar = progressBar();
    const result = await trainShipped(o.dataset, {
      seed: o.seed, short: o.short, chunks: o.chunks,
      onProgress: (p) => bar(p.batch, p.batches, `batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)}`),
    });
    try {
      const m = result.metrics;
      const quality = m.accuracy !== undefined
        ? `accuracy ${(m.accuracy * 100).toFixed(1)}%`
        : `MAE ${m.mae!.toFixed(3)} (label std ${m.labelStd!.toFixed(3)}, MAE/std ${(m.maeOverStd! * 100).toFixed(1)}%)`;
      console.log(`${o.dataset}: held out (${m.n} images, data seed ${m.seed}): ${quality}`);
      const command = ['saliency-lab train', o.dataset, ...(o.short ? ['--short'] : []),
        ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []), ...(o.chunks !== undefined ? ['--chunks', String(o.chunks)] : [])].join(' ');
      await saveModel(result.model, outDir, {
        ...SHIPPED_INFO[o.dataset], trainedWith: command, seed: o.seed ?? 1, heldOut: m,
        backend: result.backend, seconds: Math.round(result.seconds),
      });
      console.log(`saved ${path.join(outDir, 'model.json')} (trained on ${result.backend} in ${result.seconds.toFixed(0)} s)`);
    } finally {
      result.model.dispose();
    }
    return 0;
  },
};
