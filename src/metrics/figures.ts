/**
 * Plotly figures of an evaluation (see ./evaluate), built with viz's `lineFigure`: the mean deletion and
 * insertion curves of each method, the mean ROAD MoRF and LeRF curves (one figure each), and the randomisation cascade
 * (mean Spearman correlation with the trained model's map after each layer). Each is a PlotlyFigure
 * (with its PNG fallback) or null when the evaluation did not run that measure.
 */
import { lineFigure, PlotlyFigure } from '../viz/plotly';
import type { Evaluation } from './evaluate';

const meanCurve = (curves: number[][]) => curves[0].map((_, k) => curves.reduce((s, c) => s + c[k], 0) / curves.length);

export interface EvaluationFigures {
  deletion: PlotlyFigure | null;
  insertion: PlotlyFigure | null;
  roadMorf: PlotlyFigure | null;
  roadLerf: PlotlyFigure | null;
  cascade: PlotlyFigure | null;
}

/** The figures of an evaluation; see the module comment. */
export async function evaluationFigures(e: Evaluation, options: { title?: string; width?: number; height?: number } = {}): Promise<EvaluationFigures> {
  const prefix = options.title ? `${options.title}: ` : '';
  const size = { width: options.width ?? 640, height: options.height ?? 420 };
  const curve = async (k: 'deletion' | 'insertion', what: string) => {
    if (!e.measures.includes(k)) return null;
    return lineFigure(e.methods.map((name) => {
      const c = e.details[name][k];
      return { name, x: c?.fractions ?? [], y: c ? meanCurve(c.curves) : [] };
    }), { title: `${prefix}${k} curves (mean over images)`, xTitle: `fraction of pixels ${what}`, yTitle: 'target score', ...size });
  };
  const roadFigure = (order: 'morf' | 'lerf') => e.measures.includes('road')
    ? lineFigure(e.methods.map((name) => {
      const r = e.details[name].road;
      return { name, x: r?.fractions ?? [], y: r ? meanCurve(r[order]) : [] };
    }), { title: `${prefix}ROAD, ${order === 'morf' ? 'most' : 'least'} relevant first (mean over images)`, xTitle: 'fraction of pixels removed and imputed', yTitle: 'target score', ...size })
    : null;
  const cascade = e.measures.includes('randomisation')
    ? await lineFigure(e.methods.map((name) => {
      const r = e.details[name].randomisation;
      return { name, x: r ? r.layers.map((_, k) => k + 1) : [], y: r ? r.spearman.map((s) => s.reduce((a, b) => a + b, 0) / s.length) : [] };
    }), { title: `${prefix}randomisation cascade`, xTitle: `layers randomised from the output (1: ${e.details[e.methods[0]].randomisation?.layers[0] ?? ''} alone)`, yTitle: 'mean Spearman with the trained map', ...size })
    : null;
  return { deletion: await curve('deletion', 'deleted'), insertion: await curve('insertion', 'inserted'), roadMorf: await roadFigure('morf'), roadLerf: await roadFigure('lerf'), cascade };
}
