import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, stratifiedSplit, type ArraySource } from './select';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 12 samples, 3 classes, 2 features: sample i is [i, i/10] and has label i % 3.
const src: ArraySource = {
  name: 'toy', scale: 1, numClasses: 3, inputShape: [2],
  pixels: Float32Array.from({ length: 24 }, (_, j) => (j % 2 ? Math.floor(j / 2) / 10 : Math.floor(j / 2))),
  labels: Int32Array.from({ length: 12 }, (_, i) => i % 3),
};
const all = Array.from({ length: 12 }, (_, i) => i);

describe('materialize', () => {
  it('remaps labels to 0..k-1 in the order the classes are given', () => {
    const { x, y } = materialize(src, all, { split: 'train', classes: [2, 0] });
    const xs = x.arraySync() as number[][];
    const ys = Array.from(y.dataSync());
    expect(ys.length).toBe(8);
    xs.forEach((row, s) => expect(ys[s]).toBe(row[0] % 3 === 2 ? 0 : 1));
    tf.dispose([x, y]);
  });

  it('a seed gives the same order every time, another seed another order; limit keeps a prefix', () => {
    const ids = (seed?: number, limit?: number) => {
      const { x, y } = materialize(src, all, { split: 'train', seed, limit });
      const r = (x.arraySync() as number[][]).map((row) => row[0]);
      tf.dispose([x, y]);
      return r;
    };
    expect(ids()).toEqual(all);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
    expect(ids(7, 5)).toEqual(ids(7).slice(0, 5));
  });

  it('rejects bad class indices and limits with the reason', () => {
    expect(() => materialize(src, all, { split: 'train', classes: [3] })).toThrow(/class index 3 is out of range; toy has classes 0..2/);
    expect(() => materialize(src, all, { split: 'train', classes: [1, 1] })).toThrow(/duplicates/);
    expect(() => materialize(src, all, { split: 'train', limit: 0 })).toThrow(/limit must be a positive integer/);
  });
});

describe('stratifiedSplit', () => {
  it('puts the same fraction of each class in test, deterministically for a seed', () => {
    const labels = Int32Array.from({ length: 300 }, (_, i) => i % 3);
    const a = stratifiedSplit(labels, 3, 0.2, 's');
    expect(a).toEqual(stratifiedSplit(labels, 3, 0.2, 's'));
    expect(a).not.toEqual(stratifiedSplit(labels, 3, 0.2, 't'));
    expect(a.test.length).toBe(60);
    for (let c = 0; c < 3; c++) expect(a.test.filter((i) => labels[i] === c).length).toBe(20);
    expect(new Set([...a.train, ...a.test]).size).toBe(300);
  });
});
