import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { softmaxCrossEntropy, softmaxCrossEntropyOp } from './softmax_cross_entropy';

describe('fused softmaxCrossEntropy', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('is a well-formed fused op; value and logits gradient == the tfjs composition (a target out of range counts zero)', async () => {
    checkFusedOp(softmaxCrossEntropyOp);
    await expectMatchesComposition(softmaxCrossEntropyOp, () => {
      const logits = tf.mul(rn([9, 37], 17), 3);
      const targets = tf.tensor1d([0, 36, 5, 5, 12, -1, 37, 20, 1], 'int32');
      const w = tf.div(tf.abs(rn([9], 18)), 9) as tf.Tensor1D;
      const f = (l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, targets as tf.Tensor1D, w);
      return [f(logits), tf.grad((l: tf.Tensor) => tf.mul(f(l), 1.7))(logits)];
    });
  });

  it('rejects float targets and mismatched lengths with a clear error', () => {
    expect(() => softmaxCrossEntropy(tf.zeros([3, 2]), tf.zeros([3]) as tf.Tensor1D, tf.ones([3]))).toThrow(/int32/);
    expect(() => softmaxCrossEntropy(tf.zeros([3, 2]), tf.zeros([2], 'int32') as tf.Tensor1D, tf.ones([3]))).toThrow(/must be \[3\]/);
  });
});
