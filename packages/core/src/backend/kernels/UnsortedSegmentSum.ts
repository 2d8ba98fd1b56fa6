import { UnsortedSegmentSum } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import type { WasmKernel } from './types';

/*
 * UnsortedSegmentSum for wasm (missing in tfjs-backend-wasm 4.22). It is the gradient of
 * `gather`, so every embedding lookup needs it to train. Plain JS on the wasm heap:
 * out[segmentIds[i], j] += x[i, j]; ids outside [0, numSegments) are dropped, as in TF.
 */
const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = backend as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo, segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as { numSegments: number };
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} is not supported; use float32 or int32`);
  const rows = sizeOf(segmentIds.shape);
  const inner = rows === 0 ? 0 : sizeOf(x.shape) / rows;
  if (!Number.isInteger(inner)) throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  const out = wb.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const { f32, i32 } = heapViews(wb);
  const heap = x.dtype === 'float32' ? f32 : i32;
  const xo = elementOffset(wb, x), so = elementOffset(wb, segmentIds), oo = elementOffset(wb, out);
  heap.fill(0, oo, oo + numSegments * inner);
  for (let i = 0; i < rows; i++) {
    const s = i32[so + i];
    if (s < 0 || s >= numSegments) continue;
    const src = xo + i * inner, dst = oo + s * inner;
    for (let j = 0; j < inner; j++) heap[dst + j] += heap[src + j];
  }
  return out;
};

const unsortedSegmentSumConfig: KernelConfig = { kernelName: UnsortedSegmentSum, backendName: 'wasm', kernelFunc };

/** UnsortedSegmentSum (the gradient of gather), which tfjs-backend-wasm lacks. */
export const unsortedSegmentSumKernel: WasmKernel = { kernelName: UnsortedSegmentSum, wrapsStock: false, make: () => unsortedSegmentSumConfig };
