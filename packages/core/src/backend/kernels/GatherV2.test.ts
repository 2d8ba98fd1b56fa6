import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';

// GatherV2 on wasm against cpu: the embedding fast path, the stock kernel's cases, bad ids.

describe('wasm GatherV2 vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('GatherV2: embedding rows (fast path), other axes, int32 data, bad ids', async () => {
    const ids = () => tf.tensor2d([[3, 0, 4], [4, 4, 1]], [2, 3], 'int32');
    await expectSame(() => tf.gather(rn([5, 7], 41), ids()));
    await expectSame(() => tf.gather(rn([5, 2, 3], 42), tf.tensor1d([4, 0], 'int32')));
    await expectSame(() => tf.gather(rn([4, 5], 43), tf.tensor1d([4, 0, 2], 'int32'), 1)); // axis 1: stock kernel
    await expectSame(() => tf.gather(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32')));
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.gather(rn([3, 2], 44), tf.tensor1d([0, 3], 'int32')))).toThrow(/index value 3 is not in \[0, 2\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
