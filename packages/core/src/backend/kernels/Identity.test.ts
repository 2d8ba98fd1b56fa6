import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { expectSame, rn } from './against_cpu.fixture';

// Identity (tf.clone) on wasm shares the input's data instead of copying it.

describe('wasm Identity', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 });
  });
  afterAll(() => shutdownBackend());

  it('Identity (tf.clone) shares data without copying; each copy outlives the other', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const wb = tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number; refCount: number } } };
    expect(wb.dataIdMap.get(y.dataId)!.memoryOffset).toBe(wb.dataIdMap.get(x.dataId)!.memoryOffset);
    expect(wb.dataIdMap.get(x.dataId)!.refCount).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expectSame(() => tf.clone(rn([4, 5], 40)));
  });
});
