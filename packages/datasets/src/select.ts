import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@igpg/core';
import type { DatasetSplit, LoadOptions } from './types';

/** A dataset held in memory as flat arrays: sample i is pixels[i*size .. (i+1)*size) * scale, label labels[i]. */
export interface ArraySource {
  name: string;
  pixels: ArrayLike<number>;
  /** Multiplied into each value to reach [0, 1] (1/255 for bytes). */
  scale: number;
  labels: ArrayLike<number>;
  numClasses: number;
  inputShape: number[];
}

/** Check a `classes` option: distinct integer class indices in range. Returns them, or all classes. */
function checkClasses(name: string, numClasses: number, classes?: number[]): number[] {
  if (classes === undefined) return Array.from({ length: numClasses }, (_, i) => i);
  if (classes.length === 0) throw new Error(`${name}: options.classes is empty; give at least one class index (0..${numClasses - 1})`);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new Error(`${name}: class index ${c} is out of range; ${name} has classes 0..${numClasses - 1}`);
    }
  }
  if (new Set(classes).size !== classes.length) throw new Error(`${name}: options.classes has duplicates: [${classes.join(', ')}]`);
  return classes;
}

/**
 * Turn the samples `indices` of a split into tensors: keep the requested classes (labels remapped to
 * 0..k-1 in the order given), shuffle with `seed` (without one: the split's own order), keep the first `limit`.
 */
export function materialize(src: ArraySource, indices: readonly number[], opts: LoadOptions): DatasetSplit {
  const classes = checkClasses(src.name, src.numClasses, opts.classes);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new Error(`${src.name}: options.limit must be a positive integer, got ${opts.limit}`);
  }
  const remap = new Map(classes.map((c, i) => [c, i]));
  const kept = indices.filter((i) => remap.has(src.labels[i]));
  if (opts.seed !== undefined) createRng(`${src.name}/order/${opts.seed}`).shuffle(kept);
  const n = Math.min(kept.length, opts.limit ?? Infinity);
  const size = src.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const i = kept[s];
    for (let j = 0; j < size; j++) x[s * size + j] = src.pixels[i * size + j] * src.scale;
    y[s] = remap.get(src.labels[i])!;
  }
  return { x: tf.tensor(x, [n, ...src.inputShape], 'float32'), y: tf.tensor1d(y, 'int32') };
}

/**
 * Fixed, seeded, stratified split: in each class, shuffle the sample indices with `seed` and put
 * round(testFraction * count) of them in the test split; each split is then shuffled once with `seed`
 * (so a `limit` without a load seed still sees every class). Deterministic for a seed.
 */
export function stratifiedSplit(labels: ArrayLike<number>, numClasses: number, testFraction: number, seed: string | number) {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((idx, c) => {
    createRng(`${seed}/class-${c}`).shuffle(idx);
    const nTest = Math.round(testFraction * idx.length);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  });
  const order = (xs: number[], label: string) => createRng(`${seed}/${label}`).shuffle(xs.sort((a, b) => a - b));
  return { train: order(train, 'train'), test: order(test, 'test') };
}
