import { BatchMatMul, Conv2DBackpropFilter, getKernel } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';
import { elementOffset, heapViews, sizeOf } from '../wasm_memory';
import { convGradConfig, geometry, MAX_SCRATCH, type Geometry } from './conv2d_util';
import type { WasmKernel } from './types';

/*
 * Conv2DBackpropFilter (the conv weight gradient) for the wasm backend, which lacks it.
 * NHWC x (N, H, W, C), dy (N, OH, OW, OC) -> dW (FH, FW, C, OC):
 *   dW[fh, fw, c, oc] = Σ_{n, oh, ow} x[n, oh·sh − top + fh, ow·sw − left + fw, c] · dy[n, oh, ow, oc]
 * i.e. dW (K, OC) = colsᵀ (K, P) · dy (P, OC) with K = FH·FW·C, P = N·OH·OW and cols the
 * im2col matrix of x. Three ways, all on the wasm heap:
 *  - 'sgemm': im2col into a scratch tensor, then OpenBLAS sgemm (native addon) with the
 *    transpose folded in, batch chunks accumulated with beta = 1;
 *  - 'xnnpack': im2col written transposed (K, P) and XNNPACK's matmul via the wasm
 *    BatchMatMul kernel (no addon needed);
 *  - 'loop': a direct JS loop accumulating in float64, fastest for tiny layers.
 * NCHW and non-float32 inputs go to the cpu backend's kernel through the bridge.
 * The input gradient is in Conv2DBackpropInput.ts.
 */

export type Conv2DFilterGradMethod = 'auto' | 'loop' | 'sgemm' | 'xnnpack';

/**
 * Below this many multiply-adds the direct loop is used: with the addon it beats im2col +
 * sgemm; without it, it is exact (float64) and within ~1.5x of XNNPACK up to ~50 ms.
 */
const LOOP_MAX_MACS = 1 << 15, LOOP_MAX_MACS_NO_ADDON = 1 << 26;
/**
 * Rows (pixels) per float32 block sum; blocks are summed in float64. Short blocks keep
 * the result within 1e-5 of a float64 sum; on big layers (over BIG_MACS multiply-adds)
 * longer blocks keep the float64 pass (MACs / R adds in JS) and tiny matmuls from
 * dominating, at the accuracy of a float32 matmul over 256 rows. XNNPACK always gets
 * 256-row blocks: it runs (and packs) one operator per block, ~0.5 ms each.
 */
const BLOCK_ROWS = 16, BIG_BLOCK_ROWS = 256, BIG_MACS = 1 << 25;

/** Direct loop: out (K, OC) = Σ_p col_p ⊗ dy_p, accumulated in float64. */
function filterGradLoop(f32: Float32Array, xo: number, dyo: number, oo: number, g: Geometry): void {
  const { N, H, W, C, OH, OW, OC, FH, FW, sh, sw, top, left } = g;
  const acc = new Float64Array(FH * FW * C * OC);
  const d = new Float64Array(OC);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dyBase = dyo + ((n * OH + oh) * OW + ow) * OC;
        for (let oc = 0; oc < OC; oc++) d[oc] = f32[dyBase + oc];
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * sh - top + fh;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * sw - left + fw;
            if (iw < 0 || iw >= W) continue;
            const xBase = xo + ((n * H + ih) * W + iw) * C;
            let a = (fh * FW + fw) * C * OC;
            for (let c = 0; c < C; c++, a += OC) {
              const xv = f32[xBase + c];
              for (let oc = 0; oc < OC; oc++) acc[a + oc] += xv * d[oc];
            }
          }
        }
      }
    }
  }
  f32.set(acc, oo);
}

/**
 * im2col of images [n0, n0 + nb) into `dst`, as blocks of R rows (pixels): block b holds
 * rows [b·R, b·R + R) of the (P, K) matrix, row-major (R, K) or, when `transposed`,
 * (K, R). Zeros where the window hangs over the padding; the caller zeroes the rows
 * past P in the last block.
 */
function im2col(f32: Float32Array, xo: number, dst: number, n0: number, nb: number, g: Geometry, R: number, transposed: boolean): void {
  const { H, W, C, OH, OW, FH, FW, sh, sw, top, left } = g;
  const K = FH * FW * C;
  let r = 0;
  for (let n = n0; n < n0 + nb; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, r++) {
        const block = dst + Math.floor(r / R) * R * K, i = r % R;
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * sh - top + fh;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * sw - left + fw;
            const k0 = (fh * FW + fw) * C;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            const src = xo + ((n * H + ih) * W + iw) * C;
            if (transposed) {
              let o = block + k0 * R + i;
              if (inside) for (let c = 0; c < C; c++, o += R) f32[o] = f32[src + c];
              else for (let c = 0; c < C; c++, o += R) f32[o] = 0;
            } else {
              const o = block + i * K + k0;
              if (!inside) f32.fill(0, o, o + C);
              else if (C >= 16) f32.copyWithin(o, src, src + C);
              else for (let c = 0; c < C; c++) f32[o + c] = f32[src + c];
            }
          }
        }
      }
    }
  }
}

/** Pick a method: the loop for tiny layers, else sgemm when the addon is there, else XNNPACK. */
function chooseFilterGradMethod(g: Geometry, native: NativeAddon | null): Exclude<Conv2DFilterGradMethod, 'auto'> {
  const macs = g.N * g.OH * g.OW * g.FH * g.FW * g.C * g.OC;
  if (macs <= (native !== null ? LOOP_MAX_MACS : LOOP_MAX_MACS_NO_ADDON)) return 'loop';
  return native !== null ? 'sgemm' : 'xnnpack';
}

/**
 * Kernel config for `wasm` Conv2DBackpropFilter. `native` enables the sgemm path;
 * `method` forces one path (tests), 'auto' picks by size; `maxScratch` bounds the im2col
 * buffer in floats (batches beyond it are done in chunks).
 */
export function conv2dBackpropFilterConfig(native: NativeAddon | null, method: Conv2DFilterGradMethod = 'auto', maxScratch = MAX_SCRATCH): KernelConfig {
  return convGradConfig<Conv2DBackpropFilterAttrs>(Conv2DBackpropFilter, ['x', 'dy'], ({ inputs, backend }, attrs, wb) => {
    const x = inputs.x as TensorInfo, dy = inputs.dy as TensorInfo;
    const g = geometry(x.shape, attrs.filterShape, dy, attrs, Conv2DBackpropFilter);
    const K = g.FH * g.FW * g.C, OC = g.OC, pixels = g.OH * g.OW;
    const out = wb.makeOutput([g.FH, g.FW, g.C, OC], 'float32');
    if (sizeOf(x.shape) === 0 || sizeOf(dy.shape) === 0) {
      const oo = elementOffset(wb, out);
      heapViews(wb).f32.fill(0, oo, oo + K * OC);
      return out;
    }
    const how = method === 'auto' ? chooseFilterGradMethod(g, native) : method;
    if (how === 'sgemm' && native === null) throw new Error("Conv2DBackpropFilter: method 'sgemm' needs the native addon (npm run build:native)");
    if (how === 'loop') {
      filterGradLoop(heapViews(wb).f32, elementOffset(wb, x), elementOffset(wb, dy), elementOffset(wb, out), g);
      return out;
    }
    // Blocked sums: float32 products over R rows per block, blocks summed in float64, so
    // the result stays within ~1e-6 of the exact sum (one float32 sum over P rows drifts
    // by 1e-4 for P in the thousands).
    const R = how === 'xnnpack' || g.N * pixels * K * OC > BIG_MACS ? BIG_BLOCK_ROWS : BLOCK_ROWS;
    const perRow = K + OC + (K * OC) / R;
    const nb = Math.max(1, Math.min(g.N, Math.floor(maxScratch / (pixels * perRow))));
    const maxBlocks = Math.ceil((nb * pixels) / R);
    // Scratch: cols blocks, dy blocks (zero-padded to whole blocks), partial sums (sgemm).
    const cols = wb.makeOutput([maxBlocks * R * K], 'float32');
    const dyBlocks = wb.makeOutput([maxBlocks * R * OC], 'float32');
    const parts = how === 'sgemm' ? wb.makeOutput([maxBlocks * K * OC], 'float32') : null;
    const acc = new Float64Array(K * OC);
    try {
      for (let n0 = 0; n0 < g.N; n0 += nb) {
        const m = Math.min(nb, g.N - n0), P = m * pixels, blocks = Math.ceil(P / R), Pp = blocks * R;
        // Offsets are read after every allocation: a heap growth moves the views, not the offsets.
        let f32 = heapViews(wb).f32;
        const co = elementOffset(wb, cols), dbo = elementOffset(wb, dyBlocks);
        const dyo = elementOffset(wb, dy) + n0 * pixels * OC;
        im2col(f32, elementOffset(wb, x), co, n0, m, g, R, how === 'xnnpack');
        if (Pp > P) { // zero the padding rows of the last block
          const last = co + (blocks - 1) * R * K;
          if (how === 'xnnpack') for (let k = 0; k < K; k++) f32.fill(0, last + k * R + (P % R), last + (k + 1) * R);
          else f32.fill(0, last + (P % R) * K, last + R * K);
        }
        f32.copyWithin(dbo, dyo, dyo + P * OC);
        f32.fill(0, dbo + P * OC, dbo + Pp * OC);
        let partials = 0;
        let prod: TensorInfo | null = null;
        if (how === 'sgemm') {
          // partial[b] (K, OC) = cols[b](R, K)ᵀ · dy[b](R, OC)
          partials = elementOffset(wb, parts!);
          native!.sgemm(f32, true, false, K, OC, R, co, dbo, partials, blocks, R * K, R * OC, K * OC);
        } else {
          // partial[b] (K, OC) = colsT[b](K, R) · dy[b](R, OC), XNNPACK via the wasm BatchMatMul.
          prod = getKernel(BatchMatMul, 'wasm')!.kernelFunc({
            inputs: { a: { ...cols, shape: [blocks, K, R] }, b: { ...dyBlocks, shape: [blocks, R, OC] } }, backend,
            attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
          }) as TensorInfo; // (blocks, K, OC)
          f32 = heapViews(wb).f32;
          partials = elementOffset(wb, prod);
        }
        for (let b = 0; b < blocks; b++) {
          const base = partials + b * K * OC;
          for (let i = 0; i < K * OC; i++) acc[i] += f32[base + i];
        }
        if (prod !== null) wb.disposeData(prod.dataId);
      }
    } finally {
      for (const t of [cols, dyBlocks, parts]) if (t !== null) wb.disposeData(t.dataId);
    }
    heapViews(wb).f32.set(acc, elementOffset(wb, out));
    return out;
  });
}

/** Conv2DBackpropFilter (the conv weight gradient), which tfjs-backend-wasm lacks. */
export const conv2DBackpropFilterKernel: WasmKernel = { kernelName: Conv2DBackpropFilter, wrapsStock: false, make: ({ native }) => conv2dBackpropFilterConfig(native) };
