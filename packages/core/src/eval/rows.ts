import { getArchitecture } from '../sdk/architecture';
import { assignWeights } from '../sdk/weights';
import { rank } from '../generate';
import type { EvalContext } from './context';
import { cutBaseline } from './cut';
import { finetune } from './finetune';
import { l2Distance, medianPairwiseDistance, nearestCheckpoint, noiseAtDistance } from './memorization';
import { heldOutParaphrases } from './paraphrases';
import type { AccStat, Baselines, MemorizationResult, RetrievalResult, RowResult, Spread } from './results';
import { max, mean, median, min, spearman } from './stats';
import { ZooIndex, type RowKey } from './zoo-index';

export const accStat = (samples: number[]): AccStat => ({ mean: mean(samples), best: max(samples), samples });
const spread = (xs: number[]): Spread => ({ median: median(xs), min: min(xs), max: max(xs), n: xs.length });
export const rowLabel = (r: { task: { id: string } | string; architecture: { label: string } }) => `${typeof r.task === 'string' ? r.task : r.task.id} [${r.architecture.label}]`;

interface RowOptions {
  /** Epoch counts reported for fine-tuning from the generated networks... */
  finetuneEpochs: number[];
  /** ...and from seeded random inits (the transfer target compares generated +1 with random +5). */
  randomEpochs: number[];
  paraphrases: number;
  /** Every instruction in the manifest (paraphrases must avoid them). */
  knownInstructions: string[];
  tick: (what: string) => void;
}

/** What a row leaves for the cross-row sections (conditioning matrix). */
export interface RowOutput {
  result: RowResult;
  generated: Float32Array[] | null;
}

/** Fine-tune n networks (given weights, or fresh seeded inits when `weights` is null) for each epoch count. */
async function finetuned(ctx: EvalContext, row: RowKey, weights: Float32Array[] | null, epochs: number[]): Promise<Record<string, AccStat>> {
  const { train, test } = await ctx.split(row.task);
  const arch = getArchitecture(row.architecture.name);
  const per: Record<string, number[]> = Object.fromEntries(epochs.map((e) => [String(e), []]));
  for (let i = 0; i < ctx.opts.n; i++) {
    const net = arch.build(row.architecture.spec, ctx.seedFor(`random-init/${rowLabel(row)}/${i}`));
    try {
      if (weights) assignWeights(net, weights[i]);
      // the same batch order for generated and random starts: only the starting point differs
      const acc = await finetune(net, train, test, row.finals[0].optimizer, epochs, `${ctx.opts.seed}/${rowLabel(row)}/${i}`);
      for (const e of epochs) per[String(e)].push(acc[e]);
    } finally {
      net.dispose();
    }
  }
  return Object.fromEntries(Object.entries(per).map(([e, xs]) => [e, accStat(xs)]));
}

/**
 * Memorization audit and baselines of generated networks against the prior's training checkpoints of the same
 * layout, all in the canonical space (unaligned distances are inflated by permutations). The baselines: the nearest
 * checkpoint itself, and the nearest checkpoint plus Gaussian noise at the generated network's distance.
 */
async function memorization(ctx: EvalContext, row: RowKey, weights: Float32Array[], codes: Int32Array[]): Promise<{ memorization: MemorizationResult; nearestMean: number } | null> {
  const refs = ctx.zoo.trainingCheckpoints(row.specHash);
  if (!refs.length) return null;
  const flats = refs.map((e) => ctx.zoo.canonical(e));
  let typical = ctx.zoo.typicalDistance(row);
  if (!Number.isFinite(typical)) typical = medianPairwiseDistance(ctx.zoo.finals().filter((e) => ZooIndex.specHash(e) === row.specHash).map((e) => ctx.zoo.canonical(e)));
  if (!(typical > 0)) return null; // fewer than two zoo networks of this layout: no typical distance to compare with
  const codeKeys = new Set(refs.map((e) => ctx.zoo.codesOf(e, ctx.codec).join(',')));
  const arch = { name: row.architecture.name, spec: row.architecture.spec };
  const nearest: MemorizationResult['nearest'] = [];
  const floors: number[] = [], nearestAccs: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const { index, distance } = nearestCheckpoint(weights[i], flats);
    const ref = refs[index];
    const noisy = noiseAtDistance(flats[index], distance, `${ctx.opts.seed}/${rowLabel(row)}/${i}`);
    floors.push(l2Distance(ctx.zoo.reconstruction(ref, ctx.codec), flats[index]) / typical);
    nearestAccs.push(await ctx.accuracy(arch, flats[index], row.task));
    nearest.push({
      checkpoint: ref.id, distance, relative: distance / typical, exactCopy: codeKeys.has(codes[i].join(',')),
      generatedAccuracy: await ctx.accuracy(arch, weights[i], row.task), noisyAccuracy: await ctx.accuracy(arch, noisy, row.task),
    });
  }
  return {
    memorization: {
      typicalDistance: typical, nearest, medianRelative: median(nearest.map((x) => x.relative)), copyFloor: median(floors),
      exactCopies: nearest.filter((x) => x.exactCopy).length, generatedMean: mean(nearest.map((x) => x.generatedAccuracy)), noisyMean: mean(nearest.map((x) => x.noisyAccuracy)),
    },
    nearestMean: mean(nearestAccs),
  };
}

/** The mean of the row's training networks (final epochs) in the canonical space, as one network; null with < 2. */
async function alignedMeanAccuracy(ctx: EvalContext, row: RowKey): Promise<number | null> {
  const flats = row.finals.map((e) => ctx.zoo.canonical(e));
  if (flats.length < 2) return null;
  const m = new Float32Array(flats[0].length);
  for (const f of flats) for (let j = 0; j < m.length; j++) m[j] += f[j] / flats.length;
  return ctx.accuracy({ name: row.architecture.name, spec: row.architecture.spec }, m, row.task);
}

/** Retrieval: rank this row's checkpoints (all seeds and epochs) by prior likelihood; is the top one good? */
function retrieval(ctx: EvalContext, row: RowKey, instruction: string): RetrievalResult {
  const architecture = { name: row.architecture.name, spec: row.architecture.spec };
  const base = { prior: ctx.prior, tokenizer: ctx.tokenizer, vqvae: ctx.vq, canon: ctx.canon, instruction, architecture };
  const cands = row.all;
  const ranked = rank(cands.map((e) => ({ id: e.id, codes: ctx.zoo.codesOf(e, ctx.codec) })), base);
  const accOf = new Map(cands.map((e) => [e.id, e.test.accuracy]));
  const accs = cands.map((e) => e.test.accuracy);
  const ll = new Map(ranked.map((r) => [r.id, r.logLikelihood]));
  const rho = spearman(cands.map((e) => ll.get(e.id)!), accs);
  // task identification: same-layout final checkpoints of every task
  const pool = ctx.zoo.finals().filter((e) => ZooIndex.specHash(e) === row.specHash);
  let taskMatch: boolean | null = null;
  if (new Set(pool.map((e) => e.task.id)).size > 1) {
    const top = rank(pool.map((e) => ({ id: e.id, codes: ctx.zoo.codesOf(e, ctx.codec) })), base)[0];
    taskMatch = pool.find((e) => e.id === top.id)!.task.id === row.task.id;
  }
  return { instruction, candidates: cands.length, top1: { id: ranked[0].id, accuracy: accOf.get(ranked[0].id)! }, best: max(accs), median: median(accs), spearman: Number.isFinite(rho) ? rho : null, taskMatch };
}

/** Evaluate one report row: every per-task column. */
export async function evaluateRow(ctx: EvalContext, row: RowKey, o: RowOptions): Promise<RowOutput> {
  const arch = { name: row.architecture.name, spec: row.architecture.spec };
  const label = rowLabel(row);
  const pre: number[] = [], rec: number[] = [];
  for (const e of row.finals) {
    pre.push(await ctx.accuracy(arch, ctx.zoo.flat(e), row.task));
    rec.push(await ctx.accuracy(arch, ctx.zoo.reconstruction(e, ctx.codec), row.task));
  }
  o.tick(`${label}: pretrained + reconstruction`);
  const result: RowResult = {
    group: row.group, task: row.task.id, dataset: row.task.dataset, classes: row.task.classes, chance: 1 / row.task.classes.length,
    architecture: { name: row.architecture.name, label: row.architecture.label }, instruction: null,
    pretrained: spread(pre), reconstruction: spread(rec), generated: null, generatedFinetuned: null, randomFinetuned: null, cut: null,
    memorization: null, baselines: null, referenceRelative: null, paraphrases: null, emptyInstruction: null, retrieval: null,
  };
  if (row.group === 'heldOutSeed') {
    // Independently trained networks the prior never saw: how far they sit from the training checkpoints.
    const refs = ctx.zoo.trainingCheckpoints(row.specHash).map((e) => ctx.zoo.canonical(e));
    const typical = ctx.zoo.typicalDistance(row);
    if (refs.length && Number.isFinite(typical)) result.referenceRelative = median(row.finals.map((e) => nearestCheckpoint(ctx.zoo.canonical(e), refs).distance / typical));
    result.note = 'held-out seeds: generation does not depend on the seed (see the seen-task row); pretrained and reconstruction use the held-out-seed networks only';
    return { result, generated: null };
  }
  const instruction = row.task.instructions[0];
  result.instruction = instruction;
  const gen = await ctx.generate(instruction, arch, row.task, label);
  const accs: number[] = [];
  for (const w of gen.weights) accs.push(await ctx.accuracy(arch, w, row.task));
  result.generated = accStat(accs);
  if (row.group === 'heldOutTask') result.cut = await cutBaseline(ctx, row);
  o.tick(`${label}: generated`);
  result.generatedFinetuned = await finetuned(ctx, row, gen.weights, o.finetuneEpochs);
  result.randomFinetuned = await finetuned(ctx, row, null, o.randomEpochs);
  o.tick(`${label}: fine-tuning`);
  const audit = await memorization(ctx, row, gen.weights, gen.codes);
  result.memorization = audit?.memorization ?? null;
  if (audit) result.baselines = { noisy: audit.memorization.noisyMean, alignedMean: row.group === 'seen' ? await alignedMeanAccuracy(ctx, row) : null, nearest: audit.nearestMean } satisfies Baselines;
  if (!result.memorization) result.note = 'memorization audit skipped: fewer than two zoo networks of this weight layout (no typical distance) or no training checkpoints of it';
  o.tick(`${label}: memorization`);
  result.paraphrases = [];
  for (const [j, p] of heldOutParaphrases(row.task, o.knownInstructions, o.paraphrases).entries()) {
    const g = await ctx.generate(p, arch, row.task, `${label}/paraphrase/${j}`);
    const a: number[] = [];
    for (const w of g.weights) a.push(await ctx.accuracy(arch, w, row.task));
    result.paraphrases.push({ instruction: p, mean: mean(a), best: max(a) });
  }
  if (await ctx.supportSet(row.task)) {
    // the support images alone say which classes are meant (issue #11): the same generation with no instruction
    const g = await ctx.generate('', arch, row.task, `${label}/empty-instruction`);
    const a: number[] = [];
    for (const w of g.weights) a.push(await ctx.accuracy(arch, w, row.task));
    result.emptyInstruction = accStat(a);
  }
  o.tick(`${label}: paraphrases`);
  result.retrieval = retrieval(ctx, row, instruction);
  o.tick(`${label}: retrieval`);
  return { result, generated: gen.weights };
}
