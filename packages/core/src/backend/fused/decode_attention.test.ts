import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { checkFusedOp, expectClose, rn } from './against_composition.fixture';
import { decodeAttention, decodeAttentionOp } from './decode_attention';

// decodeAttention has no composition to fall back to (the caller uses concat + matMul where it has no kernel), so
// it is checked against that attention written out, on cpu and wasm.

describe('fused decodeAttention', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('(cpu, and wasm with native where built) == softmax(q·Kᵀ)·V over the cache plus the new row, written in place', async () => {
    checkFusedOp(decodeAttentionOp);
    const [B, nh, C, hs, pos] = [2, 3, 7, 4, 4], d = nh * hs;
    const expected = () => tf.tidy(() => {
      const qkv = rn([B, 3 * d], 30), kb = rn([B, nh, C, hs], 31), vb = rn([B, nh, C, hs], 32);
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [B, nh, 1, hs]));
      const K = tf.concat([tf.slice(kb, [0, 0, 0, 0], [B, nh, pos, hs]), k], 2), V = tf.concat([tf.slice(vb, [0, 0, 0, 0], [B, nh, pos, hs]), v], 2);
      const y = tf.reshape(tf.matMul(tf.softmax(tf.matMul(q, K, false, true)), V), [B, d]);
      return [y, K, V].map((t) => Array.from(t.dataSync()));
    });
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const want = expected();
      const before = tf.memory().numTensors;
      const qkv = rn([B, 3 * d], 30), kb = rn([B, nh, C, hs], 31), vb = rn([B, nh, C, hs], 32);
      const y = decodeAttention(qkv as tf.Tensor2D, kb as tf.Tensor4D, vb as tf.Tensor4D, pos);
      const filled = (t: tf.Tensor) => tf.tidy(() => Array.from(tf.slice(t, [0, 0, 0, 0], [B, nh, pos + 1, hs]).dataSync()));
      expectClose([Array.from(y.dataSync()), filled(kb), filled(vb)], want, 1e-4);
      tf.dispose([qkv, kb, vb, y]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => decodeAttention(tf.zeros([B, 3 * d]) as tf.Tensor2D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, C)).toThrow(/outside the cache/);
      expect(() => decodeAttention(tf.zeros([B, d]) as tf.Tensor2D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, 0)).toThrow(/do not fit/);
    }
  });
});
