import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from './wasm_memory';
import type { NativeAddon } from './native';

/*
 * im2col for batched convolutions (issue 13: zoo training of CNN-s ran at 0.18x PyTorch). tfjs has no grouped conv,
 * so S stacked networks ran S conv2d calls per layer, and wasm's conv gradients are slow for these tiny layers (the
 * filter gradient sums 16-row blocks in float64). With the patches of all S networks' inputs as one tensor, a conv of
 * S networks is one batched matmul (S, P, k·k·C)·(S, k·k·C, out), whose gradients are batched matmuls too (native
 * sgemm on wasm); im2col's own gradient is col2im. Valid padding, stride 1 (the zoo CNNs' convs).
 * Registered for wasm (native with the addon, else plain JS on the heap) and cpu (plain JS).
 */

const IM2COL = 'IgpgIm2Col';
const COL2IM = 'IgpgCol2Im';

/**
 * x (B, H, W, C) -> cols (B, H−k+1, W−k+1, k·k·C), column (fh·k + fw)·C + c (a (k, k, C, out) filter's row order);
 * with `ones` a last column of ones, so that a bias row appended to the filter adds the bias inside the matmul.
 */
export function im2colJs(x: Float32Array, cols: Float32Array, B: number, H: number, W: number, C: number, k: number, ones = false): void {
  const OH = H - k + 1, OW = W - k + 1, row = k * C;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let fh = 0; fh < k; fh++) {
          const src = ((b * H + oh + fh) * W + ow) * C;
          for (let j = 0; j < row; j++) cols[o++] = x[src + j];
        }
        if (ones) cols[o++] = 1;
      }
    }
  }
}

/** The adjoint: dx (B, H, W, C) = each patch column added back at its pixel, in the native kernel's order. */
export function col2imJs(cols: Float32Array, dx: Float32Array, B: number, H: number, W: number, C: number, k: number, ones = false): void {
  const OH = H - k + 1, OW = W - k + 1, row = k * C;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let fh = 0; fh < k; fh++) {
          const dst = ((b * H + oh + fh) * W + ow) * C;
          for (let j = 0; j < row; j++) dx[dst + j] += cols[o++];
        }
        if (ones) o++;
      }
    }
  }
}

type Dims = { B: number; H: number; W: number; C: number; k: number; ones: boolean };
/** The (B, H, W, C) image side and k of a call: from x for im2col, from attrs for col2im. */
function dimsOf(name: string, input: TensorInfo, attrs: NamedAttrMap): Dims {
  if (input.dtype !== 'float32') throw new Error(`${name}: float32 input expected, got ${input.dtype}`);
  const k = attrs.k as number, ones = Boolean(attrs.ones);
  if (name === IM2COL) {
    const [B, H, W, C] = input.shape;
    if (input.shape.length !== 4 || H < k || W < k) throw new Error(`${IM2COL}: x [${input.shape}] must be (B, H, W, C) with H, W >= k = ${k}`);
    return { B, H, W, C, k, ones };
  }
  const [H, W, C] = attrs.image as number[];
  return { B: input.shape[0], H, W, C, k, ones };
}

const colsShape = ({ B, H, W, C, k, ones }: Dims) => [B, H - k + 1, W - k + 1, k * k * C + (ones ? 1 : 0)];

function wasmConfig(name: string, native: NativeAddon | null): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const input = inputs[name === IM2COL ? 'x' : 'cols'] as TensorInfo;
    const d = dimsOf(name, input, attrs ?? {});
    const outShape = name === IM2COL ? colsShape(d) : [d.B, d.H, d.W, d.C];
    const out = wb.makeOutput(outShape, 'float32');
    const f32 = heapViews(wb).f32; // after makeOutput: allocation may grow the heap
    const io = elementOffset(wb, input), oo = elementOffset(wb, out);
    if (native) (name === IM2COL ? native.im2col : native.col2im)(f32, io, oo, d.B, d.H, d.W, d.C, d.k, d.ones);
    else (name === IM2COL ? im2colJs : col2imJs)(f32.subarray(io, io + sizeOf(input.shape)), f32.subarray(oo, oo + sizeOf(outShape)), d.B, d.H, d.W, d.C, d.k, d.ones);
    return out;
  };
  return { kernelName: name, backendName: 'wasm', kernelFunc };
}

function cpuConfig(name: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const cb = backend as unknown as { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(s: number[], d: 'float32', v: Float32Array): TensorInfo };
    const input = inputs[name === IM2COL ? 'x' : 'cols'] as TensorInfo;
    const d = dimsOf(name, input, attrs ?? {});
    const outShape = name === IM2COL ? colsShape(d) : [d.B, d.H, d.W, d.C];
    const out = new Float32Array(sizeOf(outShape));
    (name === IM2COL ? im2colJs : col2imJs)(cb.data.get(input.dataId).values, out, d.B, d.H, d.W, d.C, d.k, d.ones);
    return cb.makeTensorInfo(outShape, 'float32', out);
  };
  return { kernelName: name, backendName: 'cpu', kernelFunc };
}

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: IM2COL, inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => col2im(dy as tf.Tensor4D, x.shape.slice(1) as [number, number, number], (attrs as { k: number }).k, Boolean(attrs.ones)) }),
  },
  { kernelName: COL2IM, gradFunc: (dy, _saved, attrs) => ({ cols: () => im2col(dy as tf.Tensor4D, (attrs as { k: number }).k, Boolean(attrs.ones)) }) },
];

const REGISTERED = Symbol.for('igpg.im2col.registered');

/** Register im2col/col2im for wasm (native when `native` is given) and cpu, with their gradients. Idempotent; initBackend calls it. */
export function registerIm2col(native: NativeAddon | null): string[] {
  const g = globalThis as { [REGISTERED]?: string };
  const mode = native ? 'native' : 'js';
  poolNative = native;
  if (g[REGISTERED] !== mode) {
    for (const config of [IM2COL, COL2IM].flatMap((n) => [wasmConfig(n, native), cpuConfig(n)])) {
      if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    for (const gc of GRADIENTS) if (!tf.getGradient(gc.kernelName)) tf.registerGradient(gc);
    g[REGISTERED] = mode;
  }
  return [IM2COL, COL2IM];
}

/** Whether im2col runs on the current backend (wasm, cpu); elsewhere batched convs keep one conv2d per network. */
export function hasIm2col(): boolean {
  if ((globalThis as { [REGISTERED]?: string })[REGISTERED] === undefined) registerIm2col(null);
  return tf.getKernel(IM2COL, tf.getBackend()) !== undefined;
}

/**
 * Valid k×k patches of x (B, H, W, C), stride 1: (B, H−k+1, W−k+1, k·k·C), so that a conv with a (k, k, C, out)
 * filter w is matMul(patches (P, k·k·C), reshape(w, [k·k·C, out])). With `ones`, a last column of ones: append the
 * bias as the filter's last row and the matmul adds it. Differentiable (its gradient is col2im).
 * @example const y = tf.matMul(tf.reshape(im2col(x, 5), [-1, 25 * C]), tf.reshape(w, [25 * C, out]));
 */
export function im2col(x: tf.Tensor4D, k: number, ones = false): tf.Tensor4D {
  return tf.engine().runKernel(IM2COL, { x }, { k, ones }) as tf.Tensor4D;
}

/** The adjoint of im2col: patch columns (B, OH, OW, k·k·C (+1)) summed back into an image (B, H, W, C). */
export function col2im(cols: tf.Tensor4D, image: [number, number, number], k: number, ones = false): tf.Tensor4D {
  return tf.engine().runKernel(COL2IM, { cols }, { k, image, ones }) as tf.Tensor4D;
}

/*
 * Max-pooling with window = stride = p (valid), the zoo CNNs' pools, and its gradient through the argmax: wasm's stock
 * MaxPoolGrad took ~11 ms for the (S·N, 24, 24, 8) maps of 6 batched CNN-s networks, these host loops ~1 ms.
 */
const MAX_POOL = 'IgpgMaxPool';
const MAX_POOL_GRAD = 'IgpgMaxPoolGrad';

/** y (B, ⌊H/p⌋, ⌊W/p⌋, C) = each window's max; arg = the flat index into x of the first max in window order (fh, fw), as the cpu kernel's gradient. */
export function maxPoolJs(x: Float32Array, y: Float32Array, arg: Int32Array, B: number, H: number, W: number, C: number, p: number): void {
  const OH = Math.floor(H / p), OW = Math.floor(W / p);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++, o++) {
          let best = ((b * H + oh * p) * W + ow * p) * C + c, bv = x[best];
          for (let fh = 0; fh < p; fh++) {
            for (let fw = 0; fw < p; fw++) {
              const i = ((b * H + oh * p + fh) * W + ow * p + fw) * C + c;
              if (x[i] > bv) { bv = x[i]; best = i; }
            }
          }
          y[o] = bv;
          arg[o] = best;
        }
      }
    }
  }
}

function poolKernels(backendName: 'wasm' | 'cpu'): KernelConfig[] {
  type Cpu = { data: { get(id: object): { values: Float32Array | Int32Array } }; makeTensorInfo(s: number[], d: string, v: Float32Array | Int32Array): TensorInfo };
  // views of inputs and fresh outputs on either backend
  const io = (backend: unknown) => {
    if (backendName === 'wasm') {
      const wb = backend as WasmBackendLike;
      return {
        out: (shape: number[], dtype: 'float32' | 'int32') => wb.makeOutput(shape, dtype),
        view: (t: TensorInfo) => { const v = heapViews(wb), o = elementOffset(wb, t); return (t.dtype === 'int32' ? v.i32 : v.f32).subarray(o, o + sizeOf(t.shape)); },
      };
    }
    const cb = backend as Cpu;
    return {
      out: (shape: number[], dtype: 'float32' | 'int32') => cb.makeTensorInfo(shape, dtype, dtype === 'int32' ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape))),
      view: (t: TensorInfo) => cb.data.get(t.dataId).values,
    };
  };
  const pool: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo, p = (attrs as { p: number }).p, [B, H, W, C] = x.shape;
    if (x.dtype !== 'float32' || x.shape.length !== 4 || H < p || W < p) throw new Error(`${MAX_POOL}: x [${x.shape}] must be float32 (B, H, W, C) with H, W >= ${p}`);
    const { out, view } = io(backend);
    const y = out([B, Math.floor(H / p), Math.floor(W / p), C], 'float32'), arg = out(y.shape, 'int32');
    const native = backendName === 'wasm' ? poolNative : null;
    if (native) {
      const wb = backend as WasmBackendLike;
      native.maxPool(heapViews(wb).f32, elementOffset(wb, x), elementOffset(wb, y), elementOffset(wb, arg), B, H, W, C, p);
    } else {
      maxPoolJs(view(x) as Float32Array, view(y) as Float32Array, view(arg) as Int32Array, B, H, W, C, p); // views after both allocations
    }
    return [y, arg];
  };
  const grad: KernelFunc = ({ inputs, backend, attrs }) => {
    const dy = inputs.dy as TensorInfo, arg = inputs.arg as TensorInfo;
    const { out, view } = io(backend);
    const dx = out((attrs as { xShape: number[] }).xShape, 'float32');
    const d = view(dx) as Float32Array, g = view(dy) as Float32Array, a = view(arg) as Int32Array;
    d.fill(0);
    for (let i = 0; i < a.length; i++) d[a[i]] = g[i]; // windows do not overlap (stride = window)
    return dx;
  };
  return [{ kernelName: MAX_POOL, backendName, kernelFunc: pool }, { kernelName: MAX_POOL_GRAD, backendName, kernelFunc: grad }];
}

let poolNative: NativeAddon | null = null;
const POOL_REGISTERED = Symbol.for('igpg.maxPool.registered');
function ensurePool(): void {
  const g = globalThis as { [POOL_REGISTERED]?: boolean };
  if (g[POOL_REGISTERED]) return;
  for (const config of [...poolKernels('wasm'), ...poolKernels('cpu')]) {
    if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  if (!tf.getGradient(MAX_POOL)) {
    tf.registerGradient({
      kernelName: MAX_POOL, inputsToSave: ['x'], outputsToSave: [false, true],
      gradFunc: (dys, [x, arg]) => ({ x: () => tf.engine().runKernel(MAX_POOL_GRAD, { dy: (dys as tf.Tensor[])[0], arg }, { xShape: x.shape }) as tf.Tensor }),
    });
  }
  g[POOL_REGISTERED] = true;
}

/**
 * Max-pooling of x (B, H, W, C) with a p×p window and stride p (valid): as tf.maxPool(x, p, p, 'valid'), its gradient
 * to the first max of each window (as the cpu kernel's), through host loops on wasm and cpu (elsewhere tf.maxPool).
 * @example const y = maxPool(x, 2); // (B, H/2, W/2, C)
 */
export function maxPool(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const name = tf.getBackend();
  if (name !== 'wasm' && name !== 'cpu') return tf.maxPool(x, p, p, 'valid');
  ensurePool();
  const [y, arg] = tf.engine().runKernel(MAX_POOL, { x }, { p }) as tf.Tensor[];
  arg.dispose(); // the tape keeps its own copy for the gradient
  return y as tf.Tensor4D;
}
