/**
 * One call that scores several attribution methods by several measures on the same images: a table of
 * methods × measures (the mean over the images of each measure's per-item number), the rank of each
 * method per measure (1 = best; ties share their mean rank), and the raw results behind each cell (the
 * curves and the cascade, for `evaluationFigures`). `evaluateSeeds` repeats it over seeds (fresh images
 * per seed when `images` is a function, and fresh perturbation, imputation and randomisation seeds) and
 * says which ranks hold at every seed.
 *
 * The measures and the number each contributes (`EVALUATION_BETTER` says which direction is better):
 * - `deletion`, `insertion`: the AUC (RISE; lower / higher is better);
 * - `road`: ROAD's combined score, mean of (LeRF − MoRF) / 2 (higher);
 * - `infidelity`: with `normalize: true` (Captum's), so that the scale of a map does not decide (lower);
 * - `sensitivityMax`: max-sensitivity (lower);
 * - `localisation`: the energy-based pointing game against `masks` (higher);
 * - `randomisation`: the mean over the cascade's steps of the Spearman correlation with the trained
 *   model's map (lower: the map depends on the weights).
 * Each map-based measure gets the method's map `[N,H,W]`, an input-shaped explanation reduced over
 * channels by `reduce` (default `signed`: Σ over channels, the attribution of a pixel); infidelity gets
 * the explanation as it is. The target of each item is fixed on the clean input for every measure.
 *
 * Progress: `onProgress(done, total)` after each (method, measure) cell; `signal` stops between cells
 * and inside the measures (a CancelledError).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import type { Model } from '../models/types';
import { checkInput, checkModel, resolveTarget, Target } from '../methods/common';
import { CHANNEL_REDUCTIONS, ChannelReduction, reduceChannels } from '../methods/gradient';
import { checkpoint } from '../methods/loop';
import { checkChoice } from '../methods/options';
import type { AttributionFunction } from '../methods/smooth-grad';
import { effectiveSignal } from '../signal';
import { ranks } from './common';
import { InfidelityOptions, infidelity } from './infidelity';
import { localisation } from './localisation';
import { deletion, insertion, PixelCurve, PixelCurveOptions } from './pixel-curve';
import { modelRandomisation, Randomisation, RandomisationOptions } from './randomisation';
import { road, Road, RoadOptions } from './road';
import { sensitivityMax, SensitivityMaxOptions } from './sensitivity';
import { explainer } from './sensitivity';

export const EVALUATION_MEASURES = ['deletion', 'insertion', 'road', 'infidelity', 'sensitivityMax', 'localisation', 'randomisation'] as const;
export type EvaluationMeasure = (typeof EVALUATION_MEASURES)[number];

/** Which direction of each measure's number is better. */
export const EVALUATION_BETTER: Readonly<Record<EvaluationMeasure, 'lower' | 'higher'>> = Object.freeze({
  deletion: 'lower', insertion: 'higher', road: 'higher', infidelity: 'lower', sensitivityMax: 'lower', localisation: 'higher', randomisation: 'lower',
});

/** A method to evaluate: a registry name, or a named explanation function. */
export type EvaluatedMethod = string | { name: string; run: AttributionFunction };

/** Options of the measures, passed through (their seed comes from `seed`; target and signal are shared). */
export interface MeasureOptions {
  deletion?: Omit<PixelCurveOptions, 'target' | 'signal'>;
  insertion?: Omit<PixelCurveOptions, 'target' | 'signal'>;
  road?: Omit<RoadOptions, 'target' | 'signal' | 'seed'>;
  infidelity?: Omit<InfidelityOptions, 'target' | 'signal' | 'seed'>;
  sensitivityMax?: Omit<SensitivityMaxOptions, 'target' | 'signal' | 'seed' | 'methodOptions'>;
  randomisation?: Omit<RandomisationOptions, 'target' | 'signal' | 'seed' | 'methodOptions'>;
}

export interface EvaluateOptions {
  /** The methods, in table order. */
  methods: EvaluatedMethod[];
  /** The measures, in table order. Default: all of EVALUATION_MEASURES that apply (localisation needs `masks`, randomisation a LayersModel). */
  measures?: EvaluationMeasure[];
  /** Options of each registry method by name. */
  methodOptions?: Record<string, Record<string, unknown>>;
  /** Options of each measure. */
  measureOptions?: MeasureOptions;
  /** Ground-truth masks `[N,H,W]` for `localisation`. */
  masks?: tf.Tensor | null;
  /** How an input-shaped explanation becomes a map. Default `signed` (Σ over channels). */
  reduce?: ChannelReduction;
  /** Seed of every random part (perturbations, imputation noise, random weights). Default 0. */
  seed?: number;
  target?: Target | null;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The raw results behind one method's row. */
export interface EvaluationDetails {
  deletion?: PixelCurve;
  insertion?: PixelCurve;
  road?: Road;
  infidelity?: number[];
  sensitivityMax?: number[];
  localisation?: number[];
  randomisation?: Randomisation;
}

export interface Evaluation {
  methods: string[];
  measures: EvaluationMeasure[];
  /** `table[m][k]`: method m's mean over the images of measure k. */
  table: number[][];
  /** `ranks[m][k]`: method m's rank among the methods for measure k (1 = best, ties share the mean). */
  ranks: number[][];
  /** By method name. */
  details: Record<string, EvaluationDetails>;
  seed: number;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Ranks 1 = best of one column of numbers, by the measure's direction. */
export function rankColumn(values: readonly number[], better: 'lower' | 'higher'): number[] {
  return Array.from(ranks(values.map((v) => (better === 'lower' ? v : -v))));
}

function methodName(where: string, m: EvaluatedMethod): string {
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object' && typeof m.name === 'string' && typeof m.run === 'function') return m.name;
  throw new OptionError(where, `each method must be a method name or { name, run }, got ${JSON.stringify(m)}`);
}

/** Scores each method by each measure on the same images; see the module comment. */
export async function evaluate(model: Model, images: tf.Tensor, options: EvaluateOptions): Promise<Evaluation> {
  const where = 'evaluate';
  checkModel(where, model);
  if (!options || !Array.isArray(options.methods) || options.methods.length === 0) {
    throw new OptionError(where, 'methods must be a non-empty array of method names or { name, run }');
  }
  const names = options.methods.map((m) => methodName(where, m));
  const dup = names.find((nm, i) => names.indexOf(nm) !== i);
  if (dup) throw new OptionError(where, `method ${JSON.stringify(dup)} is listed twice`);
  const explainers = options.methods.map((m) => (typeof m === 'string' ? explainer(where, m, options.methodOptions?.[m]) : m.run));
  const layers = 'layers' in model && Array.isArray((model as tf.LayersModel).layers);
  const defaults = EVALUATION_MEASURES.filter((k) => (k !== 'localisation' || options.masks) && (k !== 'randomisation' || layers));
  const measures = options.measures ?? defaults;
  if (!Array.isArray(measures) || measures.length === 0) throw new OptionError(where, `measures must be a non-empty array of ${EVALUATION_MEASURES.join(', ')}`);
  measures.forEach((k) => checkChoice(where, 'measure', k, EVALUATION_MEASURES));
  if (measures.includes('localisation') && !options.masks) throw new OptionError(where, 'the localisation measure needs masks [N,H,W]');
  const reduce = checkChoice(where, 'reduce', options.reduce ?? 'signed', CHANNEL_REDUCTIONS);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new OptionError(where, `seed must be an integer, got ${JSON.stringify(seed)}`);
  const x = await checkInput(where, model, images);
  const signal = effectiveSignal(options.signal);
  const target = await resolveTarget(where, model, x, options.target, {});
  const mo = options.measureOptions ?? {};
  const total = names.length * measures.length;
  let done = 0;
  const table: number[][] = [];
  const details: Record<string, EvaluationDetails> = {};
  for (let mi = 0; mi < names.length; mi++) {
    await checkpoint(where, signal);
    const explain = explainers[mi];
    const d: EvaluationDetails = {};
    details[names[mi]] = d;
    const raw = await explain(model, x, { target });
    const map = tf.tidy(() => (raw.rank === 4 ? reduceChannels(raw as tf.Tensor4D, reduce) : raw.clone()));
    const row: number[] = [];
    try {
      for (const k of measures) {
        await checkpoint(where, signal);
        switch (k) {
          case 'deletion':
            d.deletion = await deletion(model, x, map, { ...mo.deletion, target, signal });
            row.push(mean(d.deletion.auc));
            break;
          case 'insertion':
            d.insertion = await insertion(model, x, map, { ...mo.insertion, target, signal });
            row.push(mean(d.insertion.auc));
            break;
          case 'road':
            d.road = await road(model, x, map, { ...mo.road, target, signal, seed });
            row.push(mean(d.road.combined));
            break;
          case 'infidelity':
            d.infidelity = await infidelity(model, x, raw, { normalize: true, ...mo.infidelity, target, signal, seed });
            row.push(mean(d.infidelity));
            break;
          case 'sensitivityMax':
            d.sensitivityMax = await sensitivityMax(model, x, explain, { ...mo.sensitivityMax, target, signal, seed });
            row.push(mean(d.sensitivityMax));
            break;
          case 'localisation':
            d.localisation = (await localisation(map, options.masks as tf.Tensor)).energy;
            row.push(mean(d.localisation));
            break;
          case 'randomisation': {
            d.randomisation = await modelRandomisation(model, x, explain, { ...mo.randomisation, target, signal, seed });
            row.push(mean(d.randomisation.spearman.map(mean)));
            break;
          }
        }
        options.onProgress?.(++done, total);
      }
    } finally {
      tf.dispose([raw, map]);
    }
    table.push(row);
  }
  const columns = measures.map((k, j) => rankColumn(table.map((r) => r[j]), EVALUATION_BETTER[k]));
  return { methods: names, measures: [...measures], table, ranks: names.map((_, m) => columns.map((c) => c[m])), details, seed };
}

export interface SeedEvaluation {
  seeds: number[];
  runs: Evaluation[];
  methods: string[];
  measures: EvaluationMeasure[];
  /** `ranks[m][k]`: method m's rank for measure k at each seed. */
  ranks: number[][][];
  /** `stable[m][k]`: the same rank at every seed. */
  stable: boolean[][];
  /** `meanTable[m][k]`: the mean over the seeds of the table. */
  meanTable: number[][];
}

/**
 * `evaluate` at each seed (default 1, 2, 3): `images` is a tensor (the same images each time, only the
 * measures' random parts change) or a function of the seed that returns fresh images (and masks) the
 * caller owns and this function disposes. Progress counts cells over all seeds.
 */
export async function evaluateSeeds(
  model: Model,
  images: tf.Tensor | ((seed: number) => { images: tf.Tensor; masks?: tf.Tensor | null }),
  options: EvaluateOptions & { seeds?: number[] },
): Promise<SeedEvaluation> {
  const where = 'evaluateSeeds';
  const seeds = options.seeds ?? [1, 2, 3];
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new OptionError(where, `seeds must be a non-empty array of integers, got ${JSON.stringify(seeds)}`);
  const runs: Evaluation[] = [];
  let offset = 0;
  for (const seed of seeds) {
    const given = typeof images === 'function' ? images(seed) : { images, masks: options.masks };
    try {
      const run = await evaluate(model, given.images, {
        ...options, seed, masks: given.masks ?? null,
        onProgress: options.onProgress && ((d, t) => options.onProgress?.(offset + d, t * seeds.length)),
      });
      offset += run.methods.length * run.measures.length;
      runs.push(run);
    } finally {
      if (typeof images === 'function') tf.dispose([given.images, ...(given.masks ? [given.masks] : [])]);
    }
  }
  const { methods, measures } = runs[0];
  const rankSets = methods.map((_, m) => measures.map((_, k) => runs.map((r) => r.ranks[m][k])));
  return {
    seeds: [...seeds], runs, methods, measures,
    ranks: rankSets,
    stable: rankSets.map((row) => row.map((rs) => rs.every((r) => r === rs[0]))),
    meanTable: methods.map((_, m) => measures.map((_, k) => mean(runs.map((r) => r.table[m][k])))),
  };
}

const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

/**
 * A markdown table of a seed evaluation: per method and measure the mean value over the seeds and the
 * ranks at each seed, in bold where they agree at every seed.
 */
export function formatSeedEvaluation(e: SeedEvaluation): string {
  const head = `| method | ${e.measures.map((k) => `${k} (${EVALUATION_BETTER[k]} better)`).join(' | ')} |`;
  const sep = `|---|${e.measures.map(() => '---').join('|')}|`;
  const rows = e.methods.map((name, m) => {
    const cells = e.measures.map((_, k) => {
      const rs = e.ranks[m][k].map((r) => (Number.isInteger(r) ? String(r) : r.toFixed(1))).join('/');
      return `${fmt(e.meanTable[m][k])}, rank ${e.stable[m][k] ? `**${rs}**` : rs}`;
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n');
}
