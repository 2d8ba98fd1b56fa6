import * as tf from '@tensorflow/tfjs-core';

/*
 * The one place trainable layers of igpg's own models start from: the VQ-VAE's MLPs, the prior's
 * condition projections and the condition encoders. (The generated networks' initialisation is
 * their architecture's, in @igpg/architectures; the GPT keeps GPT-2's N(0, 0.02) in prior/gpt.ts.)
 *
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

/**
 * Dense layer y = x W + b, b = 0 and W ~ N(0, std²): std 1/√fanIn by default (LeCun), √(2/fanIn) before a ReLU
 * (He et al. 2015). `apply` maps (N, inDim) to (N, outDim).
 */
export function dense(inDim: number, outDim: number, seed: number, name?: string, std = 1 / Math.sqrt(inDim)) {
  const W = normalVariable([inDim, outDim], std, seed, name && `${name}/W`);
  const b = zerosVariable([outDim], name && `${name}/b`);
  return { W, b, apply: (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, W), b) }; // (N, in) -> (N, out)
}

/** He et al. (2015)'s std for a layer followed by a ReLU: √(2 / fanIn). */
export const heStd = (fanIn: number) => Math.sqrt(2 / fanIn);
