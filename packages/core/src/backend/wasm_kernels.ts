import { BatchMatMul, Sum, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch_matmul';
import { CPU_BRIDGED_KERNELS, cpuBridgeConfig } from './cpu_bridge';
import { conv2dBackpropFilterConfig } from './conv2d_grad';
import type { NativeAddon } from './native';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum';
import { sumConfig } from './sum';

// The stock BatchMatMul, kept on the global object so that two copies of this module
// (src and dist in one process) agree on it, as tfjs keeps its registries.
const ORIGINAL = Symbol.for('igpg.wasm.originalBatchMatMul');
const ORIGINAL_SUM = Symbol.for('igpg.wasm.originalSum');
const PATCHED = Symbol.for('igpg.wasm.patchedWith');
type Global = { [ORIGINAL]?: KernelConfig; [ORIGINAL_SUM]?: KernelConfig; [PATCHED]?: string };

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/**
 * Register the wasm kernels training needs: a fast BatchMatMul (native sgemm when the
 * addon is loaded, else XNNPACK per batch), Sum over leading axes (native column sums),
 * UnsortedSegmentSum, and cpu-bridged backprop
 * kernels. Idempotent; calling it again with another `native` swaps the matmul.
 * Returns the names of the kernels it registered.
 */
export function patchWasmKernels(native: NativeAddon | null): string[] {
  const g = globalThis as Global;
  const mode = native ? 'native' : 'xnnpack';
  g[ORIGINAL] ??= getKernel(BatchMatMul, 'wasm');
  g[ORIGINAL_SUM] ??= getKernel(Sum, 'wasm');
  if (g[ORIGINAL] === undefined || g[ORIGINAL_SUM] === undefined) throw new Error('igpg: tfjs-backend-wasm is not loaded (no wasm BatchMatMul/Sum kernel)');
  const configs = [batchMatMulConfig(g[ORIGINAL], native), sumConfig(g[ORIGINAL_SUM], native), unsortedSegmentSumConfig, ...CPU_BRIDGED_KERNELS.filter((k) => k !== 'Conv2DBackpropFilter').map(cpuBridgeConfig), conv2dBackpropFilterConfig(native)];
  if (g[PATCHED] !== mode) {
    for (const c of configs) replaceKernel(c);
    g[PATCHED] = mode;
  }
  return configs.map((c) => c.kernelName);
}

/** How the wasm kernels are patched in this process ('native', 'xnnpack'), or null if not yet. */
export function wasmKernelsMode(): 'native' | 'xnnpack' | null {
  return ((globalThis as Global)[PATCHED] as 'native' | 'xnnpack' | undefined) ?? null;
}
