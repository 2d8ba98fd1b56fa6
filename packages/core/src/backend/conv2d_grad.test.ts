import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, Conv2DBackpropInput, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig, type Conv2DFilterGradMethod } from './conv2d_grad';
import { initBackend, shutdownBackend } from './init';
import { loadNative } from './native';

// The wasm Conv2DBackpropFilter and Conv2DBackpropInput against the cpu backend's kernel: every method, several
// geometries (CNN-s's three layers, strides, 'same'/explicit pads), within 1e-5, no leaks.

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
interface Case { name: string; x: number[]; f: number[]; strides: number | [number, number]; pad: Pad }

const CASES: Case[] = [
  { name: 'CNN-s conv1 (batch 8)', x: [8, 28, 28, 1], f: [5, 5, 1, 8], strides: 1, pad: 'valid' },
  { name: 'CNN-s conv2 (batch 8)', x: [8, 12, 12, 8], f: [5, 5, 8, 6], strides: 1, pad: 'valid' },
  { name: 'CNN-s conv3 (batch 8)', x: [8, 4, 4, 6], f: [2, 2, 6, 4], strides: 1, pad: 'valid' },
  { name: "stride 2 'same'", x: [3, 9, 10, 5], f: [3, 3, 5, 7], strides: 2, pad: 'same' },
  { name: "strides [1, 2] 'same', even kernel", x: [2, 7, 8, 17], f: [4, 2, 17, 3], strides: [1, 2], pad: 'same' },
  { name: 'stride 3 valid', x: [2, 11, 11, 3], f: [3, 3, 3, 4], strides: 3, pad: 'valid' },
  { name: 'explicit pads', x: [2, 6, 5, 2], f: [3, 2, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
];

const rn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** dW through the kernel on `backend`, from seeded inputs made there. */
async function filterGrad(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const x = rn(c.x, 1) as tf.Tensor4D;
    const dyShape = tf.conv2d(x, tf.zeros(c.f) as tf.Tensor4D, c.strides, c.pad).shape;
    const dy = rn(dyShape, 2);
    return tf.engine().runKernel(Conv2DBackpropFilter, { x, dy },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
  expect(out.shape).toEqual(c.f);
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** dx through the kernel on `backend`, from seeded inputs made there. */
async function inputGrad(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const filter = rn(c.f, 3);
    const dyShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad).shape;
    const dy = rn(dyShape, 4);
    return tf.engine().runKernel(Conv2DBackpropInput, { dy, filter },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
  expect(out.shape).toEqual(c.x);
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

function use(config: tf.KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

// Forced XNNPACK sums 256-row blocks in float32 (auto uses the exact loop for small layers).
const XNNPACK_TOL = 5e-5;
const native = loadNative()?.addon ?? null;
const methods: Conv2DFilterGradMethod[] = ['auto', 'loop', 'xnnpack', ...(native ? ['sgemm' as const] : [])];

describe('wasm Conv2DBackpropFilter vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2 });
  });
  afterAll(() => {
    use(conv2dBackpropFilterConfig(native));
    use(conv2dBackpropInputConfig(native));
    shutdownBackend();
  });

  for (const method of methods) {
    it(`method ${method}: all shapes within ${method === 'xnnpack' ? XNNPACK_TOL : 1e-5}, no leaked tensors`, async () => {
      use(conv2dBackpropFilterConfig(native, method));
      for (const c of CASES) {
        const want = await filterGrad('cpu', c);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = await filterGrad('wasm', c);
        expect(tf.memory().numTensors, c.name).toBe(before);
        expect(maxRelErr(got, want), c.name).toBeLessThan(method === 'xnnpack' ? XNNPACK_TOL : 1e-5);
      }
    });
  }

  for (const addon of native ? [null, native] : [null]) {
    it(`Conv2DBackpropInput (${addon ? 'sgemm' : 'xnnpack'}): all shapes within 1e-5, no leaked tensors`, async () => {
      use(conv2dBackpropInputConfig(addon));
      for (const c of CASES) {
        const want = await inputGrad('cpu', c);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = await inputGrad('wasm', c);
        expect(tf.memory().numTensors, c.name).toBe(before);
        expect(maxRelErr(got, want), c.name).toBeLessThan(1e-5);
      }
    });
  }

  it('batches bigger than the scratch buffer are done in chunks (both kernels, every method)', async () => {
    const c = CASES[1]; // CNN-s conv2, 8 images of 8x8 output pixels: 1,000 floats of scratch = 1 image a chunk
    const wantF = await filterGrad('cpu', c), wantI = await inputGrad('cpu', c);
    for (const method of methods.filter((m) => m !== 'loop' && m !== 'auto')) {
      use(conv2dBackpropFilterConfig(native, method, 1000));
      expect(maxRelErr(await filterGrad('wasm', c), wantF), method).toBeLessThan(method === 'xnnpack' ? XNNPACK_TOL : 1e-5);
    }
    for (const addon of native ? [null, native] : [null]) {
      use(conv2dBackpropInputConfig(addon, 1000));
      expect(maxRelErr(await inputGrad('wasm', c), wantI)).toBeLessThan(1e-5);
    }
  });

  it('the registered kernels are used by tf.grad of conv2d (also with the addon off)', async () => {
    use(conv2dBackpropFilterConfig(null));
    use(conv2dBackpropInputConfig(null));
    const f = (backend: 'cpu' | 'wasm') => tf.setBackend(backend).then(() => tf.tidy(() => {
      const x = rn([4, 10, 10, 3], 3) as tf.Tensor4D, w = rn([3, 3, 3, 5], 4) as tf.Tensor4D, y = rn([4, 5, 5, 5], 5);
      const [dx, dw] = tf.grads((xt: tf.Tensor4D, wt: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xt, wt, 2, 'same'), y)))([x, w]);
      return Float32Array.from([...dx.dataSync(), ...dw.dataSync()]);
    }));
    expect(maxRelErr(await f('wasm'), await f('cpu'))).toBeLessThan(1e-5);
  });

  it('NCHW goes through the cpu bridge; a wrong dy shape is a clear error', async () => {
    use(conv2dBackpropFilterConfig(native));
    await tf.setBackend('wasm');
    const x = rn([2, 3, 6, 6], 6), dy = rn([2, 4, 4, 4], 7);
    const dw = tf.engine().runKernel(Conv2DBackpropFilter, { x, dy },
      { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dw.shape).toEqual([3, 3, 3, 4]);
    const x2 = rn([2, 6, 6, 3], 6), bad = rn([2, 5, 5, 4], 8);
    expect(() => tf.engine().runKernel(Conv2DBackpropFilter, { x: x2, dy: bad },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap)).toThrow(/dy shape \[2,5,5,4\]/);
    tf.dispose([x, dy, dw, x2, bad]);
  });
});
