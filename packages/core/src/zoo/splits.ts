import type { DatasetSplit } from '../sdk/dataset';
import { getDataset } from '../sdk/dataset';
import type { ZooEntry } from './manifest';

// The builder's data for a zoo network, as its manifest entry records it (entry.splits): the functional check and
// the eval score a network on exactly the test subset it was measured on, and condition on its task's support set.

/**
 * The test subset a zoo network was scored on when built (same classes, limit and seed), or with `fallback`
 * (limit, seed) for a zoo built before the seeds were recorded.
 * @example const test = await entryTestSplit(entry); // dispose test.x, test.y when done
 */
export async function entryTestSplit(entry: ZooEntry, fallback: { limit?: number; seed?: number } = {}): Promise<DatasetSplit> {
  const s = entry.splits;
  return getDataset(entry.task.dataset).load({ split: 'test', classes: entry.task.classIndices, limit: s ? s.testLimit : fallback.limit, seed: s ? s.testSeed : fallback.seed });
}

/** A cache key for entryTestSplit: networks with equal keys were scored on the same images. */
export function entryTestKey(entry: ZooEntry, fallback: { limit?: number; seed?: number } = {}): string {
  const s = entry.splits;
  return `${entry.task.dataset}|${entry.task.classIndices.join(',')}|${s ? `${s.testLimit}|${s.testSeed}` : `${fallback.limit}|${fallback.seed}`}`;
}

/** The support-set seed the zoo recorded for this network's task, else `fallback`. */
export function entrySupportSeed(entry: ZooEntry, fallback: number): number {
  return entry.splits?.supportSeed ?? fallback;
}
