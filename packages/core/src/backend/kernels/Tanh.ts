import { Tanh } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import type { NativeAddon } from '../native';
import { stockOf, type WasmKernel } from './types';

/*
 * Tanh on the native libm (tanhf) when the addon is loaded: the stock kernel runs musl's tanhf compiled to wasm,
 * ~20% of a batched CNN-s zoo training step (the zoo CNNs are tanh nets). Without the addon, or for other dtypes,
 * the stock kernel.
 */
function tanhConfig(original: KernelConfig, native: NativeAddon | null): KernelConfig {
  if (!native) return original;
  return {
    kernelName: Tanh, backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32') return original.kernelFunc(args);
      const wb = args.backend as unknown as WasmBackendLike;
      const out = wb.makeOutput(x.shape, 'float32');
      native.tanh(heapViews(wb).f32, elementOffset(wb, x), elementOffset(wb, out), sizeOf(x.shape)); // heap view after makeOutput
      return out;
    },
  };
}

/** Tanh through the native libm when the addon is loaded, else the stock kernel. */
export const tanhKernel: WasmKernel = { kernelName: Tanh, wrapsStock: true, make: (ctx) => tanhConfig(stockOf(ctx, Tanh), ctx.native) };
