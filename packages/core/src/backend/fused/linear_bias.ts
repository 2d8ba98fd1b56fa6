import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, type WasmBackendLike } from '../wasm_memory';
import type { NativeAddon } from '../native';
import { tuneBlasThreads } from '../blas_threads';
import { checkDtypes, hasKernel, runKernel } from './kernel';
import type { FusedOp } from './types';

const LINEAR = 'IgpgLinear';

/**
 * y = x·w + b for x (N, in), w (in, out), b (out,): on the wasm heap, the rows of y are
 * filled with b and one sgemm adds x·w (beta = 1): no separate bias add. Registered for wasm
 * with the native addon only; elsewhere linearBias() is matMul + add.
 */
function linearConfig(native: NativeAddon): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const wb = backend as unknown as WasmBackendLike;
    const x = inputs.x as TensorInfo, w = inputs.w as TensorInfo, b = inputs.b as TensorInfo;
    const [N, K] = x.shape, [K2, M] = w.shape;
    if (x.shape.length !== 2 || w.shape.length !== 2 || K !== K2 || b.shape.length !== 1 || b.shape[0] !== M) {
      throw new Error(`${LINEAR}: shapes x [${x.shape}], w [${w.shape}], b [${b.shape}] do not fit (N, in)·(in, out) + (out,)`);
    }
    checkDtypes({ name: LINEAR, inputs: ['x', 'w', 'b'] }, [x, w, b]);
    const out = wb.makeOutput([N, M], 'float32');
    if (N * M === 0) return out;
    const heap = heapViews(wb).f32;
    const o = elementOffset(wb, out), bo = elementOffset(wb, b);
    heap.copyWithin(o, bo, bo + M); // row 0 = b, then double the filled rows
    for (let filled = 1; filled < N; filled *= 2) heap.copyWithin(o + filled * M, o, o + Math.min(filled, N - filled) * M);
    if (K > 0) {
      tuneBlasThreads();
      native.sgemm(heap, false, false, N, M, K, elementOffset(wb, x), elementOffset(wb, w), o, 1, 0, 0, 0, 1);
    }
    return out;
  };
  return { kernelName: LINEAR, backendName: 'wasm', kernelFunc };
}

export const linearBiasOp: FusedOp = {
  name: 'linearBias',
  kernels: [],
  nativeOnly: [{ kernelName: LINEAR, make: linearConfig }],
  gradients: [{
    kernelName: LINEAR, inputsToSave: ['x', 'w'],
    gradFunc: (dy, [x, w]) => ({
      x: () => tf.matMul(dy as tf.Tensor, w, false, true), // (N, in)
      w: () => tf.matMul(x, dy as tf.Tensor, true, false), // (in, out)
      b: () => tf.sum(dy as tf.Tensor, 0), // (out,)
    }),
  }],
};

/** x (N, in)·w (in, out) + b (out,): one fused kernel (bias folded into sgemm) where registered. */
export function linearBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (hasKernel(LINEAR)) return runKernel(LINEAR, { x, w, b }) as tf.Tensor2D;
  return tf.add(tf.matMul(x, w), b);
}
