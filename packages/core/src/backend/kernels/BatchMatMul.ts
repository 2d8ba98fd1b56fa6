import { BatchMatMul, broadcast_util, getKernel, Transpose } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import type { NativeAddon } from '../native';
import { tuneBlasThreads } from '../blas_threads';
import { stockOf, type WasmKernel } from './types';

/*
 * BatchMatMul for the wasm backend. tfjs-backend-wasm 4.22 sends only batch-1,
 * un-transposed products to XNNPACK; transposed ones (every matmul gradient) and batched
 * ones (attention) fall to a scalar loop at ~2.5 GFLOP/s (see ENV-NOTES). This kernel
 *  - with the native addon: calls OpenBLAS sgemm on the wasm heap, with the transposes
 *    folded into the sgemm call and batches as strided pointers (no copies at all);
 *  - without it: transposes explicitly (wasm Transpose kernel) and runs one XNNPACK
 *    2-D product per batch on zero-copy sub-tensors registered at offsets of the inputs.
 */

/** Shapes of a BatchMatMul call after folding leading dims into one batch dim. */
interface MatMulPlan {
  M: number; N: number; K: number;
  batchA: number; batchB: number; batch: number;
  outShape: number[];
}

/** Plan a matmul; null when the batch dims broadcast in a way the fast paths do not handle. */
function planMatMul(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulPlan | null {
  const ra = aShape.length, rb = bShape.length;
  const M = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const K = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kB = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const N = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (K !== kB) {
    throw new Error(`matMul: inner dimensions ${K} and ${kB} of shapes [${aShape}] and [${bShape}] ` +
      `(transposeA=${transposeA}, transposeB=${transposeB}) must match`);
  }
  const outerA = aShape.slice(0, -2), outerB = bShape.slice(0, -2);
  const batchA = sizeOf(outerA), batchB = sizeOf(outerB);
  // Same batch shape, or one side a single matrix; other broadcasts go to the stock kernel.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  if (sizeOf(outer) !== Math.max(batchA, batchB)) return null;
  return { M, N, K, batchA, batchB, batch: Math.max(batchA, batchB), outShape: [...outer, M, N] };
}

/** Make the BatchMatMul kernel config; `original` is the stock wasm kernel (used for odd broadcasts). */
function batchMatMulConfig(original: KernelConfig, native: NativeAddon | null): KernelConfig {
  // The stock C entry point, one cwrap per wasm module (backends can be re-created).
  const xnnByModule = new WeakMap<object, (...args: unknown[]) => unknown>();
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const a = inputs.a as TensorInfo, b = inputs.b as TensorInfo;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const plan = a.dtype === 'float32' && b.dtype === 'float32' ? planMatMul(a.shape, b.shape, transposeA, transposeB) : null;
    if (plan === null) return original.kernelFunc({ inputs, backend, attrs });
    const { M, N, K, batchA, batchB, batch, outShape } = plan;
    const out = wb.makeOutput(outShape, 'float32');
    if (M * N === 0) return out;
    if (K === 0) {
      heapViews(wb).f32.fill(0, elementOffset(wb, out), elementOffset(wb, out) + M * N * batch);
      return out;
    }
    if (native !== null) {
      tuneBlasThreads();
      native.sgemm(heapViews(wb).f32, transposeA, transposeB, M, N, K,
        elementOffset(wb, a), elementOffset(wb, b), elementOffset(wb, out),
        batch, batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N, M * N);
      return out;
    }
    let xnnMatMul = xnnByModule.get(wb.wasm);
    if (!xnnMatMul) {
      xnnMatMul = wb.wasm.cwrap(BatchMatMul, null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
      xnnByModule.set(wb.wasm, xnnMatMul);
    }
    // Transpose explicitly so that every product is a plain (M,K)·(K,N).
    const transpose = getKernel(Transpose, 'wasm')!.kernelFunc;
    const swap = (t: TensorInfo, rows: number, cols: number, batchT: number) =>
      transpose({ inputs: { x: { ...t, shape: [batchT, rows, cols] } }, backend, attrs: { perm: [0, 2, 1] } as unknown as NamedAttrMap }) as TensorInfo;
    const aT = transposeA ? swap(a, K, M, batchA) : a;
    const bT = transposeB ? swap(b, N, K, batchB) : b;
    const aOff = elementOffset(wb, aT) * 4, bOff = elementOffset(wb, bT) * 4, oOff = elementOffset(wb, out) * 4;
    const shapeBytes = (r: number, c: number) => new Uint8Array(new Int32Array([1, r, c]).buffer);
    const view = (byteOffset: number, size: number) => {
      const id = wb.dataIdNextNumber++;
      wb.wasm.tfjs.registerTensor(id, size, byteOffset);
      return id;
    };
    for (let i = 0; i < batch; i++) {
      const ia = view(aOff + (batchA === 1 ? 0 : i * M * K * 4), M * K);
      const ib = view(bOff + (batchB === 1 ? 0 : i * K * N * 4), K * N);
      const io = view(oOff + i * M * N * 4, M * N);
      xnnMatMul(ia, shapeBytes(M, K), 3, ib, shapeBytes(K, N), 3, false, false, io);
      for (const id of [ia, ib, io]) wb.wasm.tfjs.disposeData(id);
    }
    if (aT !== a) wb.disposeData(aT.dataId);
    if (bT !== b) wb.disposeData(bT.dataId);
    return out;
  };
  // The stock kernel's setup (its cwrap) must still run, for the odd-broadcast fallback.
  return { kernelName: BatchMatMul, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}

/** BatchMatMul: native sgemm when the addon is loaded, else XNNPACK per batch. */
export const batchMatMulKernel: WasmKernel = {
  kernelName: BatchMatMul, wrapsStock: true,
  make: (ctx) => batchMatMulConfig(stockOf(ctx, BatchMatMul), ctx.native),
};
