import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { architectureEncoder, positionFeatures, POSITION_FEATURES, type ChunkPlace } from './architecture';

describe('architecture encoding', () => {
  it('gives each token of each chunk its own position row, telling layers, roles and code slots apart', () => {
    const places: ChunkPlace[] = [
      { layer: 0, layers: 3, role: 'kernel', offset: 0, tensorSize: 128 },
      { layer: 0, layers: 3, role: 'kernel', offset: 64, tensorSize: 128 },
      { layer: 2, layers: 3, role: 'bias', offset: 0, tensorSize: 10 },
    ];
    const f = positionFeatures(places, 2, 64);
    expect(f.length).toBe(3 * 2 * POSITION_FEATURES);
    const row = (i: number) => Array.from(f.subarray(i * POSITION_FEATURES, (i + 1) * POSITION_FEATURES));
    const rows = [0, 1, 2, 3, 4, 5].map(row).map((r) => r.join(','));
    expect(new Set(rows).size).toBe(6);
    // Unseen depth: layer 40 of 41 still gets a distinct relative depth (clamped one-hot, continuous depth).
    const deep = positionFeatures([{ layer: 40, layers: 41, role: 'kernel', offset: 0 }, { layer: 35, layers: 41, role: 'kernel', offset: 0 }], 1);
    expect(Array.from(deep.subarray(0, POSITION_FEATURES))).not.toEqual(Array.from(deep.subarray(POSITION_FEATURES)));
    expect(() => positionFeatures([{ layer: 0, layers: 1, role: 'weird' as never, offset: 0 }], 1)).toThrow(/unknown role "weird"/);
  });
  it('encodes architecture descriptions, no leaks', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const enc = architectureEncoder({ dim: 8, buckets: 256, seed: 1 });
    const v = enc.encode([
      { name: 'mlp', description: 'MLP 4-16-3, tanh', params: 131, layers: 2, tensors: 4 },
      { name: 'cnn', description: 'CNN conv8-conv6-conv4-fc20', params: 2464, layers: 4, tensors: 8 },
    ]);
    expect(v.shape).toEqual([2, 8]);
    const a = v.arraySync();
    expect(a[0]).not.toEqual(a[1]);
    v.dispose(); enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
