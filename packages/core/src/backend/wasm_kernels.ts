import { BatchMatMul, GatherV2, Identity, Slice, Sum, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch_matmul';
import { CPU_BRIDGED_KERNELS, cpuBridgeConfig } from './cpu_bridge';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d_grad';
import type { NativeAddon } from './native';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum';
import { sumConfig } from './sum';
import { gatherConfig } from './gather';
import { sliceConfig } from './slice';

// The stock BatchMatMul, kept on the global object so that two copies of this module
// (src and dist in one process) agree on it, as tfjs keeps its registries.
const ORIGINAL = Symbol.for('igpg.wasm.originalBatchMatMul');
const ORIGINAL_SUM = Symbol.for('igpg.wasm.originalSum');
const ORIGINAL_IDENTITY = Symbol.for('igpg.wasm.originalIdentity');
const ORIGINAL_GATHER = Symbol.for('igpg.wasm.originalGatherV2');
const ORIGINAL_SLICE = Symbol.for('igpg.wasm.originalSlice');
const PATCHED = Symbol.for('igpg.wasm.patchedWith');
type Global = { [ORIGINAL]?: KernelConfig; [ORIGINAL_SUM]?: KernelConfig; [ORIGINAL_IDENTITY]?: KernelConfig; [ORIGINAL_GATHER]?: KernelConfig; [ORIGINAL_SLICE]?: KernelConfig; [PATCHED]?: string };

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

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/**
 * Register the wasm kernels training needs: a fast BatchMatMul (native sgemm when the
 * addon is loaded, else XNNPACK per batch), Sum over leading axes (native column sums),
 * a sharing (non-copying) Identity, row-copy GatherV2 (embeddings), heap-copy Slice, UnsortedSegmentSum, and cpu-bridged backprop
 * kernels. Idempotent; calling it again with another `native` swaps the matmul.
 * Returns the names of the kernels it registered.
 */
export function patchWasmKernels(native: NativeAddon | null): string[] {
  const g = globalThis as Global;
  const mode = native ? 'native' : 'xnnpack';
  g[ORIGINAL] ??= getKernel(BatchMatMul, 'wasm');
  g[ORIGINAL_SUM] ??= getKernel(Sum, 'wasm');
  g[ORIGINAL_IDENTITY] ??= getKernel(Identity, 'wasm');
  g[ORIGINAL_GATHER] ??= getKernel(GatherV2, 'wasm');
  g[ORIGINAL_SLICE] ??= getKernel(Slice, 'wasm');
  if (g[ORIGINAL] === undefined || g[ORIGINAL_SUM] === undefined || g[ORIGINAL_IDENTITY] === undefined || g[ORIGINAL_GATHER] === undefined || g[ORIGINAL_SLICE] === undefined) {
    throw new Error('igpg: tfjs-backend-wasm is not loaded (no wasm BatchMatMul/Sum/Identity/GatherV2/Slice kernel)');
  }
  const configs = [batchMatMulConfig(g[ORIGINAL], native), identityConfig(g[ORIGINAL_IDENTITY]), gatherConfig(g[ORIGINAL_GATHER]), sliceConfig(g[ORIGINAL_SLICE]), sumConfig(g[ORIGINAL_SUM], native), unsortedSegmentSumConfig, ...CPU_BRIDGED_KERNELS.filter((k) => k !== 'Conv2DBackpropFilter').map(cpuBridgeConfig), conv2dBackpropFilterConfig(native), conv2dBackpropInputConfig(native)];
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
