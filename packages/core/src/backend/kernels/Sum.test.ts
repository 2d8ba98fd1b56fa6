import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';

// Sum on wasm against cpu: leading axes (native column sums when built), and the stock kernel's cases.

describe('wasm Sum vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('Sum over leading axes (native column sums), other axes and the bias-add gradient', async () => {
    await expectSame(() => tf.sum(rn([37, 19], 30), 0));
    await expectSame(() => tf.sum(rn([3, 5, 19], 31), [1, 0], true));
    await expectSame(() => [tf.sum(rn([3, 5, 4], 32), 1), tf.sum(rn([3, 5, 4], 33), -1), tf.sum(rn([3, 5], 34))]); // stock kernel
    await expectSame(() => tf.sum(tf.ones([4, 3], 'int32'), 0)); // int32: stock kernel
    await expectSame(() => tf.sum(rn([0, 3], 35), 0));
    await expectSame(() => tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.add(rn([64, 33], 36), b), rn([64, 33], 37))))(rn([33], 38)));
  });
});
