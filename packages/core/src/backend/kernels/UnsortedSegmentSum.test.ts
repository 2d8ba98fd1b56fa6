import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';

// UnsortedSegmentSum (missing in tfjs-backend-wasm) against cpu, and the gradient of gather it serves.

describe('wasm UnsortedSegmentSum vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('UnsortedSegmentSum and the gradient of gather (embeddings)', async () => {
    await expectSame(() => tf.unsortedSegmentSum(rn([6, 3, 2], 9), tf.tensor1d([0, 2, 2, 4, 0, 1], 'int32'), 5));
    await expectSame(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, 1, 0, 3], 'int32'), 4));
    await expectSame(() => tf.grad((E: tf.Tensor) => tf.sum(tf.mul(tf.gather(E, tf.tensor2d([[1, 3], [3, 0]], [2, 2], 'int32')), rn([2, 2, 4], 10))))(rn([5, 4], 11)));
  });
});
