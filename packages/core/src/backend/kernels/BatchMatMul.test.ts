import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';
import { loadNative } from '../native';
import { patchWasmKernels } from '.';

// BatchMatMul on wasm against cpu, on both paths: XNNPACK per batch and (when built) native sgemm.

const native = loadNative();
const modes: { name: string; native: boolean }[] = [{ name: 'xnnpack', native: false }];
if (native) modes.push({ name: 'native sgemm', native: true });

describe('wasm BatchMatMul vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 }); // 2 BLAS threads: batched products split over threads
  });
  afterAll(() => shutdownBackend());

  for (const mode of modes) {
    it(`BatchMatMul (${mode.name}): plain, transposed, batched, broadcast`, async () => {
      patchWasmKernels(mode.native ? native!.addon : null);
      const s = 1 / 8;
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        await expectSame(() => tf.matMul(rn(ta ? [48, 33] : [33, 48], 1, s), rn(tb ? [17, 48] : [48, 17], 2, s), ta, tb));
        await expectSame(() => tf.matMul(rn(ta ? [6, 40, 9] : [6, 9, 40], 3, s), rn(tb ? [6, 11, 40] : [6, 40, 11], 4, s), ta, tb));
      }
      await expectSame(() => tf.matMul(rn([2, 3, 5, 7], 5), rn([7, 4], 6))); // b broadcast over batch
      await expectSame(() => tf.matMul(rn([5, 7], 5), rn([3, 7, 4], 6))); // a broadcast over batch
      await expectSame(() => tf.matMul(rn([2, 1, 5, 7], 5), rn([1, 3, 7, 4], 6))); // odd broadcast: stock kernel
      await expectSame(() => tf.matMul(rn([4, 0], 7), rn([0, 3], 8))); // K = 0
      patchWasmKernels(native?.addon ?? null);
    });
  }
});
