import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';
import { maxPool } from '../im2col';

// MaxPoolGrad on wasm against cpu (the stock wasm kernel was off by up to 3.5 on (2, 6, 6, 3)); igpg's maxPool
// (im2col.ts, the batched zoo CNNs' pools) the same, its gradient included.

const poolGrad = (pool: (x: tf.Tensor4D) => tf.Tensor4D, shape: [number, number, number, number], seed: number) => () =>
  tf.grad((x: tf.Tensor) => tf.sum(tf.mul(pool(x as tf.Tensor4D), rn(pool(rn(shape, seed) as tf.Tensor4D).shape, seed + 1))))(rn(shape, seed));

describe('wasm MaxPoolGrad vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  afterAll(() => shutdownBackend());

  it('window = stride, valid, several channels; ragged maps; a strided 3x3 window through the cpu bridge', async () => {
    await expectSame(poolGrad((x) => tf.maxPool(x, 2, 2, 'valid'), [2, 6, 6, 3], 61));
    await expectSame(poolGrad((x) => tf.maxPool(x, 2, 2, 'valid'), [4, 24, 24, 8], 62)); // CNN-s conv1 maps
    await expectSame(poolGrad((x) => tf.maxPool(x, 3, 3, 'valid'), [1, 7, 8, 2], 63)); // sizes not a multiple of 3
    await expectSame(poolGrad((x) => tf.maxPool(x, 3, 2, 'same'), [2, 7, 7, 4], 64));
    // ties (all-zero regions, as on MNIST's background): the first max of the window gets the gradient
    await expectSame(() => tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')))(tf.zeros([1, 4, 4, 2])));
  });

  it('igpg maxPool: values and gradients as tf.maxPool on cpu', async () => {
    await expectSame(() => maxPool(rn([3, 8, 9, 5], 65) as tf.Tensor4D, 2));
    await expectSame(poolGrad((x) => maxPool(x, 2), [3, 8, 9, 5], 66));
    await expectSame(() => tf.grad((x: tf.Tensor) => tf.sum(maxPool(x as tf.Tensor4D, 2)))(tf.zeros([1, 4, 4, 2])));
  });
});
