import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from './kernel';
import type { FusedOp } from './types';

const SOFTMAX_XENT = 'IgpgSoftmaxXent';
const SOFTMAX_XENT_GRAD = 'IgpgSoftmaxXentGrad';

/**
 * Weighted softmax cross-entropy: logp = logits − logsumexp per row of logits (N, V);
 * loss = −Σ_r w[r]·logp[r, targets[r]] (a target outside [0, V) contributes nothing).
 */
function softmaxXentJs(logits: Float32Array, targets: Int32Array, w: Float32Array, logp: Float32Array, loss: Float32Array): void {
  const N = w.length, V = logits.length / Math.max(N, 1);
  let total = 0;
  for (let r = 0; r < N; r++) {
    const o = r * V;
    let mx = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > mx) mx = logits[o + j];
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[o + j] - mx);
    const lz = mx + Math.log(s);
    for (let j = 0; j < V; j++) logp[o + j] = logits[o + j] - lz;
    const k = targets[r];
    if (k >= 0 && k < V) total -= w[r] * logp[o + k];
  }
  loss[0] = total;
}

/** dlogits = (softmax − onehot(targets))·w[r]·dy. */
function softmaxXentGradJs(logp: Float32Array, targets: Int32Array, w: Float32Array, dy: number, dl: Float32Array): void {
  const N = w.length, V = logp.length / Math.max(N, 1);
  for (let r = 0; r < N; r++) {
    const o = r * V, s = w[r] * dy;
    for (let j = 0; j < V; j++) dl[o + j] = Math.exp(logp[o + j]) * s;
    const k = targets[r];
    if (k >= 0 && k < V) dl[o + k] -= s;
  }
}

export const softmaxCrossEntropyOp: FusedOp = {
  name: 'softmaxCrossEntropy',
  kernels: [
    {
      name: SOFTMAX_XENT, inputs: ['logits', 'targets', 'weights'], dtypes: ['float32', 'int32', 'float32'],
      outShapes: ([l]) => [[], l],
      run: ([l, t, w], [loss, logp]) => softmaxXentJs(l, t as unknown as Int32Array, w, logp, loss),
      native: (a, heap, [l, t, w, loss, logp], [s]) => a.softmaxXent(heap, l, t, w, logp, loss, s[0], s[1]),
    },
    {
      name: SOFTMAX_XENT_GRAD, inputs: ['logp', 'targets', 'weights', 'dy'], dtypes: ['float32', 'int32', 'float32', 'float32'],
      outShapes: ([l]) => [l],
      run: ([l, t, w, dy], [dl]) => softmaxXentGradJs(l, t as unknown as Int32Array, w, dy[0], dl),
      native: (a, heap, [l, t, w, dy, dl], [s]) => a.softmaxXentGrad(heap, l, t, w, dy, dl, s[0], s[1]),
    },
  ],
  gradients: [{
    // Targets and weights are constants (indices, mask weights): zero gradients.
    kernelName: SOFTMAX_XENT, inputsToSave: ['targets', 'weights'], outputsToSave: [false, true],
    gradFunc: (dys, [targets, weights, logp]) => ({
      logits: () => runKernel(SOFTMAX_XENT_GRAD, { logp, targets, weights, dy: (dys as tf.Tensor[])[0] }) as tf.Tensor,
      targets: () => tf.zerosLike(targets),
      weights: () => tf.zerosLike(weights),
    }),
  }],
};

/**
 * Weighted softmax cross-entropy: −Σ_r weights[r]·log softmax(logits[r])[targets[r]] for
 * logits (N, V), int32 targets (N,) and weights (N,) (targets outside [0, V) count zero).
 * One fused kernel forward and backward where registered, else the tfjs composition.
 * Weights and targets get no gradient.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
  if (targets.dtype !== 'int32') throw new Error(`softmaxCrossEntropy: targets must be int32, got ${targets.dtype}`);
  if (targets.shape[0] !== N || weights.shape[0] !== N) {
    throw new Error(`softmaxCrossEntropy: targets [${targets.shape}] and weights [${weights.shape}] must be [${N}] for logits [${logits.shape}]`);
  }
  if (hasKernel(SOFTMAX_XENT)) {
    return tf.tidy(() => (runKernel(SOFTMAX_XENT, { logits, targets, weights }) as tf.Tensor[])[0] as tf.Scalar);
  }
  return tf.tidy(() => weightedCrossEntropy(logits, tf.oneHot(targets, V), weights));
}

/**
 * The composition: a customGrad so that the backward pass is one softmax − onehot instead
 * of tfjs's chain through logSoftmax.
 */
const weightedCrossEntropy = tf.customGrad(((logits: tf.Tensor, oneHot: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  const logZ = tf.logSumExp(logits, -1, true); // (N, 1)
  const logp = tf.sub(logits, logZ); // (N, V)
  save([logp, oneHot, w]);
  const nll = tf.neg(tf.sum(tf.mul(logp, oneHot), -1)); // (N,)
  return {
    value: tf.sum(tf.mul(nll, w)), // scalar
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [lp, oh, ww] = saved;
      const g = tf.mul(tf.sub(tf.exp(lp), oh), tf.mul(tf.expandDims(ww, -1), dy)); // (N, V)
      return [g, tf.zerosLike(oh), tf.zerosLike(ww)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (logits: tf.Tensor, oneHot: tf.Tensor, w: tf.Tensor) => tf.Scalar;
