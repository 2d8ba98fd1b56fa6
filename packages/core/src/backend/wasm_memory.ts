import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that the patched kernels use. */
export interface WasmBackendLike {
  wasm: {
    HEAPF32: Float32Array;
    HEAP32: Int32Array;
    wasmMemory?: { buffer: ArrayBufferLike };
    cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[]; dtype: DataType } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

let heapCache: { buffer: ArrayBufferLike; f32: Float32Array; i32: Int32Array } | null = null;

/**
 * Float32/Int32 views over the whole wasm heap, rebuilt when the memory grows. The
 * threaded build's heap is a SharedArrayBuffer whose `HEAPF32` view can lag behind a
 * growth, so the views are taken from `wasmMemory.buffer` when it is exposed.
 */
export function heapViews(backend: WasmBackendLike): { f32: Float32Array; i32: Int32Array } {
  const buffer = backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPF32.buffer;
  if (heapCache === null || heapCache.buffer !== buffer || heapCache.f32.length * 4 !== buffer.byteLength) {
    heapCache = { buffer, f32: new Float32Array(buffer), i32: new Int32Array(buffer) };
  }
  return heapCache;
}

/** Offset of a tensor's data in the wasm heap, counted in 4-byte elements. */
export function elementOffset(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('igpg wasm kernel: tensor data not found on the wasm backend (was it disposed?)');
  return data.memoryOffset / 4;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
