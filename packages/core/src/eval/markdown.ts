import type { EvalResults, RowResult, AccStat } from './results';
import type { RowGroup } from './zoo-index';
import { mdTable } from '../util/markdown';

const p = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : (100 * v).toFixed(1));
const mb = (s: AccStat | null | undefined) => (s ? `${p(s.mean)} / ${p(s.best)}` : 'n/a');
const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
const table = mdTable; // the results hash (run.ts) covers the results, not this text: the layout may change freely

const GROUPS: [RowGroup, string][] = [['seen', 'Seen tasks'], ['heldOutSeed', 'Held-out seeds'], ['heldOutTask', 'Held-out tasks']];

function mainTable(rows: RowResult[], genEpochs: string[], randomEpochs: string[]): string {
  const cut = rows.some((r) => r.cut);
  const head = ['task', 'arch', 'chance', 'pretrained median (min–max)', 'VQ-VAE recon median', 'generated mean / best',
    'noise-added copy', 'aligned-zoo mean', 'nearest checkpoint', ...(cut ? ['cut: best (median) of n seen'] : []),
    ...genEpochs.map((e) => `gen +${e} ep mean / best`), ...randomEpochs.map((e) => `random +${e} ep mean / best`)];
  return table(head, rows.map((r) => [r.task, r.architecture.label, p(r.chance), `${p(r.pretrained.median)} (${p(r.pretrained.min)}–${p(r.pretrained.max)})`,
    p(r.reconstruction?.median), mb(r.generated), p(r.baselines?.noisy), p(r.baselines?.alignedMean), p(r.baselines?.nearest),
    ...(cut ? [r.cut ? `${p(r.cut.best)} (${p(r.cut.median)}) of ${r.cut.candidates}` : 'n/a'] : []),
    ...genEpochs.map((e) => mb(r.generatedFinetuned?.[e])), ...randomEpochs.map((e) => mb(r.randomFinetuned?.[e]))]));
}

/** REPORT.md from the results (accuracies in %). */
export function renderMarkdown(res: EvalResults): string {
  const m = res.meta;
  const keys = (pick: (r: RowResult) => Record<string, AccStat> | null) => [...new Set(res.rows.flatMap((r) => Object.keys(pick(r) ?? {})))].sort((a, b) => +a - +b);
  const [genEpochs, randomEpochs] = [keys((r) => r.generatedFinetuned), keys((r) => r.randomFinetuned)];
  const out: string[] = [];
  out.push('# IGPG evaluation report', '');
  out.push(`- command: \`${m.command}\``, `- seed: ${m.seed}`, `- machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGiB} GiB, ${m.machine.platform}, Node ${m.machine.node}`,
    `- backend: ${m.backend}`, `- wall time: ${m.wallSeconds.toFixed(1)} s (started ${m.startedAt})`,
    `- inputs: zoo \`${m.inputs.zoo}\`, generator bundle \`${m.inputs.generator}\``,
    `- options: \`${JSON.stringify(m.options)}\``, `- results hash: \`${m.resultsHash}\``, '');
  out.push('All accuracies are test accuracies in %, on the same test split for every column of a row. "mean / best" are over the n generated (or random) networks. Baselines (mean over the n generated networks): noise-added copy = the generated network\'s nearest training checkpoint plus Gaussian noise at the same distance; aligned-zoo mean = the mean of the row\'s training networks in the canonical space, as one network; nearest checkpoint = that nearest training checkpoint itself. Distances are taken in the canonical (aligned) space. Cut (held-out tasks): every seen network (training task and seed, final epoch) whose classes contain the task\'s, with only the task\'s output rows kept, scored on the row\'s test split; "best" is the best of them on that split (an upper bound on what one could pick), "n" how many there were.', '');
  out.push('## Verdict on memorization', '', res.memorizationVerdict, '');
  out.push('## Targets', '', table(['target', 'met', 'measured'], res.targets.map((t) => [t.description, t.met === null ? 'not checked' : t.met ? 'MET' : 'NOT MET', t.value])), '');
  for (const [g, title] of GROUPS) {
    const rows = res.rows.filter((r) => r.group === g);
    if (!rows.length) continue;
    out.push(`## ${title}`, '', mainTable(rows, genEpochs, randomEpochs), '');
    for (const r of rows) if (r.note) out.push(`- ${r.task} [${r.architecture.label}]: ${r.note}`);
    if (g === 'heldOutSeed') out.push('', table(['task', 'arch', 'relative distance of independently trained networks to the nearest training checkpoint'], rows.map((r) => [r.task, r.architecture.label, f3(r.referenceRelative)])));
    out.push('');
  }
  const mem = res.rows.filter((r) => r.memorization);
  if (mem.length) {
    out.push('## Memorization audit', '', 'Distance = L2 of flat weights, in the canonical (aligned) space, to the nearest training checkpoint of the same architecture; relative = divided by the median pairwise distance of the zoo networks of that task and architecture. Noised copy = that checkpoint plus Gaussian noise of exactly the same L2 norm. Copy floor = relative distance of a checkpoint rebuilt from its own codes.', '');
    out.push(table(['task', 'arch', 'typical distance', 'median relative nearest', 'copy floor', 'exact code copies', 'generated acc', 'noised-copy acc'],
      mem.map((r) => { const x = r.memorization!; return [r.task, r.architecture.label, f3(x.typicalDistance), f3(x.medianRelative), f3(x.copyFloor), `${x.exactCopies}/${x.nearest.length}`, p(x.generatedMean), p(x.noisyMean)]; })), '');
  }
  const c = res.conditioning;
  out.push('## Conditioning fidelity', '', 'Row: instruction the networks were generated for; column: test data they are evaluated on (mean accuracy, %). "–": different weight layout, not comparable.', '');
  out.push(table(['instruction \\ data', ...c.labels], c.matrix.map((line, i) => [c.labels[i], ...line.map((v) => (v === null ? '–' : p(v)))])), '');
  out.push(`Diagonal mean ${p(c.diagonalMean)}, off-diagonal mean ${p(c.offDiagonalMean)}; the matching instruction scores best on ${c.diagonalBest === null ? 'n/a' : `${(100 * c.diagonalBest).toFixed(0)}%`} of the comparable test sets.${c.note ? ` ${c.note}.` : ''}`, '');
  const para = res.rows.filter((r) => r.paraphrases?.length || r.emptyInstruction);
  if (para.length) {
    out.push('## Paraphrase robustness', '', 'Instructions reworded by hand, none of them in the zoo manifest, and no instruction at all (the task\'s support images alone); mean / best accuracy of n networks.', '');
    const lines = (r: RowResult) => [...(r.paraphrases ?? []).map((q) => [q.instruction, `${p(q.mean)} / ${p(q.best)}`]), ...(r.emptyInstruction ? [['(empty: support images only)', mb(r.emptyInstruction)]] : [])];
    out.push(table(['task', 'arch', 'manifest instruction', 'paraphrase', 'paraphrase mean / best'], para.flatMap((r) => lines(r).map(([q, v], i) => [i ? '' : r.task, i ? '' : r.architecture.label, i ? '' : `${r.instruction}: ${mb(r.generated)}`, q, v]))), '');
  }
  out.push('## Cross-architecture (variants held out of the zoo)', '');
  if (!res.crossArchitecture.length) out.push('No variants evaluated.', '');
  else out.push(table(['variant', 'task', 'supported', 'chance', 'generated mean / best', 'random init mean / best', 'reason'],
    res.crossArchitecture.map((x) => [`${x.architecture.label} ${JSON.stringify(x.architecture.spec)}`, x.task, x.supported ? 'yes' : 'NO', p(x.chance), mb(x.generated), mb(x.randomInit), x.reason ?? ''])), '');
  const ret = res.rows.filter((r) => r.retrieval);
  if (ret.length) {
    out.push('## Retrieval (ranking zoo checkpoints by prior likelihood)', '', 'Candidates: every checkpoint (all seeds and epochs) of the task and architecture; accuracy = the zoo\'s test accuracy. Task match: among same-layout final checkpoints of all tasks, the most likely one is from this task.', '');
    out.push(table(['task', 'arch', 'candidates', 'top-1 acc', 'best', 'median', 'Spearman(loglik, acc)', 'task match'],
      ret.map((r) => { const x = r.retrieval!; return [r.task, r.architecture.label, String(x.candidates), p(x.top1.accuracy), p(x.best), p(x.median), f3(x.spearman), x.taskMatch === null ? 'n/a' : x.taskMatch ? 'yes' : 'no']; })), '');
  }
  if (m.plots.length) out.push('## Plots', '', ...m.plots.map((f) => `![${f}](${f})`), '');
  if (m.notes.length) out.push('## Notes', '', ...m.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
