import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from './synthetic';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('syntheticDataset', () => {
  it('makes <kind>-<k> datasets of (N,2) points in [0,1], balanced, reproducible for a seed', async () => {
    const before = tf.memory().numTensors;
    const ds = syntheticDataset({ kind: 'spirals', classes: 3 });
    expect(ds.name).toBe('spirals-3');
    expect(ds.classes).toEqual(['arm-0', 'arm-1', 'arm-2']);
    const a = await ds.load({ split: 'train' });
    expect(a.x.shape).toEqual([900, 2]);
    const ys = Array.from(a.y.dataSync());
    for (let c = 0; c < 3; c++) expect(ys.filter((v) => v === c).length).toBe(300);
    expect(new Set(ys.slice(0, 30)).size).toBe(3); // mixed order even without a seed
    const xs = a.x.dataSync();
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
    const again = await syntheticDataset({ kind: 'spirals', classes: 3 }).load({ split: 'train' });
    expect(Array.from(again.x.dataSync())).toEqual(Array.from(xs));
    const other = await syntheticDataset({ kind: 'spirals', classes: 3, seed: 1 }).load({ split: 'train' });
    expect(Array.from(other.x.dataSync())).not.toEqual(Array.from(xs));
    const test = await ds.load({ split: 'test' });
    expect(test.x.shape).toEqual([300, 2]);
    tf.dispose([a.x, a.y, again.x, again.y, other.x, other.y, test.x, test.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad kinds and class counts', () => {
    expect(() => syntheticDataset({ kind: 'moons' as 'blobs', classes: 2 })).toThrow(/unknown kind "moons" \(allowed: spirals, blobs\)/);
    expect(() => syntheticDataset({ kind: 'blobs', classes: 1 })).toThrow(/classes must be an integer in 2..26/);
  });
});
