import { BatchMatMul, Conv2DBackpropInput, getKernel } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import { convGradConfig, geometry, MAX_SCRATCH } from './conv2d_util';
import type { WasmKernel } from './types';

/*
 * Conv2DBackpropInput (the conv input gradient) for the wasm backend, on the heap; the
 * geometry and its checks are shared with Conv2DBackpropFilter.ts (conv2d_util.ts).
 */

/**
 * Kernel config for `wasm` Conv2DBackpropInput (replaces the stock one, a scalar C loop):
 * cols (P, K) = dy (P, OC) · Wᵀ (OC, K) by sgemm (addon) or XNNPACK (BatchMatMul with a
 * transposed copy of the small filter), then col2im adds each row back into dx, in float64.
 * `maxScratch` bounds the cols buffer in floats (batches beyond it are done in chunks).
 */
export function conv2dBackpropInputConfig(native: NativeAddon | null, maxScratch = MAX_SCRATCH): KernelConfig {
  return convGradConfig<Conv2DBackpropInputAttrs>(Conv2DBackpropInput, ['dy', 'filter'], ({ inputs, backend }, attrs, wb) => {
    const dy = inputs.dy as TensorInfo, filter = inputs.filter as TensorInfo;
    if (filter.shape.length !== 4) throw new Error(`Conv2DBackpropInput: filter shape [${filter.shape}] must be 4-D [fh, fw, inC, outC]`);
    const g = geometry(attrs.inputShape, filter.shape as [number, number, number, number], dy, attrs, Conv2DBackpropInput);
    const { H, W, C, OH, OW, OC, FH, FW, sh, sw, top, left } = g;
    const K = FH * FW * C, pixels = OH * OW;
    const dx = wb.makeOutput([g.N, H, W, C], 'float32');
    if (sizeOf(dx.shape) === 0 || pixels === 0 || OC === 0) {
      const o = elementOffset(wb, dx);
      heapViews(wb).f32.fill(0, o, o + sizeOf(dx.shape));
      return dx;
    }
    const nb = Math.max(1, Math.min(g.N, Math.floor(maxScratch / (pixels * K))));
    const acc = new Float64Array(g.N * H * W * C);
    // Without the addon: Wᵀ (OC, K), so that XNNPACK gets a plain (P, OC)·(OC, K).
    let wT: TensorInfo | null = null;
    if (native === null) {
      wT = wb.makeOutput([OC, K], 'float32');
      const f32 = heapViews(wb).f32, fo = elementOffset(wb, filter), to = elementOffset(wb, wT);
      for (let k = 0; k < K; k++) for (let oc = 0; oc < OC; oc++) f32[to + oc * K + k] = f32[fo + k * OC + oc];
    }
    const cols = native !== null ? wb.makeOutput([nb * pixels, K], 'float32') : null;
    try {
      for (let n0 = 0; n0 < g.N; n0 += nb) {
        const m = Math.min(nb, g.N - n0), P = m * pixels;
        const dyo = elementOffset(wb, dy) + n0 * pixels * OC;
        let prod: TensorInfo | null = null, co: number;
        if (native !== null) {
          co = elementOffset(wb, cols!);
          // cols (P, K) = dy (P, OC) · W(K, OC)ᵀ
          native.sgemm(heapViews(wb).f32, false, true, P, K, OC, dyo, elementOffset(wb, filter), co, 1, 0, 0, 0);
        } else {
          const a: TensorInfo = n0 === 0 && m === g.N ? { ...dy, shape: [P, OC] } : copyRows(wb, dyo, P * OC, [P, OC]);
          prod = getKernel(BatchMatMul, 'wasm')!.kernelFunc({
            inputs: { a, b: wT! }, backend, attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
          }) as TensorInfo; // (P, K)
          if (a.dataId !== dy.dataId) wb.disposeData(a.dataId);
          co = elementOffset(wb, prod);
        }
        const f32 = heapViews(wb).f32;
        let r = 0;
        for (let n = n0; n < n0 + m; n++) {
          for (let oh = 0; oh < OH; oh++) {
            for (let ow = 0; ow < OW; ow++, r++) {
              const row = co + r * K;
              for (let fh = 0; fh < FH; fh++) {
                const ih = oh * sh - top + fh;
                if (ih < 0 || ih >= H) continue;
                for (let fw = 0; fw < FW; fw++) {
                  const iw = ow * sw - left + fw;
                  if (iw < 0 || iw >= W) continue;
                  const d = ((n * H + ih) * W + iw) * C, s = row + (fh * FW + fw) * C;
                  for (let c = 0; c < C; c++) acc[d + c] += f32[s + c];
                }
              }
            }
          }
        }
        if (prod !== null) wb.disposeData(prod.dataId);
      }
    } finally {
      for (const t of [cols, wT]) if (t !== null) wb.disposeData(t.dataId);
    }
    heapViews(wb).f32.set(acc, elementOffset(wb, dx));
    return dx;
  });
}

/** A new wasm tensor of `shape` holding `size` floats copied from heap offset `from`. */
function copyRows(wb: WasmBackendLike, from: number, size: number, shape: number[]): TensorInfo {
  const t = wb.makeOutput(shape, 'float32');
  const f32 = heapViews(wb).f32, o = elementOffset(wb, t);
  f32.copyWithin(o, from, from + size);
  return t;
}

/** Conv2DBackpropInput, replacing the stock scalar C loop. */
export const conv2DBackpropInputKernel: WasmKernel = { kernelName: Conv2DBackpropInput, wrapsStock: false, make: ({ native }) => conv2dBackpropInputConfig(native) };
