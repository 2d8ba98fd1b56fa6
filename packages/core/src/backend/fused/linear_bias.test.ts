import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { linearBias, linearBiasOp } from './linear_bias';

describe('fused linearBias', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('is a well-formed fused op; x·w + b (fused on wasm with the native addon), values and gradients', async () => {
    checkFusedOp(linearBiasOp);
    await expectMatchesComposition(linearBiasOp, () => {
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => linearBias(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D);
      const args = [rn([37, 19], 19), tf.mul(rn([19, 23], 20), 0.3), rn([23], 21)];
      return [f(args[0], args[1], args[2]), ...tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, w, b), rn([37, 23], 22))))(args)];
    });
  });
});
