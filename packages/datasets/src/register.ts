import { defineDataset, getDataset, hasDataset, registerDataset, taskFromId, type DatasetPlugin, type Task } from '@igpg/core';
import { fashionMnistDataset } from './fashion-mnist';
import { irisDataset } from './iris';
import { mnistDataset } from './mnist';
import { syntheticDataset } from './synthetic';
import { registerBuiltinPhrasings } from './tasks';

/** The built-in dataset plugins: mnist, fashion-mnist, iris and a few synthetic 2-D tasks. */
export function builtinDatasets(): DatasetPlugin[] {
  return [
    mnistDataset(),
    fashionMnistDataset(),
    irisDataset(),
    syntheticDataset({ kind: 'spirals', classes: 2 }),
    syntheticDataset({ kind: 'spirals', classes: 3 }),
    syntheticDataset({ kind: 'blobs', classes: 4 }),
  ].map(defineDataset);
}

/**
 * Register the built-in datasets and their instruction wording. Idempotent: already registered names are skipped.
 * @example registerBuiltinDatasets(); getDataset('mnist');
 */
export function registerBuiltinDatasets(): void {
  registerBuiltinPhrasings();
  for (const ds of builtinDatasets()) if (!hasDataset(ds.name)) registerDataset(ds);
}

/** Plugin entry point used by the zoo builder's workers (`plugins: ['@igpg/datasets']`). */
export const register = registerBuiltinDatasets;

/**
 * Look a task up by its id against the registered datasets (registers the built-ins first).
 * @example getTask('fashion-mnist:sandal+sneaker').instructions[1] === 'Tell sandals from sneakers'
 */
export function getTask(id: string, options: { heldOut?: boolean } = {}): Task {
  registerBuiltinDatasets();
  return taskFromId(id, getDataset, options);
}
