import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { sizeOf } from '../wasm_memory';
import { hasKernel, last, runKernel } from './kernel';
import type { FusedOp } from './types';

const CAUSAL_SOFTMAX = 'IgpgCausalSoftmax';
const CAUSAL_SOFTMAX_GRAD = 'IgpgCausalSoftmaxGrad';

/**
 * Softmax over the last axis of x (..., t, T) where query row i (absolute position
 * offset + i) sees keys 0..offset+i only; masked entries come out as exact zeros.
 */
function causalSoftmaxJs(x: Float32Array, t: number, T: number, offset: number, y: Float32Array): void {
  const mats = x.length / (t * T);
  for (let m = 0; m < mats; m++) {
    for (let i = 0; i < t; i++) {
      const o = (m * t + i) * T, n = Math.min(T, offset + i + 1);
      let mx = -Infinity;
      for (let j = 0; j < n; j++) if (x[o + j] > mx) mx = x[o + j];
      let s = 0;
      for (let j = 0; j < n; j++) { const e = Math.exp(x[o + j] - mx); y[o + j] = e; s += e; }
      const inv = 1 / s;
      for (let j = 0; j < n; j++) y[o + j] *= inv;
      for (let j = n; j < T; j++) y[o + j] = 0;
    }
  }
}

/** dx = y·(dy − Σ dy·y) per row (zero where masked, since y is zero there). */
function causalSoftmaxGradJs(y: Float32Array, dy: Float32Array, t: number, T: number, offset: number, dx: Float32Array): void {
  const mats = y.length / (t * T);
  for (let m = 0; m < mats; m++) {
    for (let i = 0; i < t; i++) {
      const o = (m * t + i) * T, n = Math.min(T, offset + i + 1);
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[o + j] * y[o + j];
      for (let j = 0; j < n; j++) dx[o + j] = y[o + j] * (dy[o + j] - s);
      for (let j = n; j < T; j++) dx[o + j] = 0;
    }
  }
}

export const causalSoftmaxOp: FusedOp = {
  name: 'causalSoftmax',
  kernels: [
    {
      name: CAUSAL_SOFTMAX, inputs: ['x'],
      outShapes: ([x]) => [x],
      run: ([x], [y], [s], attrs) => causalSoftmaxJs(x, s[s.length - 2], last(s), attrs.offset as number, y),
      native: (a, heap, [x, y], [s], attrs) => a.causalSoftmax(heap, x, y, sizeOf(s) / (s[s.length - 2] * last(s)), s[s.length - 2], last(s), attrs.offset as number),
    },
    {
      name: CAUSAL_SOFTMAX_GRAD, inputs: ['y', 'dy'],
      outShapes: ([y]) => [y],
      run: ([y, dy], [dx], [s], attrs) => causalSoftmaxGradJs(y, dy, s[s.length - 2], last(s), attrs.offset as number, dx),
      native: (a, heap, [y, dy, dx], [s], attrs) => a.causalSoftmaxGrad(heap, y, dy, dx, sizeOf(s) / (s[s.length - 2] * last(s)), s[s.length - 2], last(s), attrs.offset as number),
    },
  ],
  gradients: [{
    kernelName: CAUSAL_SOFTMAX, outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => ({ x: () => runKernel(CAUSAL_SOFTMAX_GRAD, { y, dy: dy as tf.Tensor }, attrs as NamedAttrMap) as tf.Tensor }),
  }],
};

/**
 * Causal softmax over the last axis of scores (..., t, T): query i sits at absolute
 * position offset + i and sees keys 0..offset+i (T = offset + t for a KV cache).
 */
export function causalSoftmax<T extends tf.Tensor>(scores: T, offset = 0): T {
  const [t, T] = scores.shape.slice(-2);
  if (offset + t > T) throw new Error(`causalSoftmax: offset ${offset} + ${t} queries exceeds ${T} keys`);
  if (hasKernel(CAUSAL_SOFTMAX)) return runKernel(CAUSAL_SOFTMAX, { x: scores }, { offset }) as T;
  return tf.tidy(() => {
    const i = tf.reshape(tf.range(offset, offset + t, 1, 'int32'), [t, 1]);
    const j = tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]);
    const bias = tf.mul(tf.cast(tf.greater(j, i), 'float32'), -1e9); // (t, T)
    return tf.softmax(tf.add(scores, bias));
  }) as T;
}
