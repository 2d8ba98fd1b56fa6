import type { EvalResults, RowResult, Target } from './results';
import { mean, median } from './stats';

/** Thresholds of the targets (IGPG paper claims, scaled to this project's zoo). */
export const TARGETS = {
  /** Seen tasks: generated (no training) mean accuracy >= this fraction of the pretrained median... */
  seenRatio: 0.95,
  /** ...on at least this fraction of the seen rows. */
  seenRows: 0.9,
  /** Seen tasks: the best of n >= the pretrained median on at least this fraction of rows. */
  bestRows: 0.5,
  /** Generated mean beats the noise-added copies and the aligned-zoo mean on at least this fraction of rows. */
  baselineRows: 0.8,
  /** Not copies: generated median relative nearest distance >= this fraction of the held-out seeds'. */
  noveltyFraction: 0.5,
  /** Retrieval: median over rows of Spearman(prior log-likelihood, accuracy) >= this. */
  retrievalSpearman: 0.5,
  /** Cross-architecture: generated mean >= this multiple of chance (capped at 100%)... */
  crossChanceMultiple: 2,
  /** ...on at least this fraction of the variants. */
  crossRows: 0.5,
  /** Held-out tasks: generated (no training) mean accuracy >= this multiple of chance. */
  heldOutChanceMultiple: 2,
  /** Held-out tasks: after 1 epoch, (generated - random) / random >= this. */
  heldOutFinetuneGain: 0.5,
  /** Held-out tasks (issue #11): generated (no training) mean >= this fraction of the pretrained median... */
  heldOutRatio: 0.8,
  /** ...on at least this fraction of the held-out rows. */
  heldOutRows: 0.8,
  /** Held-out tasks: generated mean above the cut baseline (eval/cut.ts) on at least this fraction of rows. */
  cutRows: 0.7,
  /** Transfer: generated + `transferEpochs[0]` epochs >= random init + `transferEpochs[1]` epochs... */
  transferEpochs: [1, 5],
  /** ...on at least this fraction of the held-out rows. */
  transferRows: 0.8,
  /** Memorization: median relative nearest-checkpoint distance must exceed this margin. */
  memorizationMargin: 0.05,
  /** Conditioning fidelity (issue #11): the matching instruction scores best on at least this fraction of test sets... */
  conditioningBest: 0.9,
  /** ...and the diagonal mean is at least this far (accuracy, 0-1) above the off-diagonal mean. */
  conditioningGap: 0.3,
  /** Paraphrases: reworded instructions lose at most this much accuracy (0-1) on average against the manifest wording. */
  paraphraseDrop: 0.03,
  /** An empty instruction (support images alone) loses at most this much on average. */
  emptyInstructionDrop: 0.05,
} as const;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const list = (rows: string[]) => (rows.length > 6 ? `${rows.slice(0, 6).join('; ')}; … (${rows.length} rows)` : rows.join('; '));

/** Check the report's targets from its rows. `met` is null (with the reason in `value`) when nothing could be checked. */
export function checkTargets(results: Pick<EvalResults, 'rows'> & Partial<Pick<EvalResults, 'crossArchitecture' | 'conditioning'>>, reproduced: { same: boolean } | null): Target[] {
  const seen = results.rows.filter((r) => r.group === 'seen' && r.generated);
  const held = results.rows.filter((r) => r.group === 'heldOutTask' && r.generated);
  const targets: Target[] = [];
  const per = (rows: RowResult[], ok: (r: RowResult) => boolean, show: (r: RowResult) => string): Pick<Target, 'met' | 'value'> =>
    rows.length ? { met: rows.every(ok), value: `${rows.filter(ok).length}/${rows.length} rows: ${list(rows.map((r) => `${r.task} [${r.architecture.label}] ${show(r)}`))}` } : { met: null, value: 'no rows of this group in the zoo' };

  const share = (rows: RowResult[], ok: (r: RowResult) => boolean, need: number, show: (r: RowResult) => string): Pick<Target, 'met' | 'value'> =>
    rows.length ? { met: rows.filter(ok).length >= need * rows.length, value: `${rows.filter(ok).length}/${rows.length} rows (need ${Math.ceil(need * rows.length)}): ${list(rows.map((r) => `${r.task} [${r.architecture.label}] ${show(r)}`))}` } : { met: null, value: 'no rows of this group in the zoo' };
  const ratio = (r: RowResult) => r.generated!.mean / r.pretrained.median;
  targets.push({
    name: 'seen-no-training',
    description: `seen tasks: generated accuracy with no training (mean of n) >= ${TARGETS.seenRatio * 100}% of the pretrained median on >= ${TARGETS.seenRows * 100}% of rows`,
    ...share(seen, (r) => ratio(r) >= TARGETS.seenRatio, TARGETS.seenRows, (r) => `${pct(r.generated!.mean)} vs ${pct(r.pretrained.median)} (ratio ${ratio(r).toFixed(3)})`),
  });
  targets.push({
    name: 'seen-best-of-n',
    description: `seen tasks: the best of the n generated networks >= the pretrained median on >= ${TARGETS.bestRows * 100}% of rows`,
    ...share(seen, (r) => r.generated!.best >= r.pretrained.median, TARGETS.bestRows, (r) => `${pct(r.generated!.best)} vs ${pct(r.pretrained.median)}`),
  });
  const withBase = seen.filter((r) => r.baselines);
  const beats = (r: RowResult) => r.generated!.mean > r.baselines!.noisy && (r.baselines!.alignedMean === null || r.generated!.mean > r.baselines!.alignedMean);
  targets.push({
    name: 'beats-baselines',
    description: `seen tasks: generated mean accuracy above both the noise-added copies (same distance) and the aligned-zoo mean on >= ${TARGETS.baselineRows * 100}% of rows`,
    ...share(withBase, beats, TARGETS.baselineRows, (r) => `${pct(r.generated!.mean)} vs noisy ${pct(r.baselines!.noisy)}, aligned mean ${r.baselines!.alignedMean === null ? 'n/a' : pct(r.baselines!.alignedMean)}`),
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
  targets.push(...heldOutTargets(held, share));
  targets.push(...conditioningTargets(results.rows.filter((r) => r.generated), results.conditioning));
  const mem = results.rows.filter((r) => r.memorization);
  const rel = median(mem.flatMap((r) => r.memorization!.nearest.map((n) => n.relative)));
  const copies = mem.reduce((a, r) => a + r.memorization!.exactCopies, 0);
  const novel = median(results.rows.map((r) => r.referenceRelative).filter((v): v is number => v !== null));
  targets.push({
    name: 'not-copies',
    description: `not copies: in the canonical space, the generated networks' median relative nearest-checkpoint distance >= ${TARGETS.noveltyFraction * 100}% of that of independently trained held-out seeds, and no exact code copies`,
    ...(mem.length && Number.isFinite(novel)
      ? { met: rel >= TARGETS.noveltyFraction * novel && copies === 0, value: `generated ${rel.toFixed(3)} vs held-out seeds ${novel.toFixed(3)} (ratio ${(rel / novel).toFixed(2)}); ${copies} exact code copies of ${mem.reduce((a, r) => a + r.memorization!.nearest.length, 0)} generated networks` }
      : { met: null, value: mem.length ? 'no held-out seeds in the zoo to compare with' : 'no generated networks to audit' }),
  });
  const rho = results.rows.map((r) => r.retrieval?.spearman).filter((v): v is number => typeof v === 'number');
  targets.push({
    name: 'retrieval',
    description: `retrieval: median over rows of Spearman(prior log-likelihood, zoo accuracy) >= ${TARGETS.retrievalSpearman}`,
    ...(rho.length ? { met: median(rho) >= TARGETS.retrievalSpearman, value: `median ${median(rho).toFixed(3)} over ${rho.length} rows (${rho.map((v) => v.toFixed(2)).join(', ')})` } : { met: null, value: 'no retrieval rows' }),
  });
  const cross = (results.crossArchitecture ?? []).filter((x) => x.supported && x.generated);
  const crossOk = (x: (typeof cross)[number]) => x.generated!.mean >= Math.min(1, TARGETS.crossChanceMultiple * x.chance);
  targets.push({
    name: 'cross-architecture',
    description: `cross-architecture: generated mean >= ${TARGETS.crossChanceMultiple}x chance (capped at 100%) on >= ${TARGETS.crossRows * 100}% of the held-out width/depth variants`,
    ...(cross.length ? { met: cross.filter(crossOk).length >= TARGETS.crossRows * cross.length, value: `${cross.filter(crossOk).length}/${cross.length} variants: ${list(cross.map((x) => `${x.architecture.label} on ${x.task} ${pct(x.generated!.mean)} (chance ${pct(x.chance)})`))}` } : { met: null, value: 'no supported variants evaluated' }),
  });
  targets.push({
    name: 'reproducible',
    description: 'reproducible: the same command and seed give the same results (resultsHash equal to the previous run in the same folder)',
    ...(reproduced ? { met: reproduced.same, value: reproduced.same ? 'same results hash as the previous run' : 'results differ from the previous run with the same command and seed' } : { met: null, value: 'not checked: no previous run with the same command, seed and inputs in this folder (run the same command again to check)' }),
  });
  return targets;
}

type Share = (rows: RowResult[], ok: (r: RowResult) => boolean, need: number, show: (r: RowResult) => string) => Pick<Target, 'met' | 'value'>;

/** Issue #11's targets on held-out class subsets: against the pretrained median, against the cut, and transfer. */
function heldOutTargets(held: RowResult[], share: Share): Target[] {
  const ratio = (r: RowResult) => r.generated!.mean / r.pretrained.median;
  const withCut = held.filter((r) => r.cut);
  const noCut = held.length - withCut.length;
  const [ge, re] = TARGETS.transferEpochs.map(String);
  const both = held.filter((r) => r.generatedFinetuned?.[ge] && r.randomFinetuned?.[re]);
  const transfer = (r: RowResult) => r.generatedFinetuned![ge].mean >= r.randomFinetuned![re].mean;
  const missing = (rows: RowResult[], why: string) => (rows.length ? null : { met: null, value: held.length ? why : 'no rows of this group in the zoo' });
  return [
    {
      name: 'held-out-vs-pretrained',
      description: `held-out tasks: generated accuracy with no training (mean of n) >= ${TARGETS.heldOutRatio * 100}% of the pretrained median on >= ${TARGETS.heldOutRows * 100}% of rows`,
      ...share(held, (r) => ratio(r) >= TARGETS.heldOutRatio, TARGETS.heldOutRows, (r) => `${pct(r.generated!.mean)} vs ${pct(r.pretrained.median)} (ratio ${ratio(r).toFixed(3)})`),
    },
    {
      name: 'held-out-beats-cut',
      description: `held-out tasks: generated mean above the cut baseline (the best seen network whose classes contain the task's, only their output rows kept) on >= ${TARGETS.cutRows * 100}% of rows that have one`,
      ...(missing(withCut, 'no held-out row has a seen network with a superset of its classes') ?? (() => {
        const m = share(withCut, (r) => r.generated!.mean > r.cut!.best, TARGETS.cutRows, (r) => `${pct(r.generated!.mean)} vs cut ${pct(r.cut!.best)} (${r.cut!.from})`);
        return noCut ? { ...m, value: `${m.value}; ${noCut} row${noCut > 1 ? 's' : ''} without a cut left out` } : m;
      })()),
    },
    {
      name: 'held-out-transfer',
      description: `transfer: on held-out tasks, generated + ${ge} epoch >= random init + ${re} epochs (mean of n) on >= ${TARGETS.transferRows * 100}% of rows`,
      ...(missing(both, `not run: needs generated +${ge} and random +${re} epochs (finetuneEpochs / randomEpochs)`)
        ?? share(both, transfer, TARGETS.transferRows, (r) => `${pct(r.generatedFinetuned![ge].mean)} vs ${pct(r.randomFinetuned![re].mean)}`)),
    },
  ];
}

/** Issue #11's conditioning targets: the cross-task matrix, reworded instructions, and the support images alone. */
function conditioningTargets(rows: RowResult[], c: EvalResults['conditioning'] | undefined): Target[] {
  const points = (v: number) => `${(100 * v).toFixed(1)} points`;
  const drops = rows.flatMap((r) => (r.paraphrases ?? []).map((q) => r.generated!.mean - q.mean));
  const empty = rows.filter((r) => r.emptyInstruction);
  const emptyDrop = mean(empty.map((r) => r.generated!.mean - r.emptyInstruction!.mean));
  const gap = c && c.diagonalMean !== null && c.offDiagonalMean !== null ? c.diagonalMean - c.offDiagonalMean : null;
  return [
    {
      name: 'conditioning-fidelity',
      description: `conditioning: in the cross-task matrix the matching instruction scores best on >= ${TARGETS.conditioningBest * 100}% of comparable test sets, and the diagonal mean is >= ${TARGETS.conditioningGap * 100} points above the off-diagonal mean`,
      ...(c && c.diagonalBest !== null && gap !== null
        ? { met: c.diagonalBest >= TARGETS.conditioningBest && gap >= TARGETS.conditioningGap, value: `best on ${pct(c.diagonalBest)} of comparable test sets; diagonal ${pct(c.diagonalMean!)} vs off-diagonal ${pct(c.offDiagonalMean!)} (gap ${points(gap)})` }
        : { met: null, value: c?.note ?? 'no comparable rows in the conditioning matrix' }),
    },
    {
      name: 'paraphrases',
      description: `paraphrases: reworded instructions (none in the zoo) within ${TARGETS.paraphraseDrop * 100} points of the manifest wording, on average over the eval's paraphrase set`,
      ...(drops.length ? { met: mean(drops) <= TARGETS.paraphraseDrop, value: `average drop ${points(mean(drops))} over ${drops.length} paraphrases of ${rows.filter((r) => r.paraphrases?.length).length} rows` } : { met: null, value: 'no paraphrases evaluated' }),
    },
    {
      name: 'empty-instruction',
      description: `empty instruction: generated from the support images alone within ${TARGETS.emptyInstructionDrop * 100} points of the manifest wording, on average over rows`,
      ...(empty.length ? { met: emptyDrop <= TARGETS.emptyInstructionDrop, value: `average drop ${points(emptyDrop)} over ${empty.length} rows` } : { met: null, value: 'not run: the prior has no dataset condition (supportShots 0)' }),
    },
  ];
}
