/**
 * A `Conv2DBackpropFilter` kernel for the wasm backend, which lacks one (see FACTS: training a
 * convolution needs it). Without it, training on this machine falls back to the pure-JS cpu backend,
 * whose filter gradient is about 50 times slower than its forward pass.
 *
 * The filter gradient is itself a convolution, so it runs through wasm's forward `Conv2D`:
 *
 *   dW[kh, kw, ci, co] = sum_{n, oh, ow} xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co]
 *
 * which is `conv2d(input = xPadded transposed to [ci, H, W, n], filter = dy transposed to
 * [OH, OW, n, co], stride 1, dilation s, 'valid')`, cropped to [ci, KH, KW, co] and transposed back.
 * tfjs computes conv gradients only for dilation 1, so that case is all this needs.
 */
import * as tf from '@tensorflow/tfjs';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW of a 2-D convolution, from forward ops only. Inputs must be NHWC. The caller owns the result. */
export function conv2dBackpropFilterByConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: BackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const { filterShape, dimRoundingMode } = attrs;
    const strides: [number, number] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, strides, 1, attrs.pad, dimRoundingMode, false, 'channelsLast',
    );
    const [kh, kw] = [filterShape[0], filterShape[1]];
    const { top, bottom, left, right } = info.padInfo;
    const xPadded = top || bottom || left || right
      ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
      : x;
    const input = tf.transpose(xPadded, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, H, W, n]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, n, co]
    const dilation: [number, number] = [strides[0], strides[1]];
    const full = tf.conv2d(input, filter, 1, 'valid', 'NHWC', dilation); // [ci, >=KH, >=KW, co]
    const cropped = tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * Registers the kernel above for the wasm backend unless one is registered already (by tfjs itself in
 * a later version, or by another module). Returns whether this call registered it.
 */
export function registerWasmTrainingKernels(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') != null) return false;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const a = attrs as unknown as BackpropFilterAttrs;
      if (a.dataFormat === 'NCHW') {
        throw new Error('Conv2DBackpropFilter (wasm, saliency-lab): only NHWC is supported, got NCHW');
      }
      return conv2dBackpropFilterByConv(x, dy, a);
    },
  });
  return true;
}
