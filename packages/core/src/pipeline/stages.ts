import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic';
import { fitTokenizer, type Tokenizer, type TokenizerConfig } from '../tokenizer';
import { loadVqvae, saveVqvae } from '../vqvae/io';
import { tokenizerHash, type Vqvae } from '../vqvae/model';
import { trainVqvae, type TrainVqvaeConfig } from '../vqvae/train';
import { Prior, type PriorConfig } from '../prior/prior';
import { entrySupportSeed } from '../zoo/splits';
import { createInstructionEncoder, type InstructionEncoderSpec } from '../encoders/registry';
import { savePrior } from '../prior/checkpoint';
import { priorExamples, type NetworkRecord } from '../prior/examples';
import { trainPrior, type PriorTrainConfig } from '../prior/train';
import type { TrainingLoopResult } from '../train/loop';
import type { ProgressOptions } from '../util/progress';
import type { SupportSet } from '../encoders/dataset';
import type { ZooEntry } from '../zoo/manifest';
import { isTrainingEntry, lastEpochs, loadZooNetworks, taskSupportSet, type ZooNetwork } from './zoo-networks';
import { Canonicalizer, fitCanonicalizer } from '../canon/canonicalizer';
import { codecSpace } from '../codec';
import { networkImportance, type ImportanceOptions } from '../vqvae/importance';
import { createProgress } from '../util/progress';

// The two training stages of IGPG, from a zoo folder to checkpoint folders:
//   tokenizer stage: zoo -> canonicalizer (alignment reference) + fitted tokenizer + VQ-VAE, all on the aligned zoo
//                    (<out>/canon.json, canon.safetensors, permutations.json, vqvae.json, vqvae.safetensors; training state in <out>/run/)
//   prior stage:     zoo + VQ-VAE -> conditional prior  (<out>/checkpoint.json, weights; training state in <out>/run/)
// Each stage saves the options it ran with as <out>/stage.json, and resumes from <out>/run/ after a kill.

export interface TokenizerStageOptions {
  zoo: string;
  out: string;
  tokenizer?: Partial<TokenizerConfig>;
  vqvae?: Partial<TrainVqvaeConfig>;
  /** Zoo entries to learn from (default: all but held-out tasks and seeds). */
  filter?: (e: ZooEntry) => boolean;
  /** Align-then-average rounds of the canonicalizer's reference (default 3). */
  canonRounds?: number;
  resume?: boolean;
  progress?: Partial<ProgressOptions> | false;
}

/**
 * Fit the tokenizer on a zoo and train the VQ-VAE; saves the pair to `out`.
 * @example const { vq, tokenizer } = await trainTokenizerStage({ zoo: 'zoo/default', out: 'runs/default/vqvae', vqvae: { steps: 2000 } });
 */
export async function trainTokenizerStage(opts: TokenizerStageOptions): Promise<{ vq: Vqvae; tokenizer: Tokenizer; canon: Canonicalizer; result: TrainingLoopResult; networks: number }> {
  const raw = loadZooNetworks(opts.zoo, opts.filter);
  // the alignment reference comes from each network's final checkpoint; every checkpoint is then aligned to it
  const finals = new Set(lastEpochs(raw.map((n) => n.entry)));
  const { canon } = fitCanonicalizer(raw.filter((n) => finals.has(n.entry)).map(toCanon), { rounds: opts.canonRounds });
  const networks = alignNetworks(canon, raw);
  canon.save(opts.out);
  writeJsonAtomic(path.join(opts.out, 'permutations.json'), Object.fromEntries(networks.map((n) => [n.entry.id, n.perms])));
  // the codec quantizes aligned weights minus the reference (canon.center): fit and train on exactly that
  const centered = networks.map((n) => ({ ...n, flat: codecSpace(canon, n.entry.architecture, n.flat, { aligned: true }) }));
  const tokenizer = fitTokenizer(centered, opts.tokenizer);
  // a function-weighted reconstruction: each weight's importance on its task's data (the Fisher is permutation-
  // equivariant, so computing it on the aligned network gives it in the canonical space directly)
  const importance = opts.vqvae?.importance ? await zooImportance(networks, opts.vqvae.importance, opts.progress) : undefined;
  if (importance) centered.forEach((n, i) => Object.assign(n, { importance: importance[i] }));
  writeJsonAtomic(path.join(opts.out, 'stage.json'), { stage: 'tokenizer', zoo: opts.zoo, tokenizer: opts.tokenizer ?? {}, vqvae: opts.vqvae ?? {}, networks: networks.length });
  const { vq, result } = await trainVqvae({
    dir: path.join(opts.out, 'run'), tokenizer, networks: centered, config: opts.vqvae ?? {}, resume: opts.resume, progress: opts.progress,
  });
  saveVqvae(opts.out, vq, tokenizer);
  return { vq, tokenizer, canon, result, networks: networks.length };
}

async function zooImportance(networks: ZooNetwork[], options: Partial<ImportanceOptions>, progress: TokenizerStageOptions['progress']): Promise<Float32Array[]> {
  const bar = createProgress({ ...(progress === false ? { silent: true } : progress), label: 'importance', total: networks.length });
  try {
    return await networkImportance(networks.map((n) => ({ architecture: n.entry.architecture, infos: n.infos, flat: n.flat, task: n.entry.task })), options, (done) => bar.update(done));
  } finally {
    bar.stop();
  }
}

const toCanon = (n: ZooNetwork) => ({ architecture: n.entry.architecture, flat: n.flat });

/** The networks of the first `k` seeds (lowest seed numbers) of each task and architecture; all when k is undefined. */
function firstSeeds(networks: ZooNetwork[], k: number | undefined): ZooNetwork[] {
  if (k === undefined) return networks;
  if (!Number.isInteger(k) || k < 1) throw new Error(`prior stage: seedsPerTask must be a positive integer, got ${k}`);
  const seeds = new Map<string, Set<number>>();
  for (const n of networks) {
    const key = `${n.entry.task.id}|${n.entry.architecture.label}`;
    if (!seeds.has(key)) seeds.set(key, new Set());
    seeds.get(key)!.add(n.entry.seed);
  }
  const keep = new Map([...seeds].map(([key, s]) => [key, new Set([...s].sort((a, b) => a - b).slice(0, k))]));
  return networks.filter((n) => keep.get(`${n.entry.task.id}|${n.entry.architecture.label}`)!.has(n.entry.seed));
}

/** Zoo networks permuted into the canonical space (function unchanged), with the permutation of each. */
function alignNetworks(canon: Canonicalizer, networks: ZooNetwork[]): (ZooNetwork & { perms: Record<string, number[]> })[] {
  return networks.map((n) => {
    const { flat, perms } = canon.align(n.entry.architecture, n.flat);
    return { ...n, flat, perms };
  });
}

export interface PriorStageOptions {
  zoo: string;
  /** Folder of the tokenizer stage. */
  vqvae: string;
  out: string;
  /** Prior model options; codebook size, codes per chunk, chunk size and tokenizer hash come from the VQ-VAE. */
  prior?: Partial<PriorConfig>;
  /** Instruction encoder, e.g. { kind: 'concepts' } (default: the prior's hashed n-grams). */
  instructionEncoder?: InstructionEncoderSpec;
  train?: Partial<PriorTrainConfig>;
  /** Samples per class in each task's dataset condition (paper: 5); 0 = no dataset condition. */
  supportK?: number;
  filter?: (e: ZooEntry) => boolean;
  /** Learn from each network's final checkpoint only (default true: generated networks should be trained ones). */
  lastEpochOnly?: boolean;
  /**
   * Learn from the first this many training seeds of each task and architecture (default: all). A prior of this
   * size fits a few hundred networks' codes closely; spread over thousands it fits none (measured: README).
   */
  seedsPerTask?: number;
  resume?: boolean;
  progress?: Partial<ProgressOptions> | false;
}

/**
 * Encode the zoo with the VQ-VAE and train the conditional prior on (instruction, dataset, architecture) -> codes.
 * @example const { prior } = await trainPriorStage({ zoo: 'zoo/default', vqvae: 'runs/default/vqvae', out: 'runs/default/prior', train: { steps: 3000 } });
 */
export async function trainPriorStage(opts: PriorStageOptions): Promise<{ prior: Prior; vq: Vqvae; tokenizer: Tokenizer; result: TrainingLoopResult; examples: number }> {
  const { vq, tokenizer } = loadVqvae(opts.vqvae);
  try {
    const canon = Canonicalizer.load(opts.vqvae);
    const networks = alignNetworks(canon, firstSeeds(loadZooNetworks(opts.zoo, opts.filter ?? isTrainingEntry, { lastEpochOnly: opts.lastEpochOnly ?? true }), opts.seedsPerTask));
    const k = opts.supportK ?? 5;
    const train = { steps: 1000, ...opts.train } as PriorTrainConfig;
    const supports = new Map<string, SupportSet>();
    const records: NetworkRecord[] = [];
    for (const n of networks) {
      records.push({
        architecture: { name: n.entry.architecture.name, spec: n.entry.architecture.spec },
        flat: n.flat,
        instructions: n.entry.task.instructions,
        dataset: k > 0 ? await taskSupportSet(n.entry.task, k, entrySupportSeed(n.entry, train.seed ?? 1), supports) : undefined, // the zoo's support seed where recorded
      });
    }
    const examples = priorExamples(records, { tokenizer, vq, canon }, { aligned: true });
    writeJsonAtomic(path.join(opts.out, 'stage.json'), { stage: 'prior', zoo: opts.zoo, vqvae: opts.vqvae, prior: opts.prior ?? {}, ...(opts.instructionEncoder && { instructionEncoder: opts.instructionEncoder }), train, supportK: k, seedsPerTask: opts.seedsPerTask ?? null, examples: examples.length });
    const prior = new Prior({
      ...opts.prior,
      codebookSize: vq.config.codebookSize,
      codesPerChunk: vq.config.codesPerChunk,
      chunkSize: tokenizer.chunkSize,
      tokenizerHash: tokenizerHash(tokenizer),
    }, { instructionEncoder: opts.instructionEncoder && createInstructionEncoder(opts.instructionEncoder, 'prior/instruction') });
    try {
      const result = await trainPrior({ prior, examples, dir: path.join(opts.out, 'run'), config: train, resume: opts.resume, progress: opts.progress });
      await savePrior(opts.out, prior, result.steps);
      return { prior, vq, tokenizer, result, examples: examples.length };
    } catch (e) {
      prior.dispose();
      throw e;
    }
  } catch (e) {
    vq.dispose();
    throw e;
  }
}
