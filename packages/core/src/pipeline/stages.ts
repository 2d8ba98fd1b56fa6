import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic';
import { fitTokenizer, type Tokenizer, type TokenizerConfig } from '../tokenizer';
import { loadVqvae, saveVqvae } from '../vqvae/io';
import { tokenizerHash, type Vqvae } from '../vqvae/model';
import { trainVqvae, type TrainVqvaeConfig } from '../vqvae/train';
import { Prior, type PriorConfig } from '../prior/prior';
import { savePrior } from '../prior/checkpoint';
import { priorExamples, type NetworkRecord } from '../prior/examples';
import { trainPrior, type PriorTrainConfig } from '../prior/train';
import type { TrainingLoopResult } from '../train/loop';
import type { ProgressOptions } from '../util/progress';
import type { SupportSet } from '../encoders/dataset';
import type { ZooEntry } from '../zoo/manifest';
import { isTrainingEntry, loadZooNetworks, taskSupportSet } from './zoo-networks';

// The two training stages of IGPG, from a zoo folder to checkpoint folders:
//   tokenizer stage: zoo -> fitted tokenizer + VQ-VAE   (<out>/vqvae.json, vqvae.safetensors; training state in <out>/run/)
//   prior stage:     zoo + VQ-VAE -> conditional prior  (<out>/checkpoint.json, weights; training state in <out>/run/)
// Each stage saves the options it ran with as <out>/stage.json, and resumes from <out>/run/ after a kill.

export interface TokenizerStageOptions {
  zoo: string;
  out: string;
  tokenizer?: Partial<TokenizerConfig>;
  vqvae?: Partial<TrainVqvaeConfig>;
  /** Zoo entries to learn from (default: all but held-out tasks and seeds). */
  filter?: (e: ZooEntry) => boolean;
  resume?: boolean;
  progress?: Partial<ProgressOptions> | false;
}

/**
 * Fit the tokenizer on a zoo and train the VQ-VAE; saves the pair to `out`.
 * @example const { vq, tokenizer } = await trainTokenizerStage({ zoo: 'zoo/default', out: 'runs/default/vqvae', vqvae: { steps: 2000 } });
 */
export async function trainTokenizerStage(opts: TokenizerStageOptions): Promise<{ vq: Vqvae; tokenizer: Tokenizer; result: TrainingLoopResult; networks: number }> {
  const networks = loadZooNetworks(opts.zoo, opts.filter);
  const tokenizer = fitTokenizer(networks, opts.tokenizer);
  writeJsonAtomic(path.join(opts.out, 'stage.json'), { stage: 'tokenizer', zoo: opts.zoo, tokenizer: opts.tokenizer ?? {}, vqvae: opts.vqvae ?? {}, networks: networks.length });
  const { vq, result } = await trainVqvae({
    dir: path.join(opts.out, 'run'), tokenizer, networks, config: opts.vqvae ?? {}, resume: opts.resume, progress: opts.progress,
  });
  saveVqvae(opts.out, vq, tokenizer);
  return { vq, tokenizer, result, networks: networks.length };
}

export interface PriorStageOptions {
  zoo: string;
  /** Folder of the tokenizer stage. */
  vqvae: string;
  out: string;
  /** Prior model options; codebook size, codes per chunk, chunk size and tokenizer hash come from the VQ-VAE. */
  prior?: Partial<PriorConfig>;
  train?: Partial<PriorTrainConfig>;
  /** Samples per class in each task's dataset condition (paper: 5); 0 = no dataset condition. */
  supportK?: number;
  filter?: (e: ZooEntry) => boolean;
  /** Learn from each network's final checkpoint only (default true: generated networks should be trained ones). */
  lastEpochOnly?: boolean;
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
    const networks = loadZooNetworks(opts.zoo, opts.filter ?? isTrainingEntry, { lastEpochOnly: opts.lastEpochOnly ?? true });
    const k = opts.supportK ?? 5;
    const train = { steps: 1000, ...opts.train } as PriorTrainConfig;
    const supports = new Map<string, SupportSet>();
    const records: NetworkRecord[] = [];
    for (const n of networks) {
      records.push({
        architecture: { name: n.entry.architecture.name, spec: n.entry.architecture.spec },
        flat: n.flat,
        instructions: n.entry.task.instructions,
        dataset: k > 0 ? await taskSupportSet(n.entry.task, k, train.seed ?? 1, supports) : undefined,
      });
    }
    const examples = priorExamples(records, tokenizer, vq);
    writeJsonAtomic(path.join(opts.out, 'stage.json'), { stage: 'prior', zoo: opts.zoo, vqvae: opts.vqvae, prior: opts.prior ?? {}, train, supportK: k, examples: examples.length });
    const prior = new Prior({
      ...opts.prior,
      codebookSize: vq.config.codebookSize,
      codesPerChunk: vq.config.codesPerChunk,
      chunkSize: tokenizer.chunkSize,
      tokenizerHash: tokenizerHash(tokenizer),
    });
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
