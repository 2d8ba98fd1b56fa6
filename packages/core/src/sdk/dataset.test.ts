import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineDataset, getDataset, listDatasets, registerDataset, unregisterDataset, type DatasetLoadOptions } from './dataset';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  unregisterDataset('test-xor');
});

// A tiny real dataset: the four XOR points, class = a xor b.
const xor = () =>
  defineDataset({
    name: 'test-xor',
    description: 'the XOR truth table',
    classes: ['false', 'true'],
    inputShape: [2],
    async load({ classes }: DatasetLoadOptions) {
      const pts = [[0, 0], [0, 1], [1, 0], [1, 1]];
      let rows = pts.map((p) => ({ p, label: p[0] ^ p[1] }));
      if (classes) rows = rows.filter((r) => classes.includes(r.label)).map((r) => ({ ...r, label: classes.indexOf(r.label) }));
      return { x: tf.tensor2d(rows.map((r) => r.p)), y: tf.tensor1d(rows.map((r) => r.label), 'int32') };
    },
  });

describe('dataset registry', () => {
  it('registers, lists, rejects duplicates and unknown names clearly', () => {
    registerDataset(xor());
    expect(getDataset('test-xor').classes).toEqual(['false', 'true']);
    expect(listDatasets().map((d) => d.name)).toContain('test-xor');
    expect(() => registerDataset(xor())).toThrow(/dataset "test-xor" is already registered/);
    expect(() => getDataset('cifar')).toThrow(/unknown dataset "cifar"; registered: .*test-xor/);
  });

  it('checks load options before the plugin sees them', async () => {
    const d = xor();
    await expect(d.load({ split: 'val' as never })).rejects.toThrow(/split must be "train" or "test"/);
    await expect(d.load({ split: 'train', classes: [2] })).rejects.toThrow(/class indices 2 out of range 0..1/);
    await expect(d.load({ split: 'train', limit: 0 })).rejects.toThrow(/limit must be a positive integer/);
    const { x, y } = await d.load({ split: 'train', classes: [1] });
    expect(x.shape).toEqual([2, 2]);
    expect(Array.from(y.dataSync())).toEqual([0, 0]);
    tf.dispose([x, y]);
  });

  it('checks the plugin fields', () => {
    expect(() => defineDataset({ ...xor(), classes: ['one'] })).toThrow(/at least 2 class names/);
    expect(() => defineDataset({ ...xor(), inputShape: [0] })).toThrow(/inputShape must be positive integers/);
  });
});
