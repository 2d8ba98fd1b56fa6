import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../wasm_memory';
import { hasKernel, runKernel } from './kernel';
import type { FusedOp } from './types';

const GELU = 'IgpgGelu';
const GELU_GRAD = 'IgpgGeluGrad';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function geluJs(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
  }
}

function geluGradJs(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
    const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
}

export const geluOp: FusedOp = {
  name: 'gelu',
  kernels: [
    {
      name: GELU, inputs: ['x'],
      outShapes: ([x]) => [x],
      run: ([x], [y]) => geluJs(x, y),
      native: (a, heap, [x, y], [s]) => a.gelu(heap, x, y, sizeOf(s)),
    },
    {
      name: GELU_GRAD, inputs: ['x', 'dy'],
      outShapes: ([x]) => [x],
      run: ([x, dy], [dx]) => geluGradJs(x, dy, dx),
      native: (a, heap, [x, dy, dx], [s]) => a.geluGrad(heap, x, dy, dx, sizeOf(s)),
    },
  ],
  gradients: [{
    kernelName: GELU, inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => runKernel(GELU_GRAD, { x, dy: dy as tf.Tensor }) as tf.Tensor }),
  }],
};

/**
 * GELU, tanh approximation (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * One fused kernel where registered, else the tfjs composition.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (hasKernel(GELU)) return runKernel(GELU, { x }) as T;
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }) as T;
}
