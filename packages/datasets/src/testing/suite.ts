// Shared conformance checks for dataset plugins (each dataset's test calls them; excluded from the build).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it } from 'vitest';
import { defineDataset, type DatasetPlugin } from '@igpg/core';

/**
 * Register the standard conformance tests for one dataset plugin: `defineDataset` accepts it; each split loads
 * as x (N, ...inputShape) float32 and y (N) int32 labels in 0..classes-1, at most `limit` rows; a seed fixes the
 * order; a class filter keeps only those classes, relabelled in the given order; bad options fail; nothing leaks.
 * `limit` keeps the loads small for file-backed datasets.
 */
export function datasetConformance(plugin: DatasetPlugin, options: { limit?: number } = {}): void {
  const limit = options.limit ?? 64;
  const label = `dataset "${plugin.name}" conformance`;

  it(`${label}: defineDataset accepts it; fields are consistent`, () => {
    expect(() => defineDataset(plugin)).not.toThrow();
    expect(plugin.classes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(plugin.classes).size).toBe(plugin.classes.length);
    expect(plugin.description.length).toBeGreaterThan(0);
  });

  it(`${label}: both splits load with the declared shapes, dtypes and label range; no leaks`, async () => {
    const d = defineDataset(plugin);
    const before = tf.memory().numTensors;
    for (const split of ['train', 'test'] as const) {
      const { x, y } = await d.load({ split, limit, seed: 1 });
      const n = y.shape[0];
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(limit);
      expect(x.shape).toEqual([n, ...plugin.inputShape]);
      expect(x.dtype).toBe('float32');
      expect(y.dtype).toBe('int32');
      const labels = Array.from(y.dataSync());
      expect(Math.min(...labels)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...labels)).toBeLessThan(plugin.classes.length);
      expect(Number.isFinite(tf.tidy(() => tf.sum(x).dataSync()[0]))).toBe(true);
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it(`${label}: the same seed gives the same rows; a class filter relabels in the given order`, async () => {
    const d = defineDataset(plugin);
    const before = tf.memory().numTensors;
    const a = await d.load({ split: 'train', limit, seed: 7 });
    const b = await d.load({ split: 'train', limit, seed: 7 });
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(Array.from(a.y.dataSync())).toEqual(Array.from(b.y.dataSync()));
    const f = await d.load({ split: 'train', limit, seed: 7, classes: [1, 0] });
    const kept = Array.from(f.y.dataSync());
    expect(kept.length).toBeGreaterThan(0);
    expect(new Set(kept)).toEqual(new Set(kept.filter((l) => l === 0 || l === 1)));
    tf.dispose([a.x, a.y, b.x, b.y, f.x, f.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it(`${label}: bad options fail with a clear error`, async () => {
    const d = defineDataset(plugin);
    await expect(d.load({ split: 'val' as never })).rejects.toThrow(/split must be "train" or "test"/);
    await expect(d.load({ split: 'train', classes: [plugin.classes.length] })).rejects.toThrow(/out of range/);
  });
}
