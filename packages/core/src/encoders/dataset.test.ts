import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { datasetEncoder, resample, supportSetFromSplit } from './dataset';

describe('dataset encoder', () => {
  it('resamples any length', () => {
    expect(Array.from(resample(Float32Array.from([1, 2, 3, 4]), 2))).toEqual([1.5, 3.5]);
    expect(Array.from(resample(Float32Array.from([1, 2]), 4))).toEqual([1, 1, 2, 2]);
  });
  it('picks k per class, is permutation invariant, tells datasets apart, no leaks', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    // A real-ish split: two classes of 6x6 images, class 1 bright on the left half.
    const n = 40;
    const xs = tf.tidy(() => tf.randomUniform([n, 6, 6], 0, 1, 'float32', 3));
    const ys = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'int32');
    const s = supportSetFromSplit('toy', { x: xs, y: ys }, 5, 0);
    expect(s.labels.length).toBe(10);
    expect(s.classes).toBe(2);
    expect(s.featureDim).toBe(36);
    const enc = datasetEncoder({ inputDim: 16, hidden: 16, dim: 8, seed: 2 });
    // Same samples in reverse order: same vector.
    const perm = [...Array(10).keys()].reverse();
    const rev = { ...s, x: new Float32Array(perm.flatMap((i) => Array.from(s.x.subarray(i * 36, (i + 1) * 36)))), labels: Int32Array.from(perm, (i) => s.labels[i]) };
    const other = { name: 'other', x: Float32Array.from({ length: 10 * 4 }, (_, i) => (i % 4 === 0 ? 5 : i % 3)), featureDim: 4, labels: s.labels, classes: 2 };
    const v = enc.encode([s, rev, other]);
    expect(v.shape).toEqual([3, 8]);
    const a = v.arraySync();
    a[0].forEach((x, i) => expect(a[1][i]).toBeCloseTo(x, 5));
    expect(Math.max(...a[0].map((x, i) => Math.abs(x - a[2][i])))).toBeGreaterThan(1e-3);
    v.dispose(); xs.dispose(); ys.dispose(); enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('clear error on a malformed support set', () => {
    const enc = datasetEncoder({ inputDim: 4 });
    expect(() => enc.encode([{ name: 'bad', x: new Float32Array(3), featureDim: 2, labels: Int32Array.from([0, 1]), classes: 2 }])).toThrow(/support set "bad"/);
    enc.dispose();
  });
});
