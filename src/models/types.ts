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
  /** Layer name (LayersModel; nested models may repeat one, see `shortName`) or node name (GraphModel, unique). */
  name: string;
  /**
   * The name to show and to pass back as a layer, unique within the model: for a LayersModel the layer's
   * name (qualified by its nested model, `inner/conv`, where two nested models use the same one); for a
   * GraphModel the Keras layer name inside the node path (`block3_conv2` for
   * `StatefulPartitionedCall/model/block3_conv2/Relu`) when the node is that layer's output and the name
   * is unambiguous, else the full node name.
   */
  shortName: string;
  /** Keras class name (`Conv2D`, `Dense`, ...) or GraphModel op (`_FusedConv2D`, `Relu`, ...). */
  className: string;
  /**
   * Output shape with `null` for the batch and any other unknown size; `null` when not known at all. For a
   * GraphModel the shapes come from one probe pass at the input signature's size (or `inputSize`), so they
   * hold for that input size.
   */
  outputShape: (number | null)[] | null;
  /** Names of the enclosing nested models, outermost first (empty for top-level layers and graph nodes). */
  path: string[];
}

/** Options of `listLayers`. */
export interface ListLayersOptions {
  /**
   * `[height, width]` of the input at which a GraphModel whose signature leaves the size open is probed for
   * its nodes' output shapes. Without it such a model's shapes are `null`. Ignored for a LayersModel
   * (whose shapes are static) and for a GraphModel with a fixed input size.
   */
  inputSize?: [number, number];
}

export interface ForwardOptions {
  /**
   * Explain the scores before a final softmax (default true), as keras-vis swaps the softmax for a linear
   * activation: softmax outputs saturate and couple the classes, so their gradients mostly say "less of the
   * other classes". Has no effect when the model does not end in softmax, or for plain functions.
   */
  preSoftmax?: boolean;
}

/** Options of `capture(model, x, options)`. */
export interface CaptureOptions extends ForwardOptions {
  /**
   * Layers (LayersModel, nested models included) or nodes (GraphModel; short names accepted) whose outputs
   * are captured, in the order wanted. May be empty when only `replace` is used.
   */
  layers: string[];
  /**
   * Replace one layer's output: the rest of the model sees `by(output)` (for instance `a => a.add(delta)`),
   * or the tensor `by` itself, in which case a GraphModel does not compute that node at all. The captured
   * value of that layer, if it is listed, is the replaced one. A layer applied more than once is replaced at
   * each application.
   */
  replace?: { layer: string; by: tf.Tensor | ((activation: tf.Tensor) => tf.Tensor) };
  /** Stop the forward pass once every listed layer has run; `scores` is then null. Default false. */
  stopAfter?: boolean;
}

/** What `capture` returns: ordinary tensors of the caller's scope (free them, or call inside `tf.tidy`). */
export interface Captured {
  /** One activation per entry of `layers`, in that order. Differentiable with respect to the input. */
  activations: tf.Tensor[];
  /** Scores `[N,K]` (before a final softmax unless `preSoftmax: false`); null with `stopAfter`. */
  scores: tf.Tensor2D | null;
}
