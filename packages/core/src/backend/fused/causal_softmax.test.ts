import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { causalSoftmax, causalSoftmaxOp } from './causal_softmax';

describe('fused causalSoftmax', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('is a well-formed fused op; values and gradient == the tfjs composition (cpu, wasm), no leaks', async () => {
    checkFusedOp(causalSoftmaxOp);
    await expectMatchesComposition(causalSoftmaxOp, () => {
      const s = tf.mul(rn([2, 3, 6, 6], 7), 3);
      return [causalSoftmax(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x), rn([2, 3, 6, 6], 8))))(s)];
    });
  });

  it('long rows (vector loops)', async () => {
    await expectMatchesComposition(causalSoftmaxOp, () => {
      const s = tf.mul(rn([2, 2, 37, 37], 11), 4);
      return [causalSoftmax(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x), rn([2, 2, 37, 37], 12))))(s)];
    });
  });

  it('with a KV-cache offset', async () => {
    await expectMatchesComposition(causalSoftmaxOp, () => {
      const s = rn([2, 2, 7], 9); // 2 new queries at positions 5, 6 over 7 keys
      return [causalSoftmax(s, 5), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x, 5), rn([2, 2, 7], 10))))(s)];
    });
  });

  it('rejects more queries than keys', () => {
    expect(() => causalSoftmax(tf.zeros([3, 2]), 1)).toThrow(/exceeds/);
  });
});
