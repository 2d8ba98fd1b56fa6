import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, type WasmBackendLike } from './wasm_memory';
import type { NativeAddon } from './native';
import { tuneBlasThreads } from './blas_threads';

/*
 * Residual VQ encode as one kernel (issue 13: the VQ-VAE step was 0.07x PyTorch). The tfjs composition runs ~15
 * kernels per level (distances, argMin, a one-hot lookup, the subtraction), 24 levels deep, and every one of them is
 * on the gradient tape although no gradient flows through the codes: the backward pass then walked all 24 levels'
 * distance matmuls too. Here the whole descent is one kernel whose gradient is zero: the caller adds the
 * straight-through estimator and the commitment loss around its `total` (quantizer-residual.ts), which is exactly
 * what the composition's gradient came to (total = z − r has d total/dz = I − I = 0).
 * Registered for wasm with the native addon (one sgemm per level) and for cpu (plain JS).
 */

export const RESIDUAL_QUANTIZE = 'IgpgResidualQuantize';

/**
 * The descent on Float32Arrays: z (M, D), codebooks es[k] (C, D); kinds (M,) restricts row m to the codes
 * [kinds[m]·perKind, +perKind), or null for all C. Writes idx (M·L, level-minor) and total = z − r (M, D).
 * Nearest code by ||e||² − 2·r·e (||r||² is the same for every code), the first on ties, as the native kernel does.
 */
export function residualQuantizeJs(z: Float32Array, es: Float32Array[], kinds: Int32Array | null, perKind: number,
  total: Float32Array, idx: Int32Array, M: number, C: number, D: number): void {
  const L = es.length;
  const r = Float32Array.from(z), ee = new Float32Array(C), dist = new Float32Array(C);
  for (let k = 0; k < L; k++) {
    const e = es[k];
    for (let c = 0; c < C; c++) {
      let q = 0;
      for (let j = 0; j < D; j++) q += e[c * D + j] * e[c * D + j];
      ee[c] = q;
    }
    for (let m = 0; m < M; m++) {
      const c0 = kinds ? kinds[m] * perKind : 0, c1 = kinds ? c0 + perKind : C, o = m * D;
      let best = c0, bv = Infinity;
      for (let c = c0; c < c1; c++) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += r[o + j] * e[c * D + j];
        dist[c] = Math.fround(Math.fround(-2 * dot) + ee[c]);
        if (c === c0 || dist[c] < bv) { bv = dist[c]; best = c; }
      }
      idx[m * L + k] = best;
      for (let j = 0; j < D; j++) r[o + j] -= e[best * D + j];
    }
  }
  for (let i = 0; i < z.length; i++) total[i] = z[i] - r[i];
}

/** Input names of a descent over L codebooks: z, e0..e(L-1), then kinds when given. */
const codebookNames = (L: number) => Array.from({ length: L }, (_, k) => `e${k}`);

function shapesOf(inputs: tf.NamedTensorInfoMap, attrs: NamedAttrMap) {
  const L = attrs.levels as number;
  const z = inputs.z as TensorInfo, es = codebookNames(L).map((n) => inputs[n] as TensorInfo), kinds = (inputs.kinds as TensorInfo | undefined) ?? null;
  const [M, D] = z.shape, C = es[0].shape[0];
  if (z.dtype !== 'float32' || es.some((e) => e.dtype !== 'float32' || e.shape[0] !== C || e.shape[1] !== D)) {
    throw new Error(`${RESIDUAL_QUANTIZE}: z [${z.shape}] and ${L} float32 codebooks (C, ${D}) expected`);
  }
  if (kinds && (kinds.dtype !== 'int32' || kinds.shape[0] !== M)) throw new Error(`${RESIDUAL_QUANTIZE}: kinds must be int32 [${M}]`);
  return { z, es, kinds, M, C, D, L, perKind: attrs.perKind as number };
}

function wasmConfig(native: NativeAddon): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const { z, es, kinds, M, C, D, L, perKind } = shapesOf(inputs, attrs ?? {});
    const total = wb.makeOutput([M, D], 'float32'), idx = wb.makeOutput([M * L], 'int32');
    const off = (t: TensorInfo) => elementOffset(wb, t);
    tuneBlasThreads();
    // heap view after makeOutput: allocation may grow the heap
    native.residualQuantize(heapViews(wb).f32, off(z), Int32Array.from(es, off), kinds ? off(kinds) : -1, perKind, off(total), off(idx), M, C, D);
    return [total, idx];
  };
  return { kernelName: RESIDUAL_QUANTIZE, backendName: 'wasm', kernelFunc };
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array | Int32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32' | 'int32', values: Float32Array | Int32Array): TensorInfo;
}

function cpuConfig(): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const cb = backend as unknown as CpuBackendLike;
    const { z, es, kinds, M, C, D, L, perKind } = shapesOf(inputs, attrs ?? {});
    const v = (t: TensorInfo) => cb.data.get(t.dataId).values;
    const total = new Float32Array(M * D), idx = new Int32Array(M * L);
    residualQuantizeJs(v(z) as Float32Array, es.map((e) => v(e) as Float32Array), kinds ? (v(kinds) as Int32Array) : null, perKind, total, idx, M, C, D);
    return [cb.makeTensorInfo([M, D], 'float32', total), cb.makeTensorInfo([M * L], 'int32', idx)];
  };
  return { kernelName: RESIDUAL_QUANTIZE, backendName: 'cpu', kernelFunc };
}

// No gradient flows through the codes: zeros for every input (the tape asks only for those that lead from the
// trained variables, i.e. z; the codebooks are EMA-updated, outside the optimizer).
const GRADIENT: tf.GradConfig = {
  kernelName: RESIDUAL_QUANTIZE,
  inputsToSave: ['z'],
  gradFunc: (_dy, [z], attrs) => {
    const { levels, codes, dim } = attrs as { levels: number; codes: number; dim: number };
    const grads: Record<string, () => tf.Tensor> = { z: () => tf.zerosLike(z), kinds: () => tf.zeros([z.shape[0]], 'int32') };
    for (const n of codebookNames(levels)) grads[n] = () => tf.zeros([codes, dim]);
    return grads;
  },
};

const REGISTERED = Symbol.for('igpg.residualVq.registered');

/**
 * Register the residual VQ kernel for cpu (plain JS) and, with the native addon, for wasm (one sgemm per level), and
 * its zero gradient. Without the addon wasm has none: plain JS distances (~0.5 GFLOP/s) lose to the composition's
 * XNNPACK products, which the quantizer then runs off the tape. Idempotent; initBackend calls it.
 */
export function registerResidualVq(native: NativeAddon | null): string[] {
  const g = globalThis as { [REGISTERED]?: string };
  const mode = native ? 'native' : 'js';
  if (g[REGISTERED] !== mode) {
    for (const config of native ? [wasmConfig(native), cpuConfig()] : [cpuConfig()]) {
      if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    if (!native && tf.getKernel(RESIDUAL_QUANTIZE, 'wasm')) tf.unregisterKernel(RESIDUAL_QUANTIZE, 'wasm');
    if (!tf.getGradient(RESIDUAL_QUANTIZE)) tf.registerGradient(GRADIENT);
    g[REGISTERED] = mode;
  }
  return native ? [RESIDUAL_QUANTIZE] : [];
}

/** Register the plain-JS kernels unless initBackend already did. */
function ensureRegistered(): void {
  if ((globalThis as { [REGISTERED]?: string })[REGISTERED] === undefined) registerResidualVq(null);
}

/** Whether the current backend runs the one-kernel descent (wasm, cpu); elsewhere quantizers keep the composition. */
export function hasResidualQuantize(): boolean {
  ensureRegistered();
  return tf.getKernel(RESIDUAL_QUANTIZE, tf.getBackend()) !== undefined;
}

/**
 * Residual VQ encode of z (M, D) over codebooks (each (C, D)): total (M, D), the sum of each row's L code vectors, and
 * indices (M·L,) int32, level-minor. `kinds` (M,) int32 limits row m to codes [kinds[m]·perKind, +perKind). No
 * gradient: wrap `total` in a straight-through estimator.
 * @example const { total, indices } = residualQuantize(z, stages.map((s) => s.codebook()));
 */
export function residualQuantize(z: tf.Tensor2D, codebooks: tf.Tensor2D[], kinds?: tf.Tensor1D, perKind = codebooks[0].shape[0]): { total: tf.Tensor2D; indices: tf.Tensor1D } {
  const inputs: tf.NamedTensorMap = { z };
  codebooks.forEach((e, k) => { inputs[`e${k}`] = e; });
  if (kinds) inputs.kinds = kinds;
  const [total, indices] = tf.engine().runKernel(RESIDUAL_QUANTIZE, inputs, { levels: codebooks.length, perKind, codes: codebooks[0].shape[0], dim: z.shape[1] }) as tf.Tensor[];
  return { total: total as tf.Tensor2D, indices: indices as tf.Tensor1D };
}
