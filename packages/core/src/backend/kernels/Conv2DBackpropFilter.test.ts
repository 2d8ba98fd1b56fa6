import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { loadNative } from '../native';
import { CONV_CASES, filterGrad, maxRelErr, use } from './against_cpu.fixture';
import { conv2dBackpropFilterConfig, type Conv2DFilterGradMethod } from './Conv2DBackpropFilter';
import { conv2dBackpropInputConfig } from './Conv2DBackpropInput';

// The wasm Conv2DBackpropFilter against the cpu backend's kernel: every method, several
// geometries (CNN-s's three layers, strides, 'same'/explicit pads), within 1e-5, no leaks; and
// both conv gradients together under tf.grad. Conv2DBackpropInput alone: Conv2DBackpropInput.test.ts.

const rn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

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
      for (const c of CONV_CASES) {
        const want = await filterGrad('cpu', c);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = await filterGrad('wasm', c);
        expect(tf.memory().numTensors, c.name).toBe(before);
        expect(maxRelErr(got, want), c.name).toBeLessThan(method === 'xnnpack' ? XNNPACK_TOL : 1e-5);
      }
    });
  }

  it('batches bigger than the scratch buffer are done in chunks (every method)', async () => {
    const c = CONV_CASES[1]; // CNN-s conv2, 8 images of 8x8 output pixels: 1,000 floats of scratch = 1 image a chunk
    const wantF = await filterGrad('cpu', c);
    for (const method of methods.filter((m) => m !== 'loop' && m !== 'auto')) {
      use(conv2dBackpropFilterConfig(native, method, 1000));
      expect(maxRelErr(await filterGrad('wasm', c), wantF), method).toBeLessThan(method === 'xnnpack' ? XNNPACK_TOL : 1e-5);
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
