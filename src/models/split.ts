/**
 * Splitting a model at a layer into input→activation (`head`) and activation→scores (`tail`), cached per
 * model and layer (see ModelAdapter.split). Feature visualization optimizes through `head`; methods that
 * perturb an activation run `tail` alone.
 */
import { resolveModel, SplitModel } from './adapter';
import type { Model } from './types';

export type { SplitModel };

export function splitModel(model: Model, layer: string): SplitModel {
  return resolveModel('splitModel', model).split(layer);
}
