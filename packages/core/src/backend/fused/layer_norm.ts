import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../wasm_memory';
import { hasKernel, last, runKernel } from './kernel';
import type { FusedOp } from './types';

const LAYER_NORM = 'IgpgLayerNorm';
const LAYER_NORM_GRAD = 'IgpgLayerNormGrad';

/** y = (x - mean)·rstd·g + b per row of width d; also writes mean and rstd (rows,). */
function layerNormJs(x: Float32Array, g: Float32Array, b: Float32Array, eps: number, y: Float32Array, mean: Float32Array, rstd: Float32Array): void {
  const d = g.length, rows = x.length / d;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j];
    const mu = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) { const c = x[o + j] - mu; v += c * c; }
    const rs = 1 / Math.sqrt(v / d + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mu) * rs * g[j] + b[j];
  }
}

/** Backward of layerNormJs: dx, and dg, db summed over rows. */
function layerNormGradJs(x: Float32Array, g: Float32Array, mean: Float32Array, rstd: Float32Array, dy: Float32Array,
  dx: Float32Array, dg: Float32Array, db: Float32Array): void {
  const d = g.length, rows = x.length / d;
  dg.fill(0);
  db.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * d, mu = mean[r], rs = rstd[r];
    let sumDyG = 0, sumDyGXhat = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j] - mu) * rs, dyj = dy[o + j], dyg = dyj * g[j];
      sumDyG += dyg;
      sumDyGXhat += dyg * xhat;
      dg[j] += dyj * xhat;
      db[j] += dyj;
    }
    const a = sumDyG / d, c = sumDyGXhat / d;
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j] - mu) * rs;
      dx[o + j] = rs * (dy[o + j] * g[j] - a - xhat * c);
    }
  }
}

export const layerNormOp: FusedOp = {
  name: 'layerNorm',
  kernels: [
    {
      name: LAYER_NORM, inputs: ['x', 'gamma', 'beta'],
      outShapes: ([x]) => [x, [sizeOf(x) / last(x)], [sizeOf(x) / last(x)]],
      run: ([x, g, b], [y, mean, rstd], _s, attrs) => layerNormJs(x, g, b, attrs.epsilon as number, y, mean, rstd),
      native: (a, heap, [x, g, b, y, mean, rstd], [s], attrs) => a.layerNorm(heap, x, g, b, y, mean, rstd, sizeOf(s) / last(s), last(s), attrs.epsilon as number),
    },
    {
      name: LAYER_NORM_GRAD, inputs: ['x', 'gamma', 'mean', 'rstd', 'dy'],
      outShapes: ([x, g]) => [x, g, g],
      run: ([x, g, mean, rstd, dy], [dx, dg, db]) => layerNormGradJs(x, g, mean, rstd, dy, dx, dg, db),
      native: (a, heap, [x, g, mean, rstd, dy, dx, dg, db], [s]) => a.layerNormGrad(heap, x, g, mean, rstd, dy, dx, dg, db, sizeOf(s) / last(s), last(s)),
    },
  ],
  gradients: [{
    kernelName: LAYER_NORM, inputsToSave: ['x', 'gamma'], outputsToSave: [false, true, true],
    gradFunc: (dys, [x, gamma, mean, rstd]) => {
      const dy = (dys as tf.Tensor[])[0];
      // The tape evaluates each input's gradient in its own tidy, so each one runs the
      // (cheap, O(N·d)) kernel and keeps only its own output.
      const grad = (i: number) => () => {
        const all = runKernel(LAYER_NORM_GRAD, { x, gamma, mean, rstd, dy }) as tf.Tensor[];
        all.forEach((t, j) => j !== i && t.dispose());
        return all[i];
      };
      return { x: grad(0), gamma: grad(1), beta: grad(2) };
    },
  }],
};

/** LayerNorm over the last axis: (x − mean)/√(var + eps)·gamma + beta. */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = 1e-5): T {
  if (gamma.shape[0] !== last(x.shape) || beta.shape[0] !== last(x.shape)) {
    throw new Error(`layerNorm: gamma [${gamma.shape}] and beta [${beta.shape}] must match the last axis of x [${x.shape}]`);
  }
  if (hasKernel(LAYER_NORM)) return (runKernel(LAYER_NORM, { x, gamma, beta }, { epsilon }) as tf.Tensor[])[0] as T;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  }) as T;
}
