import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, Einsum } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';
import { batchMatMulKernel } from './BatchMatMul';
import { conv2DBackpropFilterKernel } from './Conv2DBackpropFilter';
import { conv2DBackpropInputKernel } from './Conv2DBackpropInput';
import { cpuBridgedKernel } from './cpu_bridge';
import { gatherV2Kernel } from './GatherV2';
import { identityKernel } from './Identity';
import { maxPoolGradKernel } from './MaxPoolGrad';
import { tanhKernel } from './Tanh';
import { sliceKernel } from './Slice';
import { sumKernel } from './Sum';
import { unsortedSegmentSumKernel } from './UnsortedSegmentSum';
import type { WasmKernel } from './types';

export type { KernelContext, WasmKernel } from './types';

/**
 * The wasm kernels igpg registers, in registration order. A new kernel is one file in
 * this folder (exporting a WasmKernel, its test beside it) plus one line here.
 */
export const WASM_KERNELS: readonly WasmKernel[] = [
  batchMatMulKernel, // native sgemm, else XNNPACK per batch
  identityKernel, // shares data instead of copying
  gatherV2Kernel, // embedding rows, one heap copy each
  sliceKernel, // heap copies of runs, not of the whole input
  sumKernel, // leading-axes sums as native column sums
  unsortedSegmentSumKernel, // the gradient of gather; missing in tfjs-backend-wasm
  cpuBridgedKernel(DepthwiseConv2dNativeBackpropFilter), // missing in tfjs-backend-wasm, rarely hit
  cpuBridgedKernel(DepthwiseConv2dNativeBackpropInput),
  cpuBridgedKernel(Einsum),
  conv2DBackpropFilterKernel, // missing in tfjs-backend-wasm
  conv2DBackpropInputKernel, // replaces the stock scalar loop
  maxPoolGradKernel, // the stock one is wrong for more than one channel
  tanhKernel, // libm tanhf, not musl's in wasm
];

// Kept on the global object so that two copies of this module (src and dist in one process)
// agree, as tfjs keeps its registries: the stock kernels the wrapping ones fall back to
// (captured before the first patch), and the mode the kernels are registered in.
const STOCK = Symbol.for('igpg.wasm.stockKernels');
const PATCHED = Symbol.for('igpg.wasm.patchedWith');
type Global = { [STOCK]?: Map<string, KernelConfig>; [PATCHED]?: string };

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/**
 * Register the wasm kernels training needs (WASM_KERNELS, in a loop), made with `native`
 * (the addon, or null for the XNNPACK paths). Idempotent; calling it again with another
 * `native` swaps the native paths. Returns the names of the kernels it registered.
 */
export function patchWasmKernels(native: NativeAddon | null): string[] {
  const g = globalThis as Global;
  const stock = (g[STOCK] ??= new Map());
  for (const k of WASM_KERNELS) {
    if (!k.wrapsStock || stock.has(k.kernelName)) continue;
    const original = getKernel(k.kernelName, 'wasm');
    if (original !== undefined) stock.set(k.kernelName, original);
  }
  const missing = WASM_KERNELS.filter((k) => k.wrapsStock && !stock.has(k.kernelName)).map((k) => k.kernelName);
  if (missing.length > 0) throw new Error(`igpg: tfjs-backend-wasm is not loaded (no wasm ${missing.join('/')} kernel)`);
  const configs = WASM_KERNELS.map((k) => k.make({ native, stock: k.wrapsStock ? stock.get(k.kernelName) : undefined }));
  const mode = native ? 'native' : 'xnnpack';
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
