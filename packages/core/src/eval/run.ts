import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sha256, readJson, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { validate } from '../util/config';
import { createProgress } from '../util/progress';
import { currentBackend } from '../backend/init';
import { stableHash } from '../zoo/config';
import { loadGenerator, type Generator } from '../pipeline/generator';
import type { SamplerOptions } from '../sampler';
import type { EvalContext } from './context';
import { reportFigures, type PlotFigure } from './figures';
import { renderMarkdown } from './markdown';
import { copyVerdict } from './memorization';
import { rowLabel, type RowOutput } from './rows';
import { evaluateRowJob, openEvalContext, rowTicks, type RowJobSettings } from './row-job';
import { evaluateRowsOnQueue, type QueueEvalOptions } from './queue/coordinator';
import { parseQueueUrl } from '../queue/url';
import { evalResultsSchema, type EvalResults } from './results';
import { conditioningMatrix, crossArchitecture, defaultVariants, type ArchitectureVariant } from './sections';
import { median } from './stats';
import { checkTargets, TARGETS } from './targets';
import { ZooIndex, type RowKey } from './zoo-index';

export interface RunEvaluationOptions {
  /** Zoo folder (manifest.json) and generator bundle folder (config.json, vqvae/, prior/). */
  zoo: string;
  generator: string;
  /** Output folder for results.json, REPORT.md and plots/ (default 'report/'). */
  out?: string;
  seed?: number;
  /** Networks generated per instruction (n; default 5, quick 2). */
  samples?: number;
  /** Fine-tuning epoch counts reported from the generated networks (default [1, 5], quick [1]). */
  finetuneEpochs?: number[];
  /** Fine-tuning epoch counts reported from seeded random inits (default [1, 3, 5], quick too: the transfer target needs 5). */
  randomEpochs?: number[];
  /** Only these task ids (default: every task of the zoo). */
  tasks?: string[];
  /** Small and fast (tests): <= 2 seen rows + 1 of each held-out group, n = 2, 1 epoch on <= 256 samples, 1 paraphrase, 1 variant. */
  quick?: boolean;
  /** Train/test samples per task (default: the zoo config's trainLimit/testLimit; quick caps both at 256). */
  trainLimit?: number;
  testLimit?: number;
  /** Held-out paraphrases per task (default 3, quick 1). */
  paraphrases?: number;
  /**
   * Dataset condition: k samples per class of each task. Default: what the prior was trained with (supportK and
   * train.seed in <prior>/stage.json, written by the prior stage); 0 without a stage.json.
   */
  supportShots?: number;
  sampler?: SamplerOptions;
  guidance?: number;
  /** Held-out architecture variants (default: 1.5x wider / one layer deeper than each zoo architecture). */
  variants?: ArchitectureVariant[];
  /** The command line written into the report (default: process.argv). */
  command?: string;
  /** false: no progress output. */
  progress?: boolean;
  /**
   * Evaluate the rows (with their fine-tuning) on `igpg worker` processes through this queue instead of here; the
   * report is the same as a local run's on the same backend. The cross-row sections still run here.
   */
  queue?: QueueEvalOptions;
  /** Render figures to PNG (pass @igpg/kernel-plugin's renderPng); without it the report has no PNGs (noted). */
  renderPng?: (figures: Record<string, PlotFigure>, outDir: string) => Promise<string[]>;
}

function requireInput(dir: string, file: string, what: string): void {
  if (!fs.existsSync(path.join(dir, file))) {
    throw new Error(`${what} not found: ${path.join(dir, file)} is missing. Build it first (the whole pipeline: \`npm run demo\` / \`igpg demo\`; or the step that makes it: \`igpg zoo build\`, \`igpg vqvae train\`, \`igpg prior train\`).`);
  }
}

const digest = (file: string) => (fs.existsSync(file) ? sha256(fs.readFileSync(file)) : 'missing');

/** The rows to evaluate: every row of the requested tasks; quick keeps 2 seen rows and 1 of each held-out group. */
function pickRows(zoo: ZooIndex, tasks: string[] | undefined, quick: boolean): RowKey[] {
  let rows = zoo.rows();
  if (tasks?.length) {
    const known = [...new Set(rows.map((r) => r.task.id))];
    const bad = tasks.filter((t) => !known.includes(t));
    if (bad.length) throw new Error(`unknown task${bad.length > 1 ? 's' : ''} ${bad.map((t) => `"${t}"`).join(', ')}; the zoo has: ${known.join(', ')}`);
    rows = rows.filter((r) => tasks.includes(r.task.id));
  }
  if (quick) rows = [...rows.filter((r) => r.group === 'seen').slice(0, 2), ...rows.filter((r) => r.group === 'heldOutSeed').slice(0, 1), ...rows.filter((r) => r.group === 'heldOutTask').slice(0, 1)];
  return rows;
}

/**
 * Evaluate a zoo + generator bundle and write `<out>/results.json` and `<out>/REPORT.md` (atomic), with PNG plots when
 * a renderer is given. Deterministic in `seed` for a given backend. Needs the zoo's architectures and datasets registered.
 * @example const res = await runEvaluation({ zoo: 'zoo/default', generator: 'runs/default', seed: 0 });
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvalResults> {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const quick = options.quick ?? false;
  const out = options.out ?? 'report/';
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`runEvaluation: seed must be an integer >= 0, got ${seed}`);
  const n = options.samples ?? (quick ? 2 : 5);
  if (!Number.isInteger(n) || n < 1) throw new Error(`runEvaluation: samples must be a positive integer, got ${n}`);
  const epochList = (name: string, given: number[] | undefined, fallback: number[]) => {
    const list = [...new Set(given ?? fallback)].sort((a, b) => a - b);
    if (!list.length || list.some((e) => !Number.isInteger(e) || e < 1)) throw new Error(`runEvaluation: ${name} must be positive integers, got [${list.join(', ')}]`);
    return list;
  };
  const finetuneEpochs = epochList('finetuneEpochs', options.finetuneEpochs, quick ? [1] : [1, 5]);
  const randomEpochs = epochList('randomEpochs', options.randomEpochs, [1, 3, 5]);
  requireInput(options.zoo, 'manifest.json', 'zoo');
  requireInput(options.generator, 'config.json', 'generator bundle');
  const priorDir = path.join(options.generator, 'prior');

  const zoo = new ZooIndex(options.zoo);
  const cap = (v: number | undefined) => (quick ? Math.min(v ?? 256, 256) : v);
  const trainLimit = options.trainLimit ?? cap(zoo.config.trainLimit);
  const testLimit = options.testLimit ?? cap(zoo.config.testLimit);
  const paraphrases = options.paraphrases ?? (quick ? 1 : 3);
  const rows = pickRows(zoo, options.tasks, quick);
  const notes: string[] = [];
  const stageFile = path.join(priorDir, 'stage.json');
  const stage = fs.existsSync(stageFile) ? readJson<{ supportK?: number; train?: { seed?: number } }>(stageFile) : null;
  const supportShots = options.supportShots ?? stage?.supportK ?? 0;
  const supportSeed = stage?.train?.seed ?? 1;
  if (options.supportShots === undefined && !stage) notes.push(`${stageFile} not found: generating without a dataset condition (pass supportShots to match how the prior was trained)`);
  const normalized = { quick, samples: n, finetuneEpochs, randomEpochs, tasks: options.tasks ?? null, trainLimit: trainLimit ?? null, testLimit: testLimit ?? null, paraphrases, supportShots, supportSeed, sampler: options.sampler ?? null, guidance: options.guidance ?? null, variants: options.variants ?? null };
  const digests = { zoo: digest(path.join(options.zoo, 'manifest.json')), generator: digest(path.join(options.generator, 'config.json')) };

  let g: Generator | undefined;
  const ctx = { current: undefined as EvalContext | undefined };
  const genRows = rows.filter((r) => r.group !== 'heldOutSeed');
  const variantTargets = (() => {
    const picks: { key: RowKey; variant: ArchitectureVariant }[] = [];
    const labels = [...new Set(genRows.map((r) => r.architecture.label))];
    for (const label of labels) {
      const mine = genRows.filter((r) => r.architecture.label === label);
      const variants = options.variants ?? defaultVariants(mine[0].architecture);
      if (!variants.length) notes.push(`cross-architecture: no default variant rule for "${mine[0].architecture.name}" (no hidden/channels/width/dim widths in its spec); pass variants to test one`);
      for (const v of variants) for (const key of mine.slice(0, quick ? 1 : 2)) picks.push({ key, variant: v });
    }
    return quick ? picks.slice(0, 1) : picks;
  })();
  const progress = createProgress({ label: 'eval', total: genRows.length * 6 + (rows.length - genRows.length) * 2 + 2, silent: options.progress === false });
  let done = 0;
  const tick = (what: string) => progress.update(++done, { last: what });
  try {
    g = await loadGenerator(options.generator);
    const settings: RowJobSettings = { seed, n, trainLimit: trainLimit ?? null, testLimit: testLimit ?? null, supportShots, supportSeed, sampler: options.sampler ?? null, guidance: options.guidance ?? null, finetuneEpochs, randomEpochs, paraphrases };
    ctx.current = openEvalContext(zoo, g, settings);
    const c = ctx.current;
    const rowOut: ({ key: RowKey } & RowOutput)[] = [];
    if (options.queue) {
      // every row on `igpg worker` processes (the same row function, see row-job.ts); ticks as rows come in
      const info = currentBackend();
      const backend = { name: info?.name ?? tf.getBackend(), native: info?.native ?? null };
      const outs = await evaluateRowsOnQueue({ zooDir: options.zoo, generatorDir: options.generator, rows, settings, backend, onRow: (key) => { for (let i = rowTicks(key); i > 0; i--) tick(`${rowLabel(key)}: done`); } }, options.queue);
      rows.forEach((key, i) => rowOut.push({ key, ...outs[i] }));
      notes.push(`rows evaluated by igpg worker processes through the queue at ${parseQueueUrl(options.queue.url).display}`);
    } else {
      for (const key of rows) {
        const r = await evaluateRowJob(c, key, settings, tick);
        if (key.group === 'heldOutSeed') tick(`${rowLabel(key)}: done`);
        rowOut.push({ key, ...r });
      }
    }
    const conditioning = await conditioningMatrix(c, rowOut.filter((r) => r.generated).map((r) => ({ key: r.key, generated: r.generated! })));
    tick('conditioning');
    const cross = await crossArchitecture(c, variantTargets);
    tick('cross-architecture');

    const mem = rowOut.map((r) => r.result.memorization).filter((m) => m !== null);
    const rel = mem.flatMap((m) => m!.nearest.map((x) => x.relative));
    const verdict = copyVerdict(rel, mem.reduce((a, m) => a + m!.exactCopies, 0), median(mem.map((m) => m!.copyFloor)), TARGETS.memorizationMargin).sentence;
    const refRel = rowOut.map((r) => r.result.referenceRelative).filter((v): v is number => v !== null);
    const memorizationVerdict = refRel.length ? `${verdict} For reference, independently trained networks of held-out seeds sit at median relative distance ${median(refRel).toFixed(3)} from their nearest training checkpoint.` : verdict;

    const body = { rows: rowOut.map((r) => r.result), conditioning, crossArchitecture: cross, memorizationVerdict };
    const resultsHash = stableHash(body);
    // a report written by code with other result fields differs by construction: only the same schema is a rerun
    const schemaHash = stableHash(evalResultsSchema);
    const reproKey = stableHash({ seed, normalized, digests, schemaHash });
    let reproduced: EvalResults['meta']['reproduced'] = null;
    const prevFile = path.join(out, 'results.json');
    if (fs.existsSync(prevFile)) {
      try {
        const prev = readJson<EvalResults>(prevFile);
        if (stableHash({ seed: prev.meta.seed, normalized: prev.meta.options, digests: prev.meta.inputs.digests, schemaHash: prev.meta.schemaHash }) === reproKey) {
          reproduced = { previousHash: prev.meta.resultsHash, same: prev.meta.resultsHash === resultsHash };
        }
      } catch {
        notes.push(`${prevFile}: previous results unreadable; reproducibility not checked against it`);
      }
    }
    const info = currentBackend();
    const results: EvalResults = {
      format: 'igpg-eval', version: 1,
      meta: {
        command: options.command ?? process.argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' '), seed, options: normalized,
        inputs: { zoo: options.zoo, generator: options.generator, digests },
        machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}`, node: process.versions.node },
        backend: info ? `${info.name} (${info.threads} thread${info.threads > 1 ? 's' : ''}${info.native ? `, ${info.native}` : ''})` : tf.getBackend(),
        startedAt, wallSeconds: 0, resultsHash, schemaHash, reproduced, plots: [], notes,
      },
      ...body,
      targets: checkTargets(body, reproduced),
    };
    if (options.renderPng) {
      try {
        const files = await options.renderPng(reportFigures(results), path.join(out, 'plots'));
        results.meta.plots = files.map((f) => path.relative(out, f).split(path.sep).join('/'));
      } catch (e) {
        notes.push(`PNG plots skipped: ${(e as Error).message.split('\n')[0]}`);
      }
    } else notes.push('PNG plots skipped: no renderer given (the CLI and scripts/eval.mjs pass renderPng from @igpg/kernel-plugin, which needs Chromium)');
    results.meta.wallSeconds = (Date.now() - t0) / 1000;
    validate(evalResultsSchema, JSON.parse(JSON.stringify(results)), 'evaluation results');
    writeJsonAtomic(path.join(out, 'results.json'), results);
    writeFileAtomic(path.join(out, 'REPORT.md'), renderMarkdown(results));
    return results;
  } finally {
    progress.stop();
    ctx.current?.dispose();
    g?.dispose();
  }
}

