// The dataset plugin contract lives in @igpg/core (sdk/dataset.ts); re-exported here for plugin authors.
export type { DatasetPlugin, DatasetSplit, DatasetLoadOptions as LoadOptions } from '@igpg/core';
