import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { cpuFeatures } from './cpu_features';

/** The optional native addon (native/igpg_native.c), built by `npm run build:native`. */
export interface NativeAddon {
  /**
   * C[b] = op(A[b])·op(B[b]) (+ beta·C[b]) on a Float32Array heap; offsets and strides in floats. C is cut into
   * tiles (`sgemmTiles`), each one single-threaded OpenBLAS call over the full K, shared by `setThreads` threads:
   * the bits do not depend on the thread count or the machine load (issue 13).
   */
  sgemm(heap: Float32Array, transA: boolean, transB: boolean, M: number, N: number, K: number,
    aOff: number, bOff: number, cOff: number, batch: number, strideA: number, strideB: number, strideC: number, beta?: number): void;
  /** [rows, cols] of the tiles sgemm cuts an (M, N) output of `batch` matrices into: a function of the shape alone. */
  sgemmTiles(M: number, N: number, batch: number): [number, number];
  /** Threads sgemm uses (1-64): the caller and n − 1 pool workers; OpenBLAS itself runs one. */
  setThreads(n: number): void;
  getThreads(): number;
  gelu(heap: Float32Array, xOff: number, yOff: number, n: number): void;
  geluGrad(heap: Float32Array, xOff: number, dyOff: number, dxOff: number, n: number): void;
  layerNorm(heap: Float32Array, x: number, g: number, b: number, y: number, mean: number, rstd: number, rows: number, d: number, eps: number): void;
  layerNormGrad(heap: Float32Array, x: number, g: number, mean: number, rstd: number, dy: number,
    dx: number, dg: number, db: number, rows: number, d: number): void;
  causalSoftmax(heap: Float32Array, x: number, y: number, mats: number, t: number, T: number, offset: number): void;
  causalSoftmaxGrad(heap: Float32Array, y: number, dy: number, dx: number, mats: number, t: number, T: number, offset: number): void;
  /** The core's effective clock in GHz (turbo included), from a dependent-add chain. */
  clockGhz(): number;
  /** y[j] = Σ_r x[r, j] for x (rows, cols). */
  colSum(heap: Float32Array, x: number, y: number, rows: number, cols: number): void;
  /** logp = logits − logsumexp per row; loss[0] = −Σ_r w[r]·logp[r, targets[r]]. targets is an int32 offset. */
  softmaxXent(heap: Float32Array, logits: number, targets: number, w: number, logp: number, loss: number, N: number, V: number): void;
  /** dlogits = (exp(logp) − onehot)·w[r]·dy, dy a scalar at offset `dy`. */
  softmaxXentGrad(heap: Float32Array, logp: number, targets: number, w: number, dy: number, dlogits: number, N: number, V: number): void;
  /** One new token's attention over a (B, nh, C, hs) KV cache, its key and value written in place at `pos` (fused/decode_attention.ts). */
  decodeAttention(heap: Float32Array, qkv: number, kbuf: number, vbuf: number, y: number, B: number, nh: number, C: number, hs: number, pos: number): void;
  /**
   * Residual VQ encode (residual_vq.ts): z (M, D), codebooks (L offsets of (C, D)); kinds an int32 offset or −1;
   * writes idx (int32, M·L) and total (M, D).
   */
  residualQuantize(heap: Float32Array, z: number, codebooks: Int32Array, kinds: number, perKind: number, total: number, idx: number, M: number, C: number, D: number): void;
  /** One EMA codebook update in place (vqvae/quantizer-ema.ts emaLevelJs computes the same bits). */
  emaLevel(z: Float32Array, next: Float32Array | null, idx: Int32Array, stride: number, offset: number,
    e: Float32Array, size: Float32Array, avg: Float32Array, decay: number, eps: number): void;
  /** Dead codes dead[i] restart in place from rows rows[i] of z (quantizer-ema.ts restart). */
  emaRestart(z: Float32Array, dead: Int32Array, rows: Int32Array, e: Float32Array, avg: Float32Array, size: Float32Array, threshold: number): void;
  /** Valid k×k patches, stride 1: x (B, H, W, C) -> cols (B, H−k+1, W−k+1, k·k·C (+1 column of ones)) (im2col.ts). */
  im2col(heap: Float32Array, x: number, cols: number, B: number, H: number, W: number, C: number, k: number, ones: boolean): void;
  /** The adjoint of im2col: cols -> dx (B, H, W, C), summed in a fixed order (a ones column skipped). */
  col2im(heap: Float32Array, cols: number, dx: number, B: number, H: number, W: number, C: number, k: number, ones: boolean): void;
  /** p×p max-pooling, stride p, valid; arg (an int32 offset) gets each max's flat index into x (im2col.ts maxPoolJs). */
  maxPool(heap: Float32Array, x: number, y: number, arg: number, B: number, H: number, W: number, C: number, p: number): void;
  /** y = tanhf(x) over n floats (kernels/Tanh.ts). */
  tanh(heap: Float32Array, x: number, y: number, n: number): void;
  /** In-place Adam as tfjs computes it: p −= lr·(m/c1)/(√(v/c2)+eps), c1 = 1−β1^t, c2 = 1−β2^t. */
  adam(heap: Float32Array, p: number, g: number, m: number, v: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number): void;
}

export interface NativeInfo {
  addon: NativeAddon;
  /** Path of the loaded .node file. */
  file: string;
  /** e.g. "openblas (SkylakeX kernels)". */
  description: string;
}

let cached: NativeInfo | null | undefined;

/** Every function the JS side calls (checked at load). */
const NATIVE_FUNCTIONS: (keyof NativeAddon)[] = ['sgemm', 'sgemmTiles', 'setThreads', 'getThreads', 'gelu', 'geluGrad', 'adam', 'layerNorm', 'layerNormGrad',
  'causalSoftmax', 'causalSoftmaxGrad', 'clockGhz', 'colSum', 'softmaxXent', 'softmaxXentGrad', 'decodeAttention', 'residualQuantize', 'emaLevel', 'emaRestart', 'im2col', 'col2im', 'maxPool', 'tanh'];

/** Where the addon is looked for: $IGPG_NATIVE, then <repo>/native/build/igpg_native.node. */
function nativeAddonPath(): string {
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
    // an addon built from an older igpg_native.c lacks newer functions: use plain wasm until it is rebuilt
    const missing = NATIVE_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length) {
      log?.(`igpg: native addon ${file} is out of date (no ${missing.join(', ')}); rebuild it with \`npm run build:native\`; using plain wasm`);
      return cached;
    }
    const kernels = process.env.OPENBLAS_CORETYPE ? ` (${process.env.OPENBLAS_CORETYPE} kernels)` : '';
    cached = { addon, file, description: `openblas${kernels}` };
  } catch (e) {
    log?.(`igpg: native addon ${file} failed to load (${(e as Error).message}); using plain wasm`);
  }
  return cached;
}
