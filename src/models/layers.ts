/**
 * Layer listing and the default CAM layer, for LayersModel (nested models flattened) and GraphModel
 * (nodes, with shapes and short names), through the model's adapter.
 */
import type * as tf from '@tensorflow/tfjs';
import { resolveModel } from './adapter';
import type { LayerInfo, ListLayersOptions, Model } from './types';

export { isLayersModel, isGraphModel, modelKind } from './kind';

/**
 * The layers of a LayersModel, or the op nodes of a GraphModel (constants, placeholders and identities
 * left out), in the order the model runs them, with output shapes and short names (see LayerInfo). For a
 * GraphModel whose input signature leaves the size open, pass `inputSize` to get shapes (one probe pass).
 * A plain function has none.
 */
export function listLayers(model: Model, options: ListLayersOptions = {}): LayerInfo[] {
  return resolveModel('listLayers', model).layers(options);
}

/**
 * The layer CAM methods use when none is named: for a LayersModel the last layer, in execution order and
 * with nested models flattened, whose output is 4-D (`[N,h,w,c]`), e.g. the last convolution or pooling
 * block before global pooling / flatten; for a GraphModel the last node the scores depend on whose output
 * is a spatial feature map (4-D, more than one position, not a reshape, transpose, pad or slice) at the
 * size of `probe` (one input batch) or the model's fixed input size.
 */
export function defaultCamLayer(where: string, model: Model, probe?: tf.Tensor4D): string {
  return resolveModel(where, model).defaultCamLayer(probe);
}
