import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readFileVerified } from '../io/atomic';
import { loadNetworkSafetensors } from '../io/safetensors';
import { getArchitecture } from '../sdk/architecture';
import { getDataset } from '../sdk/dataset';
import type { ParamInfo } from '../sdk/types';
import { supportSetFromSplit, type SupportSet } from '../encoders/dataset';
import { readManifest, type ZooEntry } from '../zoo/manifest';

/** A zoo checkpoint with its weights loaded (checksum verified) in canonical order. */
export interface ZooNetwork {
  entry: ZooEntry;
  infos: ParamInfo[];
  flat: Float32Array;
}

/** Entries IGPG may learn from: every checkpoint except those of held-out tasks and held-out seeds. */
export const isTrainingEntry = (e: ZooEntry) => !e.heldOut.task && !e.heldOut.seed;

/** Keep each network's last checkpoint only (the zoo may also record earlier epochs of the same run). */
export function lastEpochs(entries: ZooEntry[]): ZooEntry[] {
  const last = new Map<string, number>();
  for (const e of entries) last.set(e.job, Math.max(e.epoch, last.get(e.job) ?? 0));
  return entries.filter((e) => e.epoch === last.get(e.job));
}

/**
 * Load zoo checkpoints (weights verified against the manifest's size and sha256).
 * Architectures must be registered. `filter` picks entries (default: training entries);
 * `lastEpochOnly` keeps each network's final checkpoint.
 * @example const nets = loadZooNetworks('zoo/default'); nets[0].flat.length // 2464
 */
export function loadZooNetworks(zooDir: string, filter: (e: ZooEntry) => boolean = isTrainingEntry, options: { lastEpochOnly?: boolean } = {}): ZooNetwork[] {
  const all = readManifest(zooDir).entries.filter(filter);
  const entries = options.lastEpochOnly ? lastEpochs(all) : all;
  if (!entries.length) throw new Error(`${zooDir}: the zoo has no checkpoints to learn from (build it with \`igpg zoo build\`)`);
  return entries.map((entry) => {
    const file = path.join(zooDir, entry.weights.file);
    readFileVerified(file, entry.weights);
    const infos = getArchitecture(entry.architecture.name).describe(entry.architecture.spec);
    return { entry, infos, flat: loadNetworkSafetensors(file, infos).flat };
  });
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
