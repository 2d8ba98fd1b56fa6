import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { cpuFeatures } from './cpu_features';

/** The optional native addon (native/igpg_native.c), built by `npm run build:native`. */
export interface NativeAddon {
  /** C[b] = op(A[b])·op(B[b]) (+ beta·C[b]) on a Float32Array heap; offsets and strides in floats. */
  sgemm(heap: Float32Array, transA: boolean, transB: boolean, M: number, N: number, K: number,
    aOff: number, bOff: number, cOff: number, batch: number, strideA: number, strideB: number, strideC: number, beta?: number): void;
  setThreads(n: number): void;
  getThreads(): number;
  gelu(heap: Float32Array, xOff: number, yOff: number, n: number): void;
  geluGrad(heap: Float32Array, xOff: number, dyOff: number, dxOff: number, n: number): void;
}

export interface NativeInfo {
  addon: NativeAddon;
  /** Path of the loaded .node file. */
  file: string;
  /** e.g. "openblas (SkylakeX kernels)". */
  description: string;
}

let cached: NativeInfo | null | undefined;

/** Where the addon is looked for: $IGPG_NATIVE, then <repo>/native/build/igpg_native.node. */
export function nativeAddonPath(): string {
  // src/backend and dist/backend are both four levels below the repository root.
  return process.env.IGPG_NATIVE ?? path.resolve(__dirname, '../../../../native/build/igpg_native.node');
}

/**
 * Load the native addon if it was built; null (never an error) when it is absent or
 * fails to load, so everything falls back to plain wasm. Set IGPG_NATIVE=off to disable.
 * @example const native = loadNative(); if (native) native.addon.setThreads(2);
 */
export function loadNative(log?: (s: string) => void): NativeInfo | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.IGPG_NATIVE === 'off') return cached;
  const file = nativeAddonPath();
  if (!fs.existsSync(file)) return cached;
  // OpenBLAS 0.3.21 does not know AMD Zen 4 and picks its AVX2 "Haswell" kernels (~95
  // GFLOP/s/core here); its AVX-512 "SkylakeX" kernels run at ~200. The variable is read
  // when libopenblas loads, i.e. by the require below. IGPG_OPENBLAS_CORETYPE wins over an
  // OPENBLAS_CORETYPE already in the environment, which wins over the AVX-512 default.
  const cpu = cpuFeatures();
  if (process.env.IGPG_OPENBLAS_CORETYPE) process.env.OPENBLAS_CORETYPE = process.env.IGPG_OPENBLAS_CORETYPE;
  else if (cpu.isa === 'avx512' && process.env.OPENBLAS_CORETYPE === undefined) process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  try {
    const addon = createRequire(__filename)(file) as NativeAddon;
    const kernels = process.env.OPENBLAS_CORETYPE ? ` (${process.env.OPENBLAS_CORETYPE} kernels)` : '';
    cached = { addon, file, description: `openblas${kernels}` };
  } catch (e) {
    log?.(`igpg: native addon ${file} failed to load (${(e as Error).message}); using plain wasm`);
  }
  return cached;
}
