import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, fashionMnistDataset } from './fashion-mnist';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const present = fs.existsSync(`${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz`);

describe('fashion-mnist', () => {
  it.skipIf(!present)('loads the full official test split, (10000,28,28,1) in [0,1], 1,000 per class', async () => {
    const before = tf.memory().numTensors;
    const { x, y } = await fashionMnistDataset().load({ split: 'test' });
    expect(x.shape).toEqual([10000, 28, 28, 1]);
    expect(tf.tidy(() => tf.max(x).dataSync()[0])).toBe(1);
    expect(tf.tidy(() => tf.min(x).dataSync()[0])).toBe(0);
    const counts = tf.tidy(() => Array.from(tf.sum(tf.oneHot(y, 10), 0).dataSync()));
    expect(counts).toEqual(new Array(10).fill(1000));
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!present)('keeps a class subset with remapped labels (sneaker -> 0, sandal -> 1), seeded limit', async () => {
    const before = tf.memory().numTensors;
    const ds = fashionMnistDataset();
    const a = await ds.load({ split: 'train', classes: [7, 5], limit: 300, seed: 3 });
    const b = await ds.load({ split: 'train', classes: [7, 5], limit: 300, seed: 3 });
    expect(a.x.shape).toEqual([300, 28, 28, 1]);
    const ys = Array.from(a.y.dataSync());
    expect(new Set(ys)).toEqual(new Set([0, 1]));
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    tf.dispose([a.x, a.y, b.x, b.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a missing folder gives the install command', async () => {
    const ds = fashionMnistDataset({ dir: '/nonexistent/fashion' });
    await expect(ds.load({ split: 'train' })).rejects.toThrow(/apt-get install dataset-fashion-mnist.*scripts\/setup\.sh.*IGPG_FASHION_MNIST_DIR/s);
  });

  it('honours IGPG_FASHION_MNIST_DIR', async () => {
    process.env.IGPG_FASHION_MNIST_DIR = '/nonexistent/from-env';
    try {
      await expect(fashionMnistDataset().load({ split: 'test' })).rejects.toThrow(/\/nonexistent\/from-env\/t10k-images-idx3-ubyte\.gz not found/);
    } finally {
      delete process.env.IGPG_FASHION_MNIST_DIR;
    }
  });
});
