import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from './wasm_memory';
import type { NativeAddon } from './native';

/*
 * Fused kernels for the transformer's elementwise work. In tfjs each of LayerNorm, GELU
 * and masked softmax is a chain of 5-15 kernels, each a full pass over memory plus an
 * allocation, forward and backward; on wasm that chain, not the matmuls, dominates a GPT
 * step. Each op here is one kernel forward and one backward, registered for `wasm` (on the
 * heap, no copies; native C when the addon is loaded) and `cpu`, with its gradient. On any
 * other backend (tfjs-node) the ops fall back to the plain tfjs composition.
 */

export const GELU = 'IgpgGelu';
export const GELU_GRAD = 'IgpgGeluGrad';
export const LAYER_NORM = 'IgpgLayerNorm';
export const LAYER_NORM_GRAD = 'IgpgLayerNormGrad';
export const CAUSAL_SOFTMAX = 'IgpgCausalSoftmax';
export const CAUSAL_SOFTMAX_GRAD = 'IgpgCausalSoftmaxGrad';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

// ---- Plain-JS implementations on Float32Arrays (shared by cpu and wasm) ----

function geluJs(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
  }
}

function geluGradJs(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
    const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
}

/** y = (x - mean)·rstd·g + b per row of width d; also writes mean and rstd (rows,). */
function layerNormJs(x: Float32Array, g: Float32Array, b: Float32Array, eps: number, y: Float32Array, mean: Float32Array, rstd: Float32Array): void {
  const d = g.length, rows = x.length / d;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j];
    const mu = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) { const c = x[o + j] - mu; v += c * c; }
    const rs = 1 / Math.sqrt(v / d + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mu) * rs * g[j] + b[j];
  }
}

/** Backward of layerNormJs: dx, and dg, db summed over rows. */
function layerNormGradJs(x: Float32Array, g: Float32Array, mean: Float32Array, rstd: Float32Array, dy: Float32Array,
  dx: Float32Array, dg: Float32Array, db: Float32Array): void {
  const d = g.length, rows = x.length / d;
  dg.fill(0);
  db.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * d, mu = mean[r], rs = rstd[r];
    let sumDyG = 0, sumDyGXhat = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j] - mu) * rs, dyj = dy[o + j], dyg = dyj * g[j];
      sumDyG += dyg;
      sumDyGXhat += dyg * xhat;
      dg[j] += dyj * xhat;
      db[j] += dyj;
    }
    const a = sumDyG / d, c = sumDyGXhat / d;
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j] - mu) * rs;
      dx[o + j] = rs * (dy[o + j] * g[j] - a - xhat * c);
    }
  }
}

/**
 * Softmax over the last axis of x (..., t, T) where query row i (absolute position
 * offset + i) sees keys 0..offset+i only; masked entries come out as exact zeros.
 */
function causalSoftmaxJs(x: Float32Array, t: number, T: number, offset: number, y: Float32Array): void {
  const mats = x.length / (t * T);
  for (let m = 0; m < mats; m++) {
    for (let i = 0; i < t; i++) {
      const o = (m * t + i) * T, n = Math.min(T, offset + i + 1);
      let mx = -Infinity;
      for (let j = 0; j < n; j++) if (x[o + j] > mx) mx = x[o + j];
      let s = 0;
      for (let j = 0; j < n; j++) { const e = Math.exp(x[o + j] - mx); y[o + j] = e; s += e; }
      const inv = 1 / s;
      for (let j = 0; j < n; j++) y[o + j] *= inv;
      for (let j = n; j < T; j++) y[o + j] = 0;
    }
  }
}

/** dx = y·(dy − Σ dy·y) per row (zero where masked, since y is zero there). */
function causalSoftmaxGradJs(y: Float32Array, dy: Float32Array, t: number, T: number, offset: number, dx: Float32Array): void {
  const mats = y.length / (t * T);
  for (let m = 0; m < mats; m++) {
    for (let i = 0; i < t; i++) {
      const o = (m * t + i) * T, n = Math.min(T, offset + i + 1);
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[o + j] * y[o + j];
      for (let j = 0; j < n; j++) dx[o + j] = y[o + j] * (dy[o + j] - s);
      for (let j = n; j < T; j++) dx[o + j] = 0;
    }
  }
}

// ---- Kernel plumbing: one description, two backends ----

interface FusedKernel {
  name: string;
  inputs: string[];
  /** Output shapes from input shapes. */
  outShapes(shapes: number[][], attrs: NamedAttrMap): number[][];
  /** Compute outputs from inputs (all Float32Array views). */
  run(ins: Float32Array[], outs: Float32Array[], shapes: number[][], attrs: NamedAttrMap): void;
  /** Optional native version on the wasm heap: element offsets of inputs then outputs. */
  native?(addon: NativeAddon, heap: Float32Array, offs: number[], shapes: number[][], attrs: NamedAttrMap): void;
}

const last = (s: number[]) => s[s.length - 1];

const KERNELS: FusedKernel[] = [
  {
    name: GELU, inputs: ['x'],
    outShapes: ([x]) => [x],
    run: ([x], [y]) => geluJs(x, y),
    native: (a, heap, [x, y], [s]) => a.gelu(heap, x, y, sizeOf(s)),
  },
  {
    name: GELU_GRAD, inputs: ['x', 'dy'],
    outShapes: ([x]) => [x],
    run: ([x, dy], [dx]) => geluGradJs(x, dy, dx),
    native: (a, heap, [x, dy, dx], [s]) => a.geluGrad(heap, x, dy, dx, sizeOf(s)),
  },
  {
    name: LAYER_NORM, inputs: ['x', 'gamma', 'beta'],
    outShapes: ([x]) => [x, [sizeOf(x) / last(x)], [sizeOf(x) / last(x)]],
    run: ([x, g, b], [y, mean, rstd], _s, attrs) => layerNormJs(x, g, b, attrs.epsilon as number, y, mean, rstd),
    native: (a, heap, [x, g, b, y, mean, rstd], [s], attrs) => a.layerNorm(heap, x, g, b, y, mean, rstd, sizeOf(s) / last(s), last(s), attrs.epsilon as number),
  },
  {
    name: LAYER_NORM_GRAD, inputs: ['x', 'gamma', 'mean', 'rstd', 'dy'],
    outShapes: ([x, g]) => [x, g, g],
    run: ([x, g, mean, rstd, dy], [dx, dg, db]) => layerNormGradJs(x, g, mean, rstd, dy, dx, dg, db),
    native: (a, heap, [x, g, mean, rstd, dy, dx, dg, db], [s]) => a.layerNormGrad(heap, x, g, mean, rstd, dy, dx, dg, db, sizeOf(s) / last(s), last(s)),
  },
  {
    name: CAUSAL_SOFTMAX, inputs: ['x'],
    outShapes: ([x]) => [x],
    run: ([x], [y], [s], attrs) => causalSoftmaxJs(x, s[s.length - 2], last(s), attrs.offset as number, y),
    native: (a, heap, [x, y], [s], attrs) => a.causalSoftmax(heap, x, y, sizeOf(s) / (s[s.length - 2] * last(s)), s[s.length - 2], last(s), attrs.offset as number),
  },
  {
    name: CAUSAL_SOFTMAX_GRAD, inputs: ['y', 'dy'],
    outShapes: ([y]) => [y],
    run: ([y, dy], [dx], [s], attrs) => causalSoftmaxGradJs(y, dy, s[s.length - 2], last(s), attrs.offset as number, dx),
    native: (a, heap, [y, dy, dx], [s], attrs) => a.causalSoftmaxGrad(heap, y, dy, dx, sizeOf(s) / (s[s.length - 2] * last(s)), s[s.length - 2], last(s), attrs.offset as number),
  },
];

function checkFloat(k: FusedKernel, infos: TensorInfo[]): void {
  infos.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error(`${k.name}: input '${k.inputs[i]}' must be float32, got ${t.dtype}`);
  });
}

function wasmConfig(k: FusedKernel, native: NativeAddon | null): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const ins = k.inputs.map((n) => inputs[n] as TensorInfo);
    checkFloat(k, ins);
    const shapes = ins.map((t) => t.shape);
    const outs = k.outShapes(shapes, attrs ?? {}).map((s) => wb.makeOutput(s, 'float32'));
    const heap = heapViews(wb).f32; // after makeOutput: allocation may grow the heap
    const offs = [...ins, ...outs].map((t) => elementOffset(wb, t));
    if (native && k.native) {
      k.native(native, heap, offs, shapes, attrs ?? {});
    } else {
      const view = (t: TensorInfo, o: number) => heap.subarray(o, o + sizeOf(t.shape));
      k.run(ins.map((t, i) => view(t, offs[i])), outs.map((t, i) => view(t, offs[ins.length + i])), shapes, attrs ?? {});
    }
    return outs.length === 1 ? outs[0] : outs;
  };
  return { kernelName: k.name, backendName: 'wasm', kernelFunc };
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function cpuConfig(k: FusedKernel): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const cb = backend as unknown as CpuBackendLike;
    const ins = k.inputs.map((n) => inputs[n] as TensorInfo);
    checkFloat(k, ins);
    const shapes = ins.map((t) => t.shape);
    const outShapes = k.outShapes(shapes, attrs ?? {});
    const outVals = outShapes.map((s) => new Float32Array(sizeOf(s)));
    k.run(ins.map((t) => cb.data.get(t.dataId).values), outVals, shapes, attrs ?? {});
    const outs = outShapes.map((s, i) => cb.makeTensorInfo(s, 'float32', outVals[i]));
    return outs.length === 1 ? outs[0] : outs;
  };
  return { kernelName: k.name, backendName: 'cpu', kernelFunc };
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: GELU, inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => run(GELU_GRAD, { x, dy: dy as tf.Tensor }) as tf.Tensor }),
  },
  {
    kernelName: LAYER_NORM, inputsToSave: ['x', 'gamma'], outputsToSave: [false, true, true],
    gradFunc: (dys, [x, gamma, mean, rstd]) => {
      const dy = (dys as tf.Tensor[])[0];
      // The tape evaluates each input's gradient in its own tidy, so each one runs the
      // (cheap, O(N·d)) kernel and keeps only its own output.
      const grad = (i: number) => () => {
        const all = run(LAYER_NORM_GRAD, { x, gamma, mean, rstd, dy }) as tf.Tensor[];
        all.forEach((t, j) => j !== i && t.dispose());
        return all[i];
      };
      return { x: grad(0), gamma: grad(1), beta: grad(2) };
    },
  },
  {
    kernelName: CAUSAL_SOFTMAX, outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => ({ x: () => run(CAUSAL_SOFTMAX_GRAD, { y, dy: dy as tf.Tensor }, attrs as NamedAttrMap) as tf.Tensor }),
  },
];

const REGISTERED = Symbol.for('igpg.fusedOps.registered');

/**
 * Register the fused kernels for wasm (native ones when `native` is given) and cpu, and
 * their gradients. Idempotent; a second call with another `native` swaps the wasm ones.
 */
export function registerFusedOps(native: NativeAddon | null): string[] {
  const g = globalThis as { [REGISTERED]?: string };
  const mode = native ? 'native' : 'js';
  if (g[REGISTERED] !== mode) {
    for (const k of KERNELS) {
      for (const config of [wasmConfig(k, native), cpuConfig(k)]) {
        if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
        tf.registerKernel(config);
      }
    }
    if (g[REGISTERED] === undefined) for (const gc of GRADIENTS) if (!tf.getGradient(gc.kernelName)) tf.registerGradient(gc);
    g[REGISTERED] = mode;
  }
  return KERNELS.map((k) => k.name);
}

/** Register the plain-JS fused kernels unless initBackend() already registered them. */
export function ensureFusedOps(): void {
  if ((globalThis as { [REGISTERED]?: string })[REGISTERED] === undefined) registerFusedOps(null);
}

const fused = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;

/**
 * GELU, tanh approximation (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * One fused kernel where registered, else the tfjs composition.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (fused(GELU)) return run(GELU, { x }) as T;
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }) as T;
}

/** LayerNorm over the last axis: (x − mean)/√(var + eps)·gamma + beta. */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = 1e-5): T {
  if (gamma.shape[0] !== last(x.shape) || beta.shape[0] !== last(x.shape)) {
    throw new Error(`layerNorm: gamma [${gamma.shape}] and beta [${beta.shape}] must match the last axis of x [${x.shape}]`);
  }
  if (fused(LAYER_NORM)) return (run(LAYER_NORM, { x, gamma, beta }, { epsilon }) as tf.Tensor[])[0] as T;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  }) as T;
}

/**
 * Causal softmax over the last axis of scores (..., t, T): query i sits at absolute
 * position offset + i and sees keys 0..offset+i (T = offset + t for a KV cache).
 */
export function causalSoftmax<T extends tf.Tensor>(scores: T, offset = 0): T {
  const [t, T] = scores.shape.slice(-2);
  if (offset + t > T) throw new Error(`causalSoftmax: offset ${offset} + ${t} queries exceeds ${T} keys`);
  if (fused(CAUSAL_SOFTMAX)) return run(CAUSAL_SOFTMAX, { x: scores }, { offset }) as T;
  return tf.tidy(() => {
    const i = tf.reshape(tf.range(offset, offset + t, 1, 'int32'), [t, 1]);
    const j = tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]);
    const bias = tf.mul(tf.cast(tf.greater(j, i), 'float32'), -1e9); // (t, T)
    return tf.softmax(tf.add(scores, bias));
  }) as T;
}
