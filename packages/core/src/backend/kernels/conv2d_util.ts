import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm_memory';
import { cpuBridgeConfig } from './cpu_bridge';

// What the two conv gradient kernels (Conv2DBackpropFilter.ts, Conv2DBackpropInput.ts) share.

/** Largest im2col scratch buffer, in floats (64 MiB); bigger batches are done in chunks. */
export const MAX_SCRATCH = 1 << 24;

/** A conv's sizes (NHWC), strides and leading pads, as both gradient kernels loop over them. */
export interface Geometry {
  N: number; H: number; W: number; C: number;
  OH: number; OW: number; OC: number;
  FH: number; FW: number; sh: number; sw: number; top: number; left: number;
}

/** The geometry of a conv with input `xShape` and `filterShape`; throws if dy's shape is not the conv's output shape. */
export function geometry(xShape: number[], filterShape: [number, number, number, number], dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs | Conv2DBackpropInputAttrs, kernel: string): Geometry {
  const { strides, pad, dimRoundingMode } = attrs;
  if (xShape.length !== 4) throw new Error(`${kernel}: the input shape [${xShape}] must be 4-D NHWC`);
  const info = backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const g: Geometry = {
    N: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels,
    OH: info.outHeight, OW: info.outWidth, OC: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    top: info.padInfo.top, left: info.padInfo.left,
  };
  const want = [g.N, g.OH, g.OW, g.OC];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${kernel}: dy shape [${dy.shape}] does not match the conv output shape [${want}] of x [${xShape}] with filter [${filterShape}]`);
  }
  return g;
}

/**
 * The wasm config of a conv gradient kernel: NHWC float32 inputs go to `fast` (on the wasm heap); NCHW and other
 * dtypes go to the cpu backend's kernel through the bridge.
 */
export function convGradConfig<A extends { dataFormat: string }>(kernelName: string, inputNames: [string, string],
  fast: (args: Parameters<KernelFunc>[0], attrs: A, wb: WasmBackendLike) => TensorInfo): KernelConfig {
  const bridge = cpuBridgeConfig(kernelName).kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as A;
    if (attrs.dataFormat === 'NCHW' || inputNames.some((n) => (args.inputs[n] as TensorInfo).dtype !== 'float32')) return bridge(args);
    return fast(args, attrs, args.backend as unknown as WasmBackendLike);
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}
