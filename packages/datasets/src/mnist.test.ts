import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnistDataset } from './mnist';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mnist', () => {
  const ds = mnistDataset();

  it('loads the real 8,000/2,000 split as (N,28,28,1) in [0,1] with labels 0..9, every class in both', async () => {
    const before = tf.memory().numTensors;
    for (const [split, n] of [['train', 8000], ['test', 2000]] as const) {
      const { x, y } = await ds.load({ split });
      expect(x.shape).toEqual([n, 28, 28, 1]);
      expect(y.dtype).toBe('int32');
      const [lo, hi] = tf.tidy(() => [tf.min(x).dataSync()[0], tf.max(x).dataSync()[0]]);
      expect(lo).toBe(0);
      expect(hi).toBeCloseTo(1, 2);
      const counts = tf.tidy(() => tf.sum(tf.oneHot(y, 10), 0).dataSync());
      counts.forEach((c) => expect(c).toBeGreaterThan(split === 'train' ? 650 : 160)); // ~1,000 per class, 80/20
      x.dispose(); y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('train and test do not overlap, and the split is the same on every load', async () => {
    const a = await ds.load({ split: 'test', limit: 50 });
    const b = await ds.load({ split: 'test', limit: 50 });
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    // No test image equals a train image.
    const key = (v: Float32Array, i: number) => Array.from(v.subarray(i * 784, (i + 1) * 784)).join(',');
    const tr = await ds.load({ split: 'train' });
    const trainSet = new Set(Array.from({ length: tr.y.shape[0] }, (_, i) => key(tr.x.dataSync() as Float32Array, i)));
    const te = a.x.dataSync() as Float32Array;
    for (let i = 0; i < 50; i++) expect(trainSet.has(key(te, i))).toBe(false);
    tf.dispose([a.x, a.y, b.x, b.y, tr.x, tr.y]);
  });
});
