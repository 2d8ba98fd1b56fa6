import { GatherV2, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import { stockOf, type WasmKernel } from './types';

/*
 * GatherV2 for the wasm backend, fast path for embedding lookups: rows of a matrix (axis 0,
 * no batch dims) by int32 ids. The stock kernel walks element by element (~28 ms for the
 * GPT's 4,096 × 128 lookup); here each row is one copyWithin on the heap (< 1 ms). Other
 * cases go to the stock kernel. Needs no native addon.
 */

/** Make the GatherV2 kernel config; `original` is the stock wasm kernel. */
function gatherConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo, indices = inputs.indices as TensorInfo;
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims?: number };
    const ax = util.parseAxisParam(axis, x.shape)[0];
    if (ax !== 0 || (batchDims ?? 0) !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length < 1) {
      return original.kernelFunc(args);
    }
    const wb = backend as unknown as WasmBackendLike;
    const rows = x.shape[0], d = sizeOf(x.shape.slice(1)), n = sizeOf(indices.shape);
    const out = wb.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const { f32, i32 } = heapViews(wb); // after makeOutput
    const xo = elementOffset(wb, x), io = elementOffset(wb, indices), oo = elementOffset(wb, out);
    for (let i = 0; i < n; i++) {
      const id = i32[io + i];
      if (id < 0 || id >= rows) {
        wb.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
      }
      f32.copyWithin(oo + i * d, xo + id * d, xo + (id + 1) * d);
    }
    return out;
  };
  return { kernelName: GatherV2, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}

/** GatherV2: one heap copy per embedding row. */
export const gatherV2Kernel: WasmKernel = { kernelName: GatherV2, wrapsStock: true, make: (ctx) => gatherConfig(stockOf(ctx, GatherV2)) };
