import { Slice, slice_util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import { stockOf, type WasmKernel } from './types';

/*
 * Slice for the wasm backend without a copy of the whole input. The stock kernel starts with
 * readSync(x), which copies all of x out of the heap for every slice: taking one row of a
 * (3,908, 128) position table cost 2 MB of copying per generated token. Here each contiguous
 * run of the slice is one copyWithin on the heap. float32 and int32 only; others go to the
 * stock kernel. Needs no native addon.
 */

/** Make the Slice kernel config; `original` is the stock wasm kernel. */
function sliceConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = slice_util.parseSliceParams(x as never, begin, size);
    const wb = backend as unknown as WasmBackendLike;
    const out = wb.makeOutput(s, x.dtype);
    const n = sizeOf(s);
    if (n === 0) return out;
    const rank = x.shape.length;
    // runs: the trailing axes taken whole, plus the axis before them
    let k = rank - 1;
    while (k > 0 && b[k] === 0 && s[k] === x.shape[k]) k--;
    const run = sizeOf(s.slice(Math.max(k, 0)));
    const strides = new Array<number>(rank);
    for (let i = rank - 1, st = 1; i >= 0; i--) { strides[i] = st; st *= x.shape[i]; }
    const f32 = heapViews(wb).f32; // after makeOutput: the heap may have grown
    const xo = elementOffset(wb, x), oo = elementOffset(wb, out);
    const idx = new Array<number>(Math.max(k, 0)).fill(0); // position over the outer axes [0, k)
    for (let o = 0; o < n; o += run) {
      let src = xo;
      for (let i = 0; i < rank; i++) src += (b[i] + (i < k ? idx[i] : 0)) * strides[i];
      f32.copyWithin(oo + o, src, src + run);
      for (let i = k - 1; i >= 0; i--) {
        if (++idx[i] < s[i]) break;
        idx[i] = 0;
      }
    }
    return out;
  };
  return { kernelName: Slice, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}

/** Slice: heap copies of the contiguous runs, not of the whole input. */
export const sliceKernel: WasmKernel = { kernelName: Slice, wrapsStock: true, make: (ctx) => sliceConfig(stockOf(ctx, Slice)) };
