import { selectOutputs } from '../class-order';
import { stableHash } from '../zoo/config';
import type { ZooEntry } from '../zoo/manifest';
import { isTrainingEntry } from '../zoo/reader';
import type { EvalContext } from './context';
import type { CutBaseline } from './results';
import { median } from './stats';
import type { RowKey } from './zoo-index';

// The "cut" baseline for a class subset (../shared/design/GENERATION.md): a seen network trained on a superset of
// the subset's classes, with only the subset's output rows kept. A mnist:all MLP cut to 4 vs 9 scores 80-86% there,
// with no training and no generator, so a generator for unseen class subsets has to beat it to have learned anything.

/** Same architecture and spec as the row's, but for `classes` outputs: the layout a cut must come from. */
const layoutFor = (a: ZooEntry['architecture'], classes: number) => stableHash({ name: a.name, spec: { ...a.spec, classes } });

/**
 * Seen networks that can be cut to a row's task: of the zoo's final checkpoints (`finals`, one per network), those
 * of training tasks and seeds on the same dataset and architecture whose class set strictly contains the task's.
 */
export function cutCandidates(finals: ZooEntry[], row: Pick<RowKey, 'task' | 'architecture'>): ZooEntry[] {
  const want = row.task.classIndices;
  const layout = layoutFor(row.architecture, want.length);
  return finals.filter((e) => isTrainingEntry(e) && e.task.dataset === row.task.dataset && e.task.classIndices.length > want.length
    && want.every((c) => e.task.classIndices.includes(c)) && layoutFor(e.architecture, want.length) === layout)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The cut baseline of a row: every candidate network cut to the task's classes (in the task's output order), scored
 * on the row's test split. `best` is the best candidate as measured on that split: an upper bound on what a user
 * could pick, so "beats the cut" is asked against the strongest cut. null when the zoo has no candidate.
 * @example const cut = await cutBaseline(ctx, row); // { best: 0.86, median: 0.83, from: 'mnist:all/mlp32/s3/e3', ... }
 */
export async function cutBaseline(ctx: EvalContext, row: RowKey): Promise<CutBaseline | null> {
  const candidates = cutCandidates(ctx.zoo.finals(), row);
  if (!candidates.length) return null;
  const arch = { name: row.architecture.name, spec: row.architecture.spec };
  const scored: { id: string; task: string; accuracy: number }[] = [];
  for (const e of candidates) {
    const keep = row.task.classIndices.map((c) => e.task.classIndices.indexOf(c)); // output j of the cut = class j of the task
    const cut = selectOutputs(ctx.zoo.infos(e), ctx.zoo.flat(e), keep);
    scored.push({ id: e.id, task: e.task.id, accuracy: await ctx.accuracy(arch, cut, row.task) });
  }
  const best = scored.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return { best: best.accuracy, median: median(scored.map((s) => s.accuracy)), candidates: scored.length, tasks: [...new Set(scored.map((s) => s.task))], from: best.id };
}
