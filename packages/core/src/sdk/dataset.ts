import type * as tf from '@tensorflow/tfjs-core';
import { sharedRegistry } from './registry';

/** What `DatasetPlugin.load` takes. */
export interface DatasetLoadOptions {
  split: 'train' | 'test';
  /** At most this many examples (after class filtering). */
  limit?: number;
  /** Shuffle seed; without one the order is the file order. */
  seed?: number;
  /** Keep only these classes; labels are remapped to 0..k-1 in the given order. */
  classes?: number[];
}

/** A loaded split: x (N, ...inputShape) float32, y (N) int32 labels. */
export interface DatasetSplit {
  x: tf.Tensor;
  y: tf.Tensor1D;
}

/** A dataset plugin: a plain object made by `defineDataset`. */
export interface DatasetPlugin {
  name: string;
  description: string;
  classes: string[];
  /** One example's shape, without the batch axis, e.g. [28, 28, 1]. */
  inputShape: number[];
  load(options: DatasetLoadOptions): Promise<DatasetSplit>;
}

/**
 * Make a dataset plugin: checks its fields; `load` checks its options (split, class indices).
 * @example export const iris = defineDataset({ name: 'iris', description, classes, inputShape: [4], load });
 */
export function defineDataset(plugin: DatasetPlugin): DatasetPlugin {
  const { name, classes, inputShape } = plugin;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new Error(`dataset name must be lowercase letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`);
  }
  if (typeof plugin.description !== 'string') throw new Error(`dataset "${name}": description must be a string`);
  if (!Array.isArray(classes) || classes.length < 2 || classes.some((c) => typeof c !== 'string')) {
    throw new Error(`dataset "${name}": classes must be an array of at least 2 class names`);
  }
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`dataset "${name}": inputShape must be positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (typeof plugin.load !== 'function') throw new Error(`dataset "${name}": load must be a function`);
  return {
    ...plugin,
    async load(options) {
      const { split, limit, classes: keep } = options ?? ({} as DatasetLoadOptions);
      if (split !== 'train' && split !== 'test') throw new Error(`dataset "${name}": split must be "train" or "test", got ${JSON.stringify(split)}`);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`dataset "${name}": limit must be a positive integer, got ${limit}`);
      if (keep !== undefined) {
        const bad = keep.filter((c) => !Number.isInteger(c) || c < 0 || c >= classes.length);
        if (bad.length) throw new Error(`dataset "${name}": class indices ${bad.join(', ')} out of range 0..${classes.length - 1}`);
        if (new Set(keep).size !== keep.length) throw new Error(`dataset "${name}": classes ${JSON.stringify(keep)} has duplicates`);
      }
      return plugin.load(options);
    },
  };
}

const datasets = sharedRegistry<DatasetPlugin>('dataset');

/** Register a dataset; a duplicate name is an error. */
export function registerDataset(plugin: DatasetPlugin): DatasetPlugin {
  return datasets.register(plugin);
}
/** Look a dataset up by name; an unknown name lists the registered ones. */
export function getDataset(name: string): DatasetPlugin {
  return datasets.get(name);
}
/** All registered datasets, sorted by name. */
export function listDatasets(): DatasetPlugin[] {
  return datasets.list();
}
/** Remove a dataset (tests, notebooks). Returns whether it was registered. */
export function unregisterDataset(name: string): boolean {
  return datasets.unregister(name);
}
/** Whether a dataset of this name is registered. */
export function hasDataset(name: string): boolean {
  return datasets.has(name);
}
