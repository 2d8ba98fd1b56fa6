import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { hashedInstructionEncoder } from './instruction';
import { fnv1a, textFeatures, words } from './text-features';

describe('instruction encoder', () => {
  it('hashes words and character n-grams deterministically', () => {
    expect(fnv1a('abc')).toBe(fnv1a('abc'));
    expect(words('Classify MNIST digits 0-4!')).toEqual(['classify', 'mnist', 'digits', '0', '4']);
    const f = textFeatures('classify digits', 1 << 14);
    const norm = Math.sqrt([...f.values()].reduce((a, v) => a + v * v, 0));
    expect(norm).toBeCloseTo(1);
    expect(f.size).toBeGreaterThan(5);
  });
  it('encodes texts to (N, dim), similar texts closer than unrelated ones, same seed same vectors, no leaks', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const enc = hashedInstructionEncoder({ dim: 32, buckets: 4096, seed: 1 });
    const v = enc.encode(['classify mnist digits 0 to 4', 'classify mnist digits 0 to 5', 'recognise iris flowers']);
    expect(v.shape).toEqual([3, 32]);
    const a = v.arraySync();
    const cos = (x: number[], y: number[]) => {
      const d = x.reduce((s, xi, i) => s + xi * y[i], 0);
      return d / Math.hypot(...x) / Math.hypot(...y);
    };
    expect(cos(a[0], a[1])).toBeGreaterThan(cos(a[0], a[2]) + 0.3);
    const enc2 = hashedInstructionEncoder({ dim: 32, buckets: 4096, seed: 1 });
    const v2 = enc2.encode(['classify mnist digits 0 to 4']);
    expect(Array.from(v2.dataSync())).toEqual(a[0].map(Math.fround));
    v.dispose(); v2.dispose(); enc.dispose(); enc2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('rejects empty instructions and unknown config keys clearly', () => {
    const enc = hashedInstructionEncoder({ dim: 4, buckets: 64 });
    expect(() => enc.encode([''])).toThrow(/instruction is empty/);
    expect(() => enc.encode(['  !! '])).toThrow(/instruction is empty/);
    expect(() => hashedInstructionEncoder({ dims: 4 } as never)).toThrow(/unknown key "dims"/);
    enc.dispose();
  });
});
