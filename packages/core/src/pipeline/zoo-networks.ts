import * as tf from '@tensorflow/tfjs-core';
import { getDataset } from '../sdk/dataset';
import type { ParamInfo } from '../sdk/types';
import { supportSetFromSplit, type SupportSet } from '../encoders/dataset';
import type { ZooEntry } from '../zoo/manifest';
import { isTrainingEntry, lastEpochs, openZoo, type Zoo } from '../zoo/reader';

/** A zoo checkpoint with its weights loaded (checksum verified) in canonical order. */
export interface ZooNetwork {
  entry: ZooEntry;
  infos: ParamInfo[];
  flat: Float32Array;
}

export { isTrainingEntry, lastEpochs } from '../zoo/reader';

/**
 * Load zoo checkpoints through the zoo reader (weights verified against the manifest's size and sha256).
 * Architectures must be registered. `filter` picks entries (default: training entries);
 * `lastEpochOnly` keeps each network's final checkpoint.
 * @example const nets = loadZooNetworks('zoo/default'); nets[0].flat.length // 2464
 */
export function loadZooNetworks(zooDir: string | Zoo, filter: (e: ZooEntry) => boolean = isTrainingEntry, options: { lastEpochOnly?: boolean } = {}): ZooNetwork[] {
  const zoo = typeof zooDir === 'string' ? openZoo(zooDir) : zooDir;
  const all = zoo.entries.filter(filter);
  const entries = options.lastEpochOnly ? lastEpochs(all) : all;
  if (!entries.length) throw new Error(`${zoo.dir}: the zoo has no checkpoints to learn from (build it with \`igpg zoo build\`)`);
  return entries.map((entry) => ({ entry, infos: zoo.infos(entry), flat: zoo.flat(entry) }));
}

/**
 * The dataset condition of a task: k training samples of each of its classes (seeded), cached by task id.
 * @example const support = await taskSupportSet({ dataset: 'mnist', classIndices: [0, 1], id: 'mnist:0+1' }, 5, 1);
 */
export async function taskSupportSet(task: { id: string; dataset: string; classIndices: number[] }, k: number, seed: number, cache?: Map<string, SupportSet>): Promise<SupportSet> {
  const hit = cache?.get(task.id);
  if (hit) return hit;
  const plugin = getDataset(task.dataset);
  // A few hundred samples per class are plenty to draw k from.
  const split = await plugin.load({ split: 'train', classes: task.classIndices, limit: Math.max(200, 40 * k * task.classIndices.length), seed });
  try {
    const support = supportSetFromSplit(task.id, split, k, seed);
    cache?.set(task.id, support);
    return support;
  } finally {
    tf.dispose([split.x, split.y]);
  }
}
