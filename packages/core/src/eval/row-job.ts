// A report row as a unit of work that can run anywhere: the settings a row's evaluation depends on (a plain,
// JSON-able object), the context built from them, and the row function itself (rows.ts evaluateRow, wrapped, not
// copied). runEvaluation uses this for its local rows and the queue's eval workers use it for theirs, so a row
// evaluated on a worker is the same computation as one evaluated in the report's own process.
import type { Generator } from '../pipeline/generator';
import type { SamplerOptions } from '../sampler';
import { EvalContext } from './context';
import { evaluateRow, type RowOutput } from './rows';
import type { RowKey, ZooIndex } from './zoo-index';

/** Everything a row's result depends on besides the zoo and the generator bundle. */
export interface RowJobSettings {
  seed: number;
  /** Networks generated per instruction. */
  n: number;
  trainLimit: number | null;
  testLimit: number | null;
  supportShots: number;
  supportSeed: number;
  /** null: the bundle's own sampler options. */
  sampler: SamplerOptions | null;
  guidance: number | null;
  /** Fine-tuning epoch counts from the generated networks, and from random inits. */
  finetuneEpochs: number[];
  randomEpochs: number[];
  paraphrases: number;
}

/** Which row: its group, task id and architecture label (unique in a zoo). */
export interface RowRef {
  group: RowKey['group'];
  task: string;
  architecture: string;
}

export const rowRef = (r: RowKey): RowRef => ({ group: r.group, task: r.task.id, architecture: r.architecture.label });

/** Progress ticks runEvaluation counts for a row (evaluateRow's own, plus one for a held-out-seed row). */
export const rowTicks = (r: RowKey) => (r.group === 'heldOutSeed' ? 2 : 6);

/** The evaluation context of a zoo and a bundle for these settings. Dispose it (not the zoo or the generator). */
export function openEvalContext(zoo: ZooIndex, g: Generator, s: RowJobSettings): EvalContext {
  zoo.useCanonicalizer(g.canon);
  return new EvalContext(zoo, g.vq, g.tokenizer, g.prior, g.canon, {
    seed: s.seed, n: s.n, trainLimit: s.trainLimit ?? undefined, testLimit: s.testLimit ?? undefined, supportShots: s.supportShots, supportSeed: s.supportSeed,
    sampler: s.sampler ?? g.sampler, guidance: s.guidance ?? undefined,
  });
}

/** The zoo's row `ref`, or an error naming the rows it has. */
export function findRow(zoo: ZooIndex, ref: RowRef): RowKey {
  const rows = zoo.rows();
  const row = rows.find((r) => r.group === ref.group && r.task.id === ref.task && r.architecture.label === ref.architecture);
  if (!row) throw new Error(`the zoo has no ${ref.group} row for task "${ref.task}" on "${ref.architecture}" (it has: ${rows.map((r) => `${r.group} ${r.task.id} [${r.architecture.label}]`).join(', ')})`);
  return row;
}

/** Evaluate one row of a report (evaluateRow with the settings' row options; paraphrases avoid every zoo instruction). */
export function evaluateRowJob(ctx: EvalContext, row: RowKey, s: RowJobSettings, tick: (what: string) => void = () => undefined): Promise<RowOutput> {
  const knownInstructions = [...new Set(ctx.zoo.entries.flatMap((e) => e.task.instructions))];
  return evaluateRow(ctx, row, { finetuneEpochs: s.finetuneEpochs, randomEpochs: s.randomEpochs, paraphrases: s.paraphrases, knownInstructions, tick });
}
