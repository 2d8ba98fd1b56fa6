import * as path from 'node:path';
import type { Command } from 'commander';
import { functionalCheck, trainPriorStage, trainTokenizerStage, writeGeneratorConfig, type InstructionEncoderSpec, type TrainingLoopResult } from '@igpg/core';
import { UsageError } from '../errors';
import { MAX_PARAMS_FLAG, parseIntArg, parseIntListArg, readJsonArg } from '../options';
import { action, emit, note, startBackend } from '../runtime';
import { checkPriorTrainFlags, checkTokenizerTrainFlags } from '../checks/commands';
import { registerVqvaeUsage } from './vqvae-usage';

interface StageConfigFile {
  tokenizer?: Record<string, unknown>;
  vqvae?: Record<string, unknown>;
  prior?: Record<string, unknown>;
  priorTrain?: Record<string, unknown>;
  supportK?: number;
  /** Train the prior on the first this many training seeds of each task and architecture (default: all). */
  seedsPerTask?: number;
  /** Default sampling options written into the generator bundle's config.json. */
  sampler?: Record<string, unknown>;
  /** Instruction encoder of the prior, e.g. { "kind": "concepts" } (default: hashed n-grams). */
  instructionEncoder?: InstructionEncoderSpec;
}

const CONFIG_KEYS = ['tokenizer', 'vqvae', 'prior', 'priorTrain', 'supportK', 'seedsPerTask', 'sampler', 'instructionEncoder'];

/** Read a pipeline config file ({ tokenizer, vqvae, prior, priorTrain, supportK }); each section is validated by its stage. */
export function readStageConfig(file?: string): StageConfigFile {
  if (!file) return {};
  const cfg = readJsonArg<StageConfigFile>('--config', file);
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new UsageError(`--config ${file}: must be a JSON object with sections ${CONFIG_KEYS.join(', ')}.`);
  const unknown = Object.keys(cfg).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length) throw new UsageError(`--config ${file}: unknown section "${unknown[0]}" (allowed: ${CONFIG_KEYS.join(', ')}).`);
  return cfg;
}

/** A config section with --steps and --seed applied on top. */
function withOverrides(section: Record<string, unknown> | undefined, opts: { steps?: number; seed?: number }): Record<string, unknown> {
  return { ...section, ...(opts.steps !== undefined && { steps: opts.steps }), ...(opts.seed !== undefined && { seed: opts.seed }) };
}

/** "<what> trained on N networks: step S (resumed from R), loss=... \nsaved to <out>" */
function trainedLine(what: string, networks: number, r: TrainingLoopResult, out: string): string {
  const metrics = Object.entries(r.last).map(([k, v]) => `${k}=${+v.toPrecision(4)}`).join(' ');
  return `${what} trained on ${networks} networks: step ${r.steps}${r.resumed ? ` (resumed from ${r.startStep})` : ''}${metrics ? `, ${metrics}` : ''}` + `\nsaved to ${out}`;
}

/** The old spelling of `igpg vqvae train`, kept for one release: it warns, then runs the same command. */
const DEPRECATED_VQVAE = 'igpg: `igpg tokenizer train` is deprecated and goes in the next release; use `igpg vqvae train` (same flags)\n';

/** The flags every training command takes after --config: --steps, --seed, --no-resume, --max-params. */
function withRunFlags(cmd: Command): Command {
  return cmd
    .option('--steps <n>', 'training steps (overrides the config)', parseIntArg('--steps', 0))
    .option('--seed <n>', 'seed (overrides the config)', parseIntArg('--seed', 0))
    .option('--no-resume', 'start over: move an existing <out> aside to <out>.old-<time> (never deleted) instead of resuming')
    .option(...MAX_PARAMS_FLAG, parseIntArg('--max-params', 1));
}

export function registerTrain(program: Command): void {
  // "tokenizer" is the chunker in code (tokenizer.ts); the command trains the VQ-VAE (and fits the chunker on the way)
  const vqvae = program.command('vqvae').description('the VQ-VAE that turns weight chunks into codes');
  vqvaeTrain(vqvae, false);
  registerVqvaeUsage(vqvae);
  vqvaeTrain(program.command('tokenizer', { hidden: true }).description('deprecated: use `igpg vqvae`'), true);
  registerPriorTrain(program);
}

function vqvaeTrain(parent: Command, deprecated: boolean): void {
  withRunFlags(parent
    .command('train')
    .description(`${deprecated ? 'deprecated spelling of `igpg vqvae train`: ' : ''}fit the chunker (tokenizer) on a zoo and train the VQ-VAE; a killed run resumes from its last checkpoint`)
    .requiredOption('--zoo <dir>', 'zoo folder (from `igpg zoo build`)')
    .requiredOption('--out <dir>', 'checkpoint folder')
    .option('--config <file>', 'pipeline config JSON with "tokenizer" and "vqvae" sections'))
    .option('--check', 'then rebuild every zoo network from its own codes and compare test accuracies (the functional check)')
    .option('--check-seeds <list>', 'with --check: only the zoo networks of these seeds, e.g. 0,1,10,11 (default: all)', parseIntListArg('--check-seeds'))
    .option('--check-limit <n>', 'with --check: score on the first n test images of each task (default: the whole test split)', parseIntArg('--check-limit', 1))
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { zoo: string; out: string; config?: string; steps?: number; seed?: number; resume: boolean; maxParams?: number; check?: boolean; checkSeeds?: number[]; checkLimit?: number; json?: boolean }, cmd: Command) => {
      if (deprecated) process.stderr.write(DEPRECATED_VQVAE);
      if ((opts.checkSeeds || opts.checkLimit) && !opts.check) throw new UsageError('--check-seeds and --check-limit refine --check; add --check.');
      const cfg = readStageConfig(opts.config);
      const vqvae = withOverrides(cfg.vqvae, opts);
      note(checkTokenizerTrainFlags(opts, cfg, vqvae)); // every flag and config section, before any work
      await startBackend(cmd);
      const r = await trainTokenizerStage({ zoo: opts.zoo, out: opts.out, tokenizer: cfg.tokenizer, vqvae, resume: opts.resume });
      let check: Omit<Awaited<ReturnType<typeof functionalCheck>>, 'rows'> | undefined;
      try {
        if (opts.check) {
          process.stderr.write('igpg: functional check: rebuilding every zoo network from its codes\n');
          const seeds = opts.checkSeeds && new Set(opts.checkSeeds);
          const { rows, ...summary } = await functionalCheck(opts.zoo, r.vq, r.tokenizer, { limit: opts.checkLimit, entries: seeds ? (e) => seeds.has(e.seed) : undefined, canon: r.canon });
          check = { ...summary, networks: rows.length } as typeof check;
        }
      } finally {
        r.vq.dispose();
      }
      emit(opts.json, { out: opts.out, networks: r.networks, ...r.result, functionalCheck: check }, () =>
        trainedLine('VQ-VAE', r.networks, r.result, opts.out) +
        (check ? `\nfunctional check: ${(100 * check.fractionWithin).toFixed(1)}% of networks within ${check.within} points of their original accuracy (mean drop ${check.meanDrop.toFixed(2)}, median ${check.medianDrop.toFixed(2)} points)` : ''));
    }));
}

function registerPriorTrain(program: Command): void {
  withRunFlags(program
    .command('prior')
    .description('the conditional autoregressive prior (GPT over codes)')
    .command('train')
    .description('encode a zoo with a VQ-VAE and train the prior; a killed run resumes from its last checkpoint')
    .requiredOption('--zoo <dir>', 'zoo folder (from `igpg zoo build`)')
    .requiredOption('--vqvae <dir>', 'VQ-VAE folder (from `igpg vqvae train`)')
    .requiredOption('--out <dir>', 'checkpoint folder')
    .option('--config <file>', 'pipeline config JSON with "prior", "priorTrain" and "supportK" sections'))
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { zoo: string; vqvae: string; out: string; config?: string; steps?: number; seed?: number; resume: boolean; maxParams?: number; json?: boolean }, cmd: Command) => {
      const cfg = readStageConfig(opts.config);
      const train = withOverrides(cfg.priorTrain, opts);
      note(checkPriorTrainFlags(opts, cfg, train)); // every flag and config section, before any work
      await startBackend(cmd);
      const r = await trainPriorStage({ zoo: opts.zoo, vqvae: opts.vqvae, out: opts.out, prior: cfg.prior, instructionEncoder: cfg.instructionEncoder, train, supportK: cfg.supportK, seedsPerTask: cfg.seedsPerTask, resume: opts.resume });
      r.prior.dispose();
      r.vq.dispose();
      // <dir>/vqvae + <dir>/prior is a generator bundle: index it so `igpg generate --generator <dir>` loads it
      const bundle = path.dirname(path.resolve(opts.out));
      const indexed = path.resolve(bundle, 'vqvae') === path.resolve(opts.vqvae) ? writeGeneratorConfig(bundle, { sampler: cfg.sampler }) && bundle : null;
      emit(opts.json, { out: opts.out, examples: r.examples, ...r.result, bundle: indexed }, () =>
        trainedLine('prior', r.examples, r.result, opts.out) + (indexed ? `\ngenerator bundle: ${path.relative(process.cwd(), indexed) || '.'}/config.json` : ''));
    }));
}
