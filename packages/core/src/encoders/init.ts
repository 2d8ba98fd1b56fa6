import * as tf from '@tensorflow/tfjs-core';

/** A trainable variable drawn from N(0, std^2) with a tfjs seed (never 0). The init tensor is freed (tidy). */
export function normalVariable(shape: number[], std: number, seed: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed)));
}

/** A trainable variable of zeros (biases). */
export function zerosVariable(shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape)));
}

/** Dense layer y = x W + b, with W ~ N(0, 1/fanIn). */
export function dense(inDim: number, outDim: number, seed: number) {
  const W = normalVariable([inDim, outDim], 1 / Math.sqrt(inDim), seed);
  const b = zerosVariable([outDim]);
  return { W, b, apply: (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, W), b) }; // (N, in) -> (N, out)
}
