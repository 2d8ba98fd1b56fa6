// @igpg/datasets public API: built-in dataset plugins and the tasks derived from them.
export type { DatasetPlugin, DatasetSplit, LoadOptions } from './types';
export { mnistDataset } from './mnist';
export { fashionMnistDataset } from './fashion-mnist';
export { irisDataset } from './iris';
export { syntheticDataset, type SyntheticOptions } from './synthetic';
export { deriveTasks, type DeriveTasksOptions, type Task } from './tasks';
export { builtinDatasets, registerBuiltinDatasets, register, getTask } from './register';
