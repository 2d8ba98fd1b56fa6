import { Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import { stockOf, type WasmKernel } from './types';
import type { NativeAddon } from '../native';

/*
 * Sum for the wasm backend. The stock kernel reduces only over trailing axes, so a sum over
 * the leading axes — the gradient of every broadcast bias add, (N, out) -> (out,) — first
 * transposes the whole input. With the native addon such sums are one column-sum pass on
 * the heap; every other case (and every case without the addon) goes to the stock kernel.
 */

/** Make the Sum kernel config; `original` is the stock wasm kernel. */
function sumConfig(original: KernelConfig, native: NativeAddon | null): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (native === null || x.dtype !== 'float32') return original.kernelFunc(args);
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const k = axes.length;
    // Only a reduction over a leading prefix of axes that keeps some axes.
    if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return original.kernelFunc(args);
    const wb = backend as unknown as WasmBackendLike;
    const kept = x.shape.slice(k);
    const out = wb.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    const cols = sizeOf(kept), rows = sizeOf(x.shape) / Math.max(cols, 1);
    if (cols === 0) return out;
    native.colSum(heapViews(wb).f32, elementOffset(wb, x), elementOffset(wb, out), rows, cols);
    return out;
  };
  return { kernelName: Sum, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}

/** Sum over leading axes: native column sums. */
export const sumKernel: WasmKernel = { kernelName: Sum, wrapsStock: true, make: (ctx) => sumConfig(stockOf(ctx, Sum), ctx.native) };
