import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from './wasm_memory';
import type { NativeAddon } from './native';
import { tuneBlasThreads } from './blas_threads';

/*
 * Fused kernels for the transformer's elementwise work. In tfjs each of LayerNorm, GELU
 * and masked softmax is a chain of 5-15 kernels, each a full pass over memory plus an
 * allocation, forward and backward; on wasm that chain, not the matmuls, dominates a GPT
 * step. Each op here is one kernel forward and one backward, registered for `wasm` (on the
 * heap, no copies; native C when the addon is loaded) and `cpu`, with its gradient. On any
 * other backend (tfjs-node) the ops fall back to the plain tfjs composition.
 */

const GELU = 'IgpgGelu';
const GELU_GRAD = 'IgpgGeluGrad';
const LAYER_NORM = 'IgpgLayerNorm';
const LAYER_NORM_GRAD = 'IgpgLayerNormGrad';
const CAUSAL_SOFTMAX = 'IgpgCausalSoftmax';
const CAUSAL_SOFTMAX_GRAD = 'IgpgCausalSoftmaxGrad';
const LINEAR = 'IgpgLinear';
const SOFTMAX_XENT = 'IgpgSoftmaxXent';
const SOFTMAX_XENT_GRAD = 'IgpgSoftmaxXentGrad';
export const DECODE_ATTENTION = 'IgpgDecodeAttention';

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

/**
 * Weighted softmax cross-entropy: logp = logits − logsumexp per row of logits (N, V);
 * loss = −Σ_r w[r]·logp[r, targets[r]] (a target outside [0, V) contributes nothing).
 */
function softmaxXentJs(logits: Float32Array, targets: Int32Array, w: Float32Array, logp: Float32Array, loss: Float32Array): void {
  const N = w.length, V = logits.length / Math.max(N, 1);
  let total = 0;
  for (let r = 0; r < N; r++) {
    const o = r * V;
    let mx = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > mx) mx = logits[o + j];
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[o + j] - mx);
    const lz = mx + Math.log(s);
    for (let j = 0; j < V; j++) logp[o + j] = logits[o + j] - lz;
    const k = targets[r];
    if (k >= 0 && k < V) total -= w[r] * logp[o + k];
  }
  loss[0] = total;
}

/** dlogits = (softmax − onehot(targets))·w[r]·dy. */
function softmaxXentGradJs(logp: Float32Array, targets: Int32Array, w: Float32Array, dy: number, dl: Float32Array): void {
  const N = w.length, V = logp.length / Math.max(N, 1);
  for (let r = 0; r < N; r++) {
    const o = r * V, s = w[r] * dy;
    for (let j = 0; j < V; j++) dl[o + j] = Math.exp(logp[o + j]) * s;
    const k = targets[r];
    if (k >= 0 && k < V) dl[o + k] -= s;
  }
}

/**
 * Attention of ONE new token per sequence over a KV cache, writing its key and value into the cache IN PLACE.
 * qkv (B, 3d) = [q (pre-scaled by 1/√hs) | k | v] of the new token; kbuf, vbuf (B, nh, C, hs) hold keys and values
 * of positions < pos and receive the new ones at pos; y (B, d) = softmax(q·K[0..pos]ᵀ)·V[0..pos], per head.
 */
function decodeAttentionJs(qkv: Float32Array, kbuf: Float32Array, vbuf: Float32Array, y: Float32Array, B: number, nh: number, C: number, hs: number, pos: number): void {
  const d = nh * hs;
  const p = new Float32Array(pos + 1);
  for (let b = 0; b < B; b++) {
    const row = b * 3 * d;
    for (let h = 0; h < nh; h++) {
      const base = (b * nh + h) * C * hs, q = row + h * hs, at = base + pos * hs;
      for (let j = 0; j < hs; j++) {
        kbuf[at + j] = qkv[row + d + h * hs + j];
        vbuf[at + j] = qkv[row + 2 * d + h * hs + j];
      }
      let mx = -Infinity;
      for (let t = 0; t <= pos; t++) {
        let sc = 0;
        const k = base + t * hs;
        for (let j = 0; j < hs; j++) sc += qkv[q + j] * kbuf[k + j];
        p[t] = sc;
        if (sc > mx) mx = sc;
      }
      let sum = 0;
      for (let t = 0; t <= pos; t++) { p[t] = Math.exp(p[t] - mx); sum += p[t]; }
      const o = b * d + h * hs;
      for (let j = 0; j < hs; j++) y[o + j] = 0;
      for (let t = 0; t <= pos; t++) {
        const w = p[t] / sum, v = base + t * hs;
        for (let j = 0; j < hs; j++) y[o + j] += w * vbuf[v + j];
      }
    }
  }
}

// ---- Kernel plumbing: one description, two backends ----

/** One fused op's kernel, described once and registered for both wasm and cpu (registerFusedKernel). */
export interface FusedKernel {
  name: string;
  inputs: string[];
  /** Input dtypes (default all float32); int32 inputs are passed as Int32Array views. */
  dtypes?: ('float32' | 'int32')[];
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
  {
    // writes into its kbuf and vbuf inputs (a KV cache's private buffers); generation only, no gradient
    name: DECODE_ATTENTION, inputs: ['qkv', 'kbuf', 'vbuf'],
    outShapes: ([qkv]) => [[qkv[0], qkv[1] / 3]],
    run: ([qkv, k, v], [y], [sq, sk], attrs) => decodeAttentionJs(qkv, k, v, y, sq[0], sk[1], sk[2], sk[3], attrs.pos as number),
    native: (a, heap, [qkv, k, v, y], [sq, sk], attrs) => a.decodeAttention(heap, qkv, k, v, y, sq[0], sk[1], sk[2], sk[3], attrs.pos as number),
  },
  {
    name: SOFTMAX_XENT, inputs: ['logits', 'targets', 'weights'], dtypes: ['float32', 'int32', 'float32'],
    outShapes: ([l]) => [[], l],
    run: ([l, t, w], [loss, logp]) => softmaxXentJs(l, t as unknown as Int32Array, w, logp, loss),
    native: (a, heap, [l, t, w, loss, logp], [s]) => a.softmaxXent(heap, l, t, w, logp, loss, s[0], s[1]),
  },
  {
    name: SOFTMAX_XENT_GRAD, inputs: ['logp', 'targets', 'weights', 'dy'], dtypes: ['float32', 'int32', 'float32', 'float32'],
    outShapes: ([l]) => [l],
    run: ([l, t, w, dy], [dl]) => softmaxXentGradJs(l, t as unknown as Int32Array, w, dy[0], dl),
    native: (a, heap, [l, t, w, dy, dl], [s]) => a.softmaxXentGrad(heap, l, t, w, dy, dl, s[0], s[1]),
  },
];

function checkFloat(k: FusedKernel, infos: TensorInfo[]): void {
  infos.forEach((t, i) => {
    const want = k.dtypes?.[i] ?? 'float32';
    if (t.dtype !== want) throw new Error(`${k.name}: input '${k.inputs[i]}' must be ${want}, got ${t.dtype}`);
  });
}

function wasmConfig(k: FusedKernel, native: NativeAddon | null): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const ins = k.inputs.map((n) => inputs[n] as TensorInfo);
    checkFloat(k, ins);
    const shapes = ins.map((t) => t.shape);
    const outs = k.outShapes(shapes, attrs ?? {}).map((s) => wb.makeOutput(s, 'float32'));
    const views = heapViews(wb); // after makeOutput: allocation may grow the heap
    const heap = views.f32;
    const offs = [...ins, ...outs].map((t) => elementOffset(wb, t));
    if (native && k.native) {
      k.native(native, heap, offs, shapes, attrs ?? {});
    } else {
      const view = (t: TensorInfo, o: number) => (t.dtype === 'int32' ? views.i32 : heap).subarray(o, o + sizeOf(t.shape)) as Float32Array;
      k.run(ins.map((t, i) => view(t, offs[i])), outs.map((t, i) => view(t, offs[ins.length + i])), shapes, attrs ?? {});
    }
    return outs.length === 1 ? outs[0] : outs;
  };
  return { kernelName: k.name, backendName: 'wasm', kernelFunc };
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } }; // Int32Array for int32 tensors
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
  {
    // Targets and weights are constants (indices, mask weights): zero gradients.
    kernelName: SOFTMAX_XENT, inputsToSave: ['targets', 'weights'], outputsToSave: [false, true],
    gradFunc: (dys, [targets, weights, logp]) => ({
      logits: () => run(SOFTMAX_XENT_GRAD, { logp, targets, weights, dy: (dys as tf.Tensor[])[0] }) as tf.Tensor,
      targets: () => tf.zerosLike(targets),
      weights: () => tf.zerosLike(weights),
    }),
  },
];

/**
 * y = x·w + b for x (N, in), w (in, out), b (out,): on the wasm heap, the rows of y are
 * filled with b and one sgemm adds x·w (beta = 1): no separate bias add. Registered for wasm
 * with the native addon only; elsewhere linear() is matMul + add.
 */
function linearConfig(native: NativeAddon): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const wb = backend as unknown as WasmBackendLike;
    const x = inputs.x as TensorInfo, w = inputs.w as TensorInfo, b = inputs.b as TensorInfo;
    const [N, K] = x.shape, [K2, M] = w.shape;
    if (x.shape.length !== 2 || w.shape.length !== 2 || K !== K2 || b.shape.length !== 1 || b.shape[0] !== M) {
      throw new Error(`${LINEAR}: shapes x [${x.shape}], w [${w.shape}], b [${b.shape}] do not fit (N, in)·(in, out) + (out,)`);
    }
    checkFloat({ name: LINEAR, inputs: ['x', 'w', 'b'] } as FusedKernel, [x, w, b]);
    const out = wb.makeOutput([N, M], 'float32');
    if (N * M === 0) return out;
    const heap = heapViews(wb).f32;
    const o = elementOffset(wb, out), bo = elementOffset(wb, b);
    heap.copyWithin(o, bo, bo + M); // row 0 = b, then double the filled rows
    for (let filled = 1; filled < N; filled *= 2) heap.copyWithin(o + filled * M, o, o + Math.min(filled, N - filled) * M);
    if (K > 0) {
      tuneBlasThreads();
      native.sgemm(heap, false, false, N, M, K, elementOffset(wb, x), elementOffset(wb, w), o, 1, 0, 0, 0, 1);
    }
    return out;
  };
  return { kernelName: LINEAR, backendName: 'wasm', kernelFunc };
}

const LINEAR_GRADIENT: tf.GradConfig = {
  kernelName: LINEAR, inputsToSave: ['x', 'w'],
  gradFunc: (dy, [x, w]) => ({
    x: () => tf.matMul(dy as tf.Tensor, w, false, true), // (N, in)
    w: () => tf.matMul(x, dy as tf.Tensor, true, false), // (in, out)
    b: () => tf.sum(dy as tf.Tensor, 0), // (out,)
  }),
};

const REGISTERED = Symbol.for('igpg.fusedOps.registered');

/**
 * Register the fused kernels for wasm (native ones when `native` is given) and cpu, and
 * their gradients. Idempotent; a second call with another `native` swaps the wasm ones.
 */
export function registerFusedOps(native: NativeAddon | null): string[] {
  const g = globalThis as { [REGISTERED]?: string };
  const mode = native ? 'native' : 'js';
  if (g[REGISTERED] !== mode) {
    for (const k of KERNELS) registerFusedKernel(k, native);
    if (tf.getKernel(LINEAR, 'wasm')) tf.unregisterKernel(LINEAR, 'wasm');
    if (native) tf.registerKernel(linearConfig(native));
    if (g[REGISTERED] === undefined) for (const gc of [...GRADIENTS, LINEAR_GRADIENT]) if (!tf.getGradient(gc.kernelName)) tf.registerGradient(gc);
    g[REGISTERED] = mode;
  }
  return native ? [...KERNELS.map((k) => k.name), LINEAR] : KERNELS.map((k) => k.name);
}

/**
 * Register one fused kernel for wasm (its native version when `native` is given) and cpu, replacing any earlier
 * registration, and its gradient if it has none yet. registerFusedOps runs every entry of KERNELS through it; a
 * test registers a toy one the same way (fused_ops.test.ts).
 */
export function registerFusedKernel(k: FusedKernel, native: NativeAddon | null, gradient?: tf.GradConfig): void {
  for (const config of [wasmConfig(k, native), cpuConfig(k)]) {
    if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  if (gradient && !tf.getGradient(gradient.kernelName)) tf.registerGradient(gradient);
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

/** Whether decodeAttention has a kernel on the current backend (wasm and cpu); elsewhere use concat + matMul. */
export const hasDecodeAttention = () => fused(DECODE_ATTENTION);

/**
 * One new token's attention over a KV cache (see decodeAttentionJs): qkv (B, 3d), kbuf/vbuf (B, nh, C, hs) -> (B, d).
 * Writes the token's key and value into kbuf and vbuf at `pos`: pass buffers that nothing else reads.
 */
export function decodeAttention(qkv: tf.Tensor2D, kbuf: tf.Tensor4D, vbuf: tf.Tensor4D, pos: number): tf.Tensor2D {
  const [B, nh, C, hs] = kbuf.shape;
  if (qkv.shape[0] !== B || qkv.shape[1] !== 3 * nh * hs || vbuf.shape.join() !== kbuf.shape.join()) {
    throw new Error(`decodeAttention: qkv [${qkv.shape}] and caches [${kbuf.shape}], [${vbuf.shape}] do not fit (B, 3·nh·hs), (B, nh, C, hs)`);
  }
  if (!Number.isInteger(pos) || pos < 0 || pos >= C) throw new Error(`decodeAttention: position ${pos} is outside the cache [0, ${C})`);
  return run(DECODE_ATTENTION, { qkv, kbuf, vbuf }, { pos }) as tf.Tensor2D;
}

/**
 * Weighted softmax cross-entropy: −Σ_r weights[r]·log softmax(logits[r])[targets[r]] for
 * logits (N, V), int32 targets (N,) and weights (N,) (targets outside [0, V) count zero).
 * One fused kernel forward and backward where registered, else the tfjs composition.
 * Weights and targets get no gradient.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
  if (targets.dtype !== 'int32') throw new Error(`softmaxCrossEntropy: targets must be int32, got ${targets.dtype}`);
  if (targets.shape[0] !== N || weights.shape[0] !== N) {
    throw new Error(`softmaxCrossEntropy: targets [${targets.shape}] and weights [${weights.shape}] must be [${N}] for logits [${logits.shape}]`);
  }
  if (fused(SOFTMAX_XENT)) {
    return tf.tidy(() => (run(SOFTMAX_XENT, { logits, targets, weights }) as tf.Tensor[])[0] as tf.Scalar);
  }
  return tf.tidy(() => weightedCrossEntropy(logits, tf.oneHot(targets, V), weights));
}

/**
 * The composition: a customGrad so that the backward pass is one softmax − onehot instead
 * of tfjs's chain through logSoftmax.
 */
const weightedCrossEntropy = tf.customGrad(((logits: tf.Tensor, oneHot: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  const logZ = tf.logSumExp(logits, -1, true); // (N, 1)
  const logp = tf.sub(logits, logZ); // (N, V)
  save([logp, oneHot, w]);
  const nll = tf.neg(tf.sum(tf.mul(logp, oneHot), -1)); // (N,)
  return {
    value: tf.sum(tf.mul(nll, w)), // scalar
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [lp, oh, ww] = saved;
      const g = tf.mul(tf.sub(tf.exp(lp), oh), tf.mul(tf.expandDims(ww, -1), dy)); // (N, V)
      return [g, tf.zerosLike(oh), tf.zerosLike(ww)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (logits: tf.Tensor, oneHot: tf.Tensor, w: tf.Tensor) => tf.Scalar;

/** x (N, in)·w (in, out) + b (out,): one fused kernel (bias folded into sgemm) where registered. */
export function linearBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (fused(LINEAR)) return run(LINEAR, { x, w, b }) as tf.Tensor2D;
  return tf.add(tf.matMul(x, w), b);
}
