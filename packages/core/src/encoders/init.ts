import * as tf from '@tensorflow/tfjs-core';

/**
 * Variable names are global in tfjs and checkpoints match by name, so modules pass a scope-prefixed `name`
 * (two live modules with one scope collide: dispose the first or pick another scope).
 */

/** A trainable variable drawn from N(0, std^2) with a tfjs seed (never 0). The init tensor is freed (tidy). */
export function normalVariable(shape: number[], std: number, seed: number, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed), true, name));
}

/** A trainable variable of zeros (biases). */
export function zerosVariable(shape: number[], name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), true, name));
}

/** Dense layer y = x W + b, with W ~ N(0, 1/fanIn). */
export function dense(inDim: number, outDim: number, seed: number, name?: string) {
  const W = normalVariable([inDim, outDim], 1 / Math.sqrt(inDim), seed, name && `${name}/W`);
  const b = zerosVariable([outDim], name && `${name}/b`);
  return { W, b, apply: (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, W), b) }; // (N, in) -> (N, out)
}
