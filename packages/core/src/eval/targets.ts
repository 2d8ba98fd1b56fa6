import type { EvalResults, RowResult, Target } from './results';
import { median } from './stats';

/** Thresholds of the targets (IGPG paper claims, scaled to this project's zoo). */
export const TARGETS = {
  /** Seen tasks: generated (no training) mean accuracy >= this fraction of the pretrained median. */
  seenRatio: 0.97,
  /** Held-out tasks: generated (no training) mean accuracy >= this multiple of chance. */
  heldOutChanceMultiple: 2,
  /** Held-out tasks: after 1 epoch, (generated - random) / random >= this. */
  heldOutFinetuneGain: 0.5,
  /** Memorization: median relative nearest-checkpoint distance must exceed this margin. */
  memorizationMargin: 0.05,
} as const;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const list = (rows: string[]) => (rows.length > 6 ? `${rows.slice(0, 6).join('; ')}; … (${rows.length} rows)` : rows.join('; '));

/** Check the report's targets from its rows. `met` is null (with the reason in `value`) when nothing could be checked. */
export function checkTargets(results: Pick<EvalResults, 'rows'>, reproduced: { same: boolean } | null): Target[] {
  const seen = results.rows.filter((r) => r.group === 'seen' && r.generated);
  const held = results.rows.filter((r) => r.group === 'heldOutTask' && r.generated);
  const targets: Target[] = [];
  const per = (rows: RowResult[], ok: (r: RowResult) => boolean, show: (r: RowResult) => string): Pick<Target, 'met' | 'value'> =>
    rows.length ? { met: rows.every(ok), value: `${rows.filter(ok).length}/${rows.length} rows: ${list(rows.map((r) => `${r.task} [${r.architecture.label}] ${show(r)}`))}` } : { met: null, value: 'no rows of this group in the zoo' };

  targets.push({
    name: 'seen-no-training',
    description: `seen tasks: generated accuracy with no training (mean of n) >= ${TARGETS.seenRatio * 100}% of the pretrained median`,
    ...per(seen, (r) => r.generated!.mean >= TARGETS.seenRatio * r.pretrained.median, (r) => `${pct(r.generated!.mean)} vs ${pct(r.pretrained.median)} (ratio ${(r.generated!.mean / r.pretrained.median).toFixed(3)})`),
  });
  targets.push({
    name: 'held-out-no-training',
    description: `held-out tasks: generated accuracy with no training (mean of n) >= ${TARGETS.heldOutChanceMultiple}x chance (capped at 100%: for 2 classes this asks for 100%)`,
    ...per(held, (r) => r.generated!.mean >= Math.min(1, TARGETS.heldOutChanceMultiple * r.chance), (r) => `${pct(r.generated!.mean)} vs chance ${pct(r.chance)}`),
  });
  const gain = (r: RowResult) => {
    const g = r.generatedFinetuned?.['1']?.mean, b = r.randomFinetuned?.['1']?.mean;
    return g === undefined || b === undefined ? NaN : (g - b) / b;
  };
  targets.push({
    name: 'held-out-one-epoch',
    description: `held-out tasks: after 1 fine-tuning epoch, generated start >= ${TARGETS.heldOutFinetuneGain * 100}% relative improvement over random init after 1 epoch`,
    ...per(held.filter((r) => r.generatedFinetuned?.['1']), (r) => gain(r) >= TARGETS.heldOutFinetuneGain, (r) => `${pct(r.generatedFinetuned!['1'].mean)} vs ${pct(r.randomFinetuned!['1'].mean)} (gain ${(100 * gain(r)).toFixed(1)}%)`),
  });
  const mem = results.rows.filter((r) => r.memorization);
  const rel = median(mem.flatMap((r) => r.memorization!.nearest.map((n) => n.relative)));
  targets.push({
    name: 'memorization-distance',
    description: `memorization: median relative distance of generated networks to their nearest training checkpoint > ${TARGETS.memorizationMargin}`,
    ...(mem.length ? { met: rel > TARGETS.memorizationMargin, value: `median relative nearest distance ${rel.toFixed(3)} over ${mem.reduce((a, r) => a + r.memorization!.nearest.length, 0)} generated networks` } : { met: null, value: 'no generated networks to audit' }),
  });
  targets.push({
    name: 'memorization-beats-noise',
    description: 'memorization: generated networks beat noise-added copies of their nearest checkpoint at the same distance (mean accuracy, per row)',
    ...per(mem, (r) => r.memorization!.generatedMean > r.memorization!.noisyMean, (r) => `${pct(r.memorization!.generatedMean)} vs ${pct(r.memorization!.noisyMean)}`),
  });
  targets.push({
    name: 'reproducible',
    description: 'reproducible: the same command and seed give the same results (resultsHash equal to the previous run in the same folder)',
    ...(reproduced ? { met: reproduced.same, value: reproduced.same ? 'same results hash as the previous run' : 'results differ from the previous run with the same command and seed' } : { met: null, value: 'not checked: no previous run with the same command, seed and inputs in this folder (run the same command again to check)' }),
  });
  return targets;
}
