import {
  checkParamBudget, priorConfigSchema, priorTrainConfigSchema, tokenizerConfigSchema, trainVqvaeConfigSchema, validate,
  type PriorConfig, type TokenizerConfig, type TrainVqvaeConfig,
} from '@igpg/core';
import { UsageError } from '../errors';

// The pipeline config's sections are validated here, before the zoo is read or the backend started: a bad
// `dModel` or `lr` used to surface only after 8-41 s of loading (issue #16). The stages validate again.

type Section = Record<string, unknown> | undefined;

function check<T>(flag: string, schema: object, value: unknown, what: string): T {
  try {
    return validate<T>(schema, value, what);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** Parameters of the VQ-VAE a config asks for: encoder and decoder MLPs and the codebook (an estimate). */
function vqvaeParams(m: TrainVqvaeConfig['model'] & Record<string, number | number[]>): number {
  const K = m.chunkSize as number, L = m.codesPerChunk as number, D = m.codeDim as number, C = m.codebookSize as number;
  const widths = [K, ...(m.hidden as number[]), L * D];
  let p = 0;
  for (let i = 1; i < widths.length; i++) p += 2 * (widths[i - 1] * widths[i] + widths[i]); // encoder + mirrored decoder
  return p + C * D * L; // one codebook per residual level at most
}

/** Parameters of the prior a config asks for: GPT blocks, embeddings, condition encoders (an estimate). */
function priorParams(c: Required<PriorConfig>, vocab = 1024): number {
  const d = c.dModel;
  const blocks = c.nLayers * (12 * d * d + 13 * d);
  const embeddings = (2 * vocab + c.contextLength) * d;
  const conditions = (c.instructionBuckets + c.architectureBuckets + c.datasetInputDim) * c.condDim + 3 * c.condDim * d;
  return blocks + embeddings + conditions;
}

/** Validate the tokenizer stage's sections (tokenizer, vqvae with --steps/--seed applied) and bound the model size. */
export function checkTokenizerSections(flag: string, tokenizer: Section, vqvae: Section, maxParams?: number): void {
  const tok = check<TokenizerConfig>(flag, tokenizerConfigSchema, tokenizer ?? {}, 'tokenizer config');
  const model = (vqvae?.model ?? {}) as Record<string, unknown>;
  const cfg = check<TrainVqvaeConfig>(flag, trainVqvaeConfigSchema, { ...vqvae, model: { chunkSize: tok.chunkSize, ...model } }, 'VQ-VAE training config');
  checkParamBudget(`${flag}: VQ-VAE`, vqvaeParams(cfg.model as never), { limit: maxParams, raise: '--max-params' });
}

/** Validate the prior stage's sections (prior, priorTrain with --steps/--seed applied, supportK) and bound the model size. */
export function checkPriorSections(flag: string, prior: Section, train: Section, supportK: unknown, maxParams?: number): void {
  // codebook size, codes per chunk and chunk size come from the VQ-VAE at training time; placeholders here
  const cfg = check<Required<PriorConfig>>(flag, priorConfigSchema, { codebookSize: 2, codesPerChunk: 1, chunkSize: 1, ...prior }, 'prior config');
  if (cfg.dModel % cfg.nHeads !== 0) throw new UsageError(`${flag}: invalid prior config: dModel ${cfg.dModel} must be divisible by nHeads ${cfg.nHeads}.`);
  check(flag, priorTrainConfigSchema, { steps: 1000, ...train }, 'prior training config');
  if (supportK !== undefined && !(Number.isInteger(supportK) && (supportK as number) >= 0 && (supportK as number) <= 1000)) {
    throw new UsageError(`${flag}: "supportK" must be an integer from 0 to 1000, got ${JSON.stringify(supportK)}.`);
  }
  checkParamBudget(`${flag}: prior`, priorParams(cfg), { limit: maxParams, raise: '--max-params' });
}
