import { afterAll, beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { gelu, geluOp } from './gelu';

describe('fused gelu', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('is a well-formed fused op; values and gradient == the tfjs composition (cpu, wasm), no leaks', async () => {
    checkFusedOp(geluOp);
    await expectMatchesComposition(geluOp, () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(gelu(x), rn([3, 5, 8], 2))))([tf.mul(rn([3, 5, 8], 1), 2)]).concat([gelu(tf.mul(rn([3, 5, 8], 1), 2))]));
  });
});
