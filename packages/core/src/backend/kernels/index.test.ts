import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, Neg, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { loadNative } from '../native';
import { expectSame, rn } from './against_cpu.fixture';
import { patchWasmKernels, WASM_KERNELS, wasmKernelsMode, type KernelContext, type WasmKernel } from '.';

// The kernel list as a whole: every entry is a well-formed kernel (the same check a new
// one must pass, shown on a toy), the loop registers them all, and they work together.
// Each kernel's own test against cpu is beside it (<Kernel>.test.ts).

const native = loadNative()?.addon ?? null;

/** What every WasmKernel must do: make a wasm config of its own name, from the stock kernel if it wraps one. */
function checkKernel(k: WasmKernel, ctx: KernelContext): tf.KernelConfig {
  const config = k.make({ native: ctx.native, stock: k.wrapsStock ? ctx.stock : undefined });
  expect(config.kernelName, k.kernelName).toBe(k.kernelName);
  expect(config.backendName, k.kernelName).toBe('wasm');
  expect(typeof config.kernelFunc, k.kernelName).toBe('function');
  return config;
}

// A toy kernel, as a contributor would add one: Neg on the heap for float32, the stock kernel otherwise.
const toyNeg: WasmKernel = {
  kernelName: Neg, wrapsStock: true,
  make: ({ stock }) => ({
    kernelName: Neg, backendName: 'wasm', setupFunc: stock!.setupFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype !== 'float32') return stock!.kernelFunc(args);
      const b = args.backend as tf.KernelBackend;
      const values = (b.readSync(x.dataId) as Float32Array).map((v) => -v);
      return { dataId: b.write(values, x.shape, 'float32'), shape: x.shape, dtype: 'float32' };
    },
  }),
};

describe('the wasm kernel list', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('every kernel in the list is well formed, listed once, and registered by the loop in list order', () => {
    const names = WASM_KERNELS.map((k) => k.kernelName);
    expect(new Set(names).size).toBe(names.length);
    for (const k of WASM_KERNELS) checkKernel(k, { native, stock: getKernel(k.kernelName, 'wasm') });
    expect(patchWasmKernels(native)).toEqual(names);
    expect(wasmKernelsMode()).toBe(native ? 'native' : 'xnnpack');
    for (const name of names) expect(getKernel(name, 'wasm'), name).toBeDefined();
  });

  it('a toy kernel passes the same check and matches cpu once registered', async () => {
    const stock = getKernel(Neg, 'wasm')!;
    const config = checkKernel(toyNeg, { native, stock });
    unregisterKernel(Neg, 'wasm');
    registerKernel(config);
    try {
      await expectSame(() => tf.neg(rn([3, 4], 60)));
      await expectSame(() => tf.neg(tf.tensor1d([1, -2, 3], 'int32'))); // stock kernel
    } finally {
      unregisterKernel(Neg, 'wasm');
      registerKernel(stock);
    }
  });

  it('Conv2DBackpropFilter and DepthwiseConv2d gradients (wasm kernel and cpu bridge)', async () => {
    const x = () => rn([2, 7, 7, 3], 12);
    for (const [stride, pad] of [[1, 'same'], [2, 'valid']] as const) {
      await expectSame(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x() as tf.Tensor4D, w as tf.Tensor4D, stride, pad)))(rn([3, 3, 3, 4], 13)));
      await expectSame(() => tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad)))([x(), rn([3, 3, 3, 2], 14)]));
    }
  });

  it('a small conv net training step matches cpu (conv, pool, dense, softmax CE)', async () => {
    const step = () => {
      const w1 = rn([3, 3, 1, 4], 20, 0.3), w2 = rn([4 * 4 * 4, 3], 21, 0.2), img = rn([2, 8, 8, 1], 22);
      const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const h = tf.avgPool(tf.relu(tf.conv2d(img as tf.Tensor4D, a as tf.Tensor4D, 1, 'same')), 2, 2, 'valid'); // (2,4,4,4)
        const m = tf.maxPool(h, 1, 1, 'same');
        return tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.reshape(m, [2, 64]), b as tf.Tensor2D));
      })([w1, w2]);
    };
    await expectSame(step);
  });
});
