import { MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import { maxPoolJs } from '../im2col';
import { cpuBridgeConfig } from './cpu_bridge';
import type { WasmKernel } from './types';

/*
 * MaxPoolGrad for wasm. The stock kernel of tfjs-backend-wasm 4.22 gives wrong input gradients as soon as there is more
 * than one channel (on (2, 6, 6, 3) its dx was off by up to 3.5 from the cpu kernel's; with one channel it agreed), so
 * every CNN trained one by one on wasm got wrong conv gradients behind its pools. Windows equal to the stride with
 * 'valid' padding (the zoo CNNs' pools): the first max of each window, as the cpu kernel, found again on the heap;
 * anything else: the cpu kernel through the bridge.
 */
function maxPoolGradConfig(): KernelConfig {
  const bridge = cpuBridgeConfig(MaxPoolGrad);
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { filterSize, strides, pad } = attrs as unknown as MaxPoolGradAttrs;
    const [fh, fw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const x = inputs.input as TensorInfo, dy = inputs.dy as TensorInfo;
    const simple = fh === fw && sh === fh && sw === fw && (pad === 'valid' || pad === 0) && x.dtype === 'float32' && x.shape.length === 4;
    if (!simple) return bridge.kernelFunc(args as { inputs: typeof inputs; backend: typeof backend; attrs: NamedAttrMap });
    const wb = backend as unknown as WasmBackendLike;
    const [B, H, W, C] = x.shape;
    const dx = wb.makeOutput(x.shape, 'float32');
    const f32 = heapViews(wb).f32, xo = elementOffset(wb, x), go = elementOffset(wb, dy), oo = elementOffset(wb, dx);
    const n = sizeOf(dy.shape), arg = new Int32Array(n);
    maxPoolJs(f32.subarray(xo, xo + sizeOf(x.shape)), new Float32Array(n), arg, B, H, W, C, fh);
    f32.fill(0, oo, oo + sizeOf(x.shape));
    for (let i = 0; i < n; i++) f32[oo + arg[i]] = f32[go + i]; // windows do not overlap (stride = window)
    return dx;
  };
  return { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc };
}

/** MaxPoolGrad with correct multi-channel gradients (the stock one is wrong for C > 1). */
export const maxPoolGradKernel: WasmKernel = { kernelName: MaxPoolGrad, wrapsStock: false, make: () => maxPoolGradConfig() };
