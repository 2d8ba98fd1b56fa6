import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { gelu } from './gelu';
import { layerNorm, layerNormOp } from './layer_norm';

describe('fused layerNorm', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('is a well-formed fused op; values and gradients == the tfjs composition (cpu, wasm), no leaks', async () => {
    checkFusedOp(layerNormOp);
    await expectMatchesComposition(layerNormOp, () => {
      const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D);
      const args = [rn([4, 3, 16], 3), tf.add(rn([16], 4), 1), rn([16], 5)];
      return [f(args[0], args[1], args[2]), ...tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, g, b), rn([4, 3, 16], 6))))(args)];
    });
  });

  it('gelu after layerNorm, wide rows (vector loops)', async () => {
    await expectMatchesComposition(layerNormOp, () => {
      const x = tf.mul(rn([5, 131], 13), 3);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => gelu(layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D));
      const args = [x, tf.add(rn([131], 14), 1), rn([131], 15)];
      return [f(args[0], args[1], args[2]), ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), rn([5, 131], 16))))(args)];
    });
  });

  it('rejects mismatched shapes with a clear error', () => {
    expect(() => layerNorm(tf.zeros([2, 4]), tf.ones([3]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D)).toThrow(/gamma \[3\]/);
  });
});
