/**
 * What kind of model a value is. Kept apart from everything else in `src/models` (it imports nothing
 * there), so that every module can ask without an import cycle.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors';

export type ModelKind = 'layers' | 'graph' | 'function';

export function isLayersModel(m: unknown): m is tf.LayersModel {
  return m instanceof tf.LayersModel || (typeof m === 'object' && m !== null && Array.isArray((m as tf.LayersModel).layers) && typeof (m as tf.LayersModel).apply === 'function');
}

export function isGraphModel(m: unknown): m is tf.GraphModel {
  return m instanceof tf.GraphModel || (typeof m === 'object' && m !== null && typeof (m as tf.GraphModel).execute === 'function' && 'modelVersion' in (m as object));
}

/** The kind of `m`; ModelError naming what was given for anything else. */
export function modelKind(where: string, m: unknown): ModelKind {
  if (isLayersModel(m)) return 'layers';
  if (isGraphModel(m)) return 'graph';
  if (typeof m === 'function') return 'function';
  throw new ModelError(where, `unsupported model ${describe(m)}; expected a tf.LayersModel, a tf.GraphModel or a function (x) => scores`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `of type ${(v as object).constructor?.name ?? 'object'}`;
  return `of type ${typeof v}`;
}
