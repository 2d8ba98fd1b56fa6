// @igpg/datasets public API: built-in dataset plugins and the tasks derived from them.
export type { DatasetPlugin, DatasetSplit, LoadOptions } from './types';
export { mnistDataset, MNIST_SPLIT_SEED, MNIST_TEST_FRACTION } from './mnist';
export { fashionMnistDataset, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './fashion-mnist';
export { irisDataset, IRIS_SPLIT_SEED } from './iris';
export { syntheticDataset, type SyntheticOptions } from './synthetic';
export { parseIdx, readIdx, type IdxArray } from './idx';
export { stratifiedSplit } from './select';
export { deriveTasks, registerBuiltinPhrasings, CURATED_GROUPS, type DeriveTasksOptions, type Task } from './tasks';
export { builtinDatasets, registerBuiltinDatasets, register, getTask } from './register';
