import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { loadNative } from '../native';
import { CONV_CASES, inputGrad, maxRelErr, use } from './against_cpu.fixture';
import { conv2dBackpropInputConfig } from './Conv2DBackpropInput';

// The wasm Conv2DBackpropInput against the cpu backend's kernel: both paths (XNNPACK, and
// sgemm when the addon is built), several geometries, within 1e-5, no leaks.

const native = loadNative()?.addon ?? null;

describe('wasm Conv2DBackpropInput vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2 });
  });
  afterAll(() => {
    use(conv2dBackpropInputConfig(native));
    shutdownBackend();
  });

  for (const addon of native ? [null, native] : [null]) {
    it(`Conv2DBackpropInput (${addon ? 'sgemm' : 'xnnpack'}): all shapes within 1e-5, no leaked tensors`, async () => {
      use(conv2dBackpropInputConfig(addon));
      for (const c of CONV_CASES) {
        const want = await inputGrad('cpu', c);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = await inputGrad('wasm', c);
        expect(tf.memory().numTensors, c.name).toBe(before);
        expect(maxRelErr(got, want), c.name).toBeLessThan(1e-5);
      }
    });
  }

  it('batches bigger than the scratch buffer are done in chunks', async () => {
    const c = CONV_CASES[1]; // CNN-s conv2, 8 images of 8x8 output pixels: 1,000 floats of scratch = 1 image a chunk
    const want = await inputGrad('cpu', c);
    for (const addon of native ? [null, native] : [null]) {
      use(conv2dBackpropInputConfig(addon, 1000));
      expect(maxRelErr(await inputGrad('wasm', c), want)).toBeLessThan(1e-5);
    }
  });
});
