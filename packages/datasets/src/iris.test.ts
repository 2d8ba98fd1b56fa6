import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { irisDataset } from './iris';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('iris', () => {
  it('loads a 120/30 stratified split of 4 features in [0,1]', async () => {
    const before = tf.memory().numTensors;
    const ds = irisDataset();
    const tr = await ds.load({ split: 'train' });
    const te = await ds.load({ split: 'test', classes: [2, 1] });
    expect(tr.x.shape).toEqual([120, 4]);
    expect(te.x.shape).toEqual([20, 4]);
    const xs = tr.x.dataSync();
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
    const ys = Array.from(tr.y.dataSync());
    for (let c = 0; c < 3; c++) expect(ys.filter((v) => v === c).length).toBe(40);
    expect(new Set(te.y.dataSync())).toEqual(new Set([0, 1]));
    tf.dispose([tr.x, tr.y, te.x, te.y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
