import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './gradients'; // registers every op gradient (tfjs-core alone registers none)
import { loadNative } from './native';
import { configureBlasThreads, DEFAULT_BLAS_THREADS, parseBlasThreads } from './blas_threads';
import { patchWasmKernels } from './kernels';
import { registerFusedOps } from './fused';
import { registerResidualVq } from './residual_vq';
import { registerIm2col } from './im2col';
import { createThreadedWasmBackend, wasmThreadsSupported } from './wasm_threads';
import { withoutGlueHandlers } from './process_hooks';

/** Backends igpg can run on, fastest first. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface InitBackendOptions {
  /** Force a backend (else $IGPG_BACKEND, else the first available of BACKEND_NAMES). */
  backend?: BackendName;
  /** Threads for wasm and the native BLAS (default: all logical cores). */
  threads?: number;
  /** Use the native addon with wasm when built (default true; $IGPG_NATIVE=off disables). */
  native?: boolean;
  /**
   * Threads of the native sgemm (default 2, or $IGPG_BLAS_THREADS). Results are bit-identical for any count:
   * the addon splits each product into tiles fixed by its shape. 'auto' uses up to `threads` while the machine
   * has a free core and 1 when other processes keep the cores busy.
   */
  blasThreads?: 'auto' | number;
  log?: (s: string) => void;
}

export interface BackendInfo {
  /** igpg's name for the backend. */
  name: BackendName;
  /** tfjs's name for it (tf.getBackend()). */
  tfName: string;
  threads: number;
  simd: boolean;
  /** Native helper in use, e.g. "openblas (SkylakeX kernels)" or libtensorflow. */
  native?: string;
  /** Native BLAS threading ('auto' or a fixed count), when the addon is in use. */
  blasThreads?: 'auto' | number;
  /** Kernels igpg registered on top of the stock backend. */
  patchedKernels: string[];
}

const requireHere = createRequire(__filename);
let current: { key: string; info: BackendInfo; terminate?: () => void } | null = null;

function tryRequire(name: string): { ok: true } | { ok: false; reason: string } {
  try {
    requireHere(name);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
}

/** Which backends can run in this process, with the reason for those that cannot. */
export function availableBackends(): { name: BackendName; available: boolean; reason?: string }[] {
  return BACKEND_NAMES.map((name) => {
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      const pkg = `@tensorflow/${name}`;
      try {
        requireHere.resolve(pkg);
        return { name, available: true };
      } catch {
        return { name, available: false, reason: `${pkg} is not installed (npm install ${pkg}; it downloads libtensorflow)` };
      }
    }
    return { name, available: true };
  });
}

async function activate(name: BackendName, threads: number, useNative: boolean, blas: 'auto' | number, log: (s: string) => void): Promise<{ info: BackendInfo; terminate?: () => void }> {
  if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
    const loaded = tryRequire(`@tensorflow/${name}`); // registers the 'tensorflow' backend
    if (!loaded.ok) throw new Error(`cannot load @tensorflow/${name}: ${loaded.reason}`);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`@tensorflow/${name} loaded but its backend failed to initialize`);
    return { info: { name, tfName: 'tensorflow', threads, simd: true, native: 'libtensorflow', patchedKernels: [] } };
  }
  if (name === 'cpu') {
    await tf.setBackend('cpu');
    return { info: { name, tfName: 'cpu', threads: 1, simd: false, patchedKernels: [] } };
  }
  // wasm
  const native = useNative ? loadNative(log) : null;
  if (native) configureBlasThreads(native.addon, blas, threads);
  const patchedKernels = [...patchWasmKernels(native?.addon ?? null), ...registerFusedOps(native?.addon ?? null), ...registerResidualVq(native?.addon ?? null), ...registerIm2col(native?.addon ?? null)];
  let terminate: (() => void) | undefined;
  let actual = 1;
  stockWasmFactory(); // capture it before the first swap
  if (tf.engine().registryFactory.wasm !== undefined) tf.engine().removeBackend('wasm');
  if (threads > 1 && wasmThreadsSupported()) {
    const made = await createThreadedWasmBackend(threads);
    tf.registerBackend('wasm', () => made.backend, 2);
    terminate = made.terminate;
    actual = made.actualThreads;
  } else {
    tf.registerBackend('wasm', stockWasmFactory(), 2);
  }
  // the stock module starts inside setBackend; its glue's process handlers come off again
  if (!(await withoutGlueHandlers(() => tf.setBackend('wasm')))) throw new Error('the wasm backend failed to initialize');
  if (threads === 1 || !terminate) actual = 1;
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { info: { name, tfName: 'wasm', threads: actual, simd, native: native?.description, blasThreads: native ? blas : undefined, patchedKernels }, terminate };
}

// The wasm package's own factory (single-threaded SIMD build), captured before any swap and
// kept on the global object so that src and dist copies of this module share it.
const STOCK = Symbol.for('igpg.wasm.stockFactory');
function stockWasmFactory(): () => tf.KernelBackend | Promise<tf.KernelBackend> {
  const g = globalThis as { [STOCK]?: () => tf.KernelBackend | Promise<tf.KernelBackend> };
  g[STOCK] ??= tf.findBackendFactory('wasm') ?? undefined;
  if (g[STOCK] === undefined) throw new Error('igpg: @tensorflow/tfjs-backend-wasm did not register its backend');
  return g[STOCK];
}

function parseBackend(value: string, source: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`${source}: unknown backend '${value}'; use one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Pick and start the tensor backend: the one asked for (option, else $IGPG_BACKEND), or
 * the first that works of tfjs-node-gpu, tfjs-node, wasm, cpu. On wasm it registers the
 * kernels training needs, runs `threads` threads and uses the native BLAS addon when built.
 * Idempotent: a second call with the same options returns the same info.
 * @example const info = await initBackend({ threads: 2 }); // { name: 'wasm', threads: 2, ... }
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const log = options.log ?? (() => undefined);
  const requested = options.backend ?? (process.env.IGPG_BACKEND ? parseBackend(process.env.IGPG_BACKEND, 'IGPG_BACKEND') : undefined);
  if (requested !== undefined) parseBackend(requested, 'initBackend({ backend })');
  const threads = options.threads ?? os.cpus().length;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`initBackend: threads must be a positive integer, got ${threads}`);
  const useNative = options.native ?? true;
  const blas = options.blasThreads !== undefined ? parseBlasThreads(options.blasThreads, 'initBackend({ blasThreads })')
    : process.env.IGPG_BLAS_THREADS ? parseBlasThreads(process.env.IGPG_BLAS_THREADS, 'IGPG_BLAS_THREADS') : DEFAULT_BLAS_THREADS;
  const key = JSON.stringify([requested ?? 'auto', threads, useNative, blas]);
  if (current?.key === key && tf.getBackend() === current.info.tfName) return current.info;
  shutdownBackend();

  const candidates = requested ? [requested] : BACKEND_NAMES;
  const available = availableBackends();
  const failures: string[] = [];
  for (const name of candidates) {
    const avail = available.find((a) => a.name === name)!;
    if (!avail.available) {
      failures.push(`${name}: ${avail.reason}`);
      continue;
    }
    try {
      const { info, terminate } = await activate(name, threads, useNative, blas, log);
      current = { key, info, terminate };
      log(`igpg: backend ${info.name} (${info.threads} thread${info.threads > 1 ? 's' : ''}${info.native ? `, ${info.native}` : ''})`);
      return info;
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  const usable = available.filter((a) => a.available).map((a) => a.name);
  throw new Error(`initBackend: backend ${requested ?? '(any)'} is not available here.\n  ${failures.join('\n  ')}\n` +
    `Available: ${usable.join(', ')} (choose with --backend or IGPG_BACKEND).`);
}

/** The backend started by initBackend, or null. */
export function currentBackend(): BackendInfo | null {
  return current?.info ?? null;
}

/**
 * Stop the backend's worker threads so that the process can exit by itself (threaded
 * wasm keeps Node alive otherwise). Tensors on it are lost; initBackend() starts again.
 */
export function shutdownBackend(): void {
  if (current === null) return;
  const { info, terminate } = current;
  current = null;
  if (info.tfName === 'wasm' && tf.engine().registryFactory.wasm !== undefined) {
    tf.engine().removeBackend('wasm');
    terminate?.();
    tf.registerBackend('wasm', stockWasmFactory(), 2);
  }
}
