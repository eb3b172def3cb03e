import type * as tf from '@tensorflow/tfjs';

/** A function from an input batch `[N,H,W,C]` to scores `[N,K]` (or `[N]`), built from tfjs ops. */
export type ScoreFunction = (x: tf.Tensor4D) => tf.Tensor;

/**
 * What the methods accept: a Keras-style `tf.LayersModel` (Sequential, functional, nested), a converted
 * `tf.GraphModel`, or a plain differentiable function. Methods that need a layer (CAM family, layer
 * activations) need one of the first two.
 */
export type Model = tf.LayersModel | tf.GraphModel | ScoreFunction;

/** One entry of `listLayers(model)`. */
export interface LayerInfo {
  /** Layer name (LayersModel) or node name (GraphModel). Names are unique within a model. */
  name: string;
  /** Keras class name (`Conv2D`, `Dense`, ...) or GraphModel op (`Conv2D`, `Relu`, ...). */
  className: string;
  /** Output shape with `null` for the batch and any other unknown size; `null` when not known at all. */
  outputShape: (number | null)[] | null;
  /** Names of the enclosing nested models, outermost first (empty for top-level layers). */
  path: string[];
}
