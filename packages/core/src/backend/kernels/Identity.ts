import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { stockOf, type WasmKernel } from './types';

/**
 * Identity that shares the input's data (a reference count) instead of copying it, as the
 * cpu backend does. tfjs runs Identity (tf.clone) on every tensor it saves for the backward
 * pass, and the stock wasm kernel copies each one into fresh memory: ~30% of a GPT training
 * step's CPU time went to those copies and their page faults. Tensors are immutable, so
 * sharing is safe (the fused Adam writes in place only to data with a reference count of 1).
 */
function identityConfig(original: KernelConfig): KernelConfig {
  return {
    kernelName: Identity, backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}

/** Identity (tf.clone) that shares data instead of copying it. */
export const identityKernel: WasmKernel = { kernelName: Identity, wrapsStock: true, make: (ctx) => identityConfig(stockOf(ctx, Identity)) };
