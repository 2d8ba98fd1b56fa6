import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';

/** What a kernel is made from when the wasm backend is patched. */
export interface KernelContext {
  /** The native addon (OpenBLAS sgemm and friends), or null when it is not built or turned off. */
  native: NativeAddon | null;
  /** The stock wasm kernel of the same name, captured before the first patch; set when `wrapsStock`. */
  stock?: KernelConfig;
}

/**
 * One wasm kernel igpg registers on top of tfjs-backend-wasm: a plain object, one per file
 * in this folder, listed once in `index.ts`. tfjs keeps its kernels the same way
 * (`kernels/<Kernel>.ts` and a list registered in a loop); ours are made when the backend
 * starts because they depend on the native addon and may fall back to the stock kernel.
 */
export interface WasmKernel {
  kernelName: string;
  /** The kernel falls back to the stock wasm kernel of the same name (odd shapes, dtypes). */
  wrapsStock: boolean;
  make(ctx: KernelContext): KernelConfig;
}

/** The stock kernel of a wrapping kernel; registerWasmKernels guarantees it is there. */
export function stockOf(ctx: KernelContext, kernelName: string): KernelConfig {
  if (ctx.stock === undefined) throw new Error(`igpg: kernel ${kernelName} wraps the stock wasm kernel, but none was given (is tfjs-backend-wasm loaded?)`);
  return ctx.stock;
}
