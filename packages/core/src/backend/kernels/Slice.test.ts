import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';

// Slice on wasm against cpu: rows, inner blocks, whole trailing axes, int32, empty; the stock kernel for bool.

describe('wasm Slice vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('Slice: rows, inner blocks, whole trailing axes, rank 1 and 4, int32, empty; stock kernel for bool', async () => {
    await expectSame(() => tf.slice(rn([9, 5], 51), [3, 0], [1, 5])); // one row (a position-table lookup)
    await expectSame(() => tf.slice(rn([6, 7], 52), [1, 2], [4, 3])); // inner block: one run per row
    await expectSame(() => tf.slice(rn([2, 4, 6, 3], 53), [0, 0, 2, 0], [2, 4, 3, 3])); // (B, nh, t, hs) cache prefix
    await expectSame(() => tf.slice(rn([2, 3, 4, 5], 54), [1, 1, 1, 1], [1, 2, 2, 3]));
    await expectSame(() => tf.slice(rn([10], 55), [4], [-1]));
    await expectSame(() => tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), [0, 1], [2, 2]));
    await expectSame(() => tf.slice(rn([3, 4], 56), [1, 0], [0, 4]));
    await expectSame(() => tf.cast(tf.slice(tf.tensor1d([1, 0, 1, 1], 'bool'), [1], [2]), 'float32'));
  });
});
