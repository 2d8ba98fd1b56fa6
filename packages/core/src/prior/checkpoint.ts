import * as path from 'node:path';
import { CheckpointMismatchError, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from '../train/checkpoint';
import type { InstructionEncoder } from '../encoders/instruction';
import { createInstructionEncoder } from '../encoders/registry';
import { Prior, type DecoderFactory, type PriorConfig } from './prior';

/** Version of the prior's own layout (variables, prefix, position features) inside the shared checkpoint format. */
const PRIOR_FORMAT_VERSION = 2; // 2: neuron-slot position features (encoders/architecture.ts)

/** What a prior checkpoint's config holds (trainPrior writes the same keys, plus `train`). */
interface PriorCheckpointConfig {
  prior: Required<PriorConfig>;
  priorFormat: number;
  instructionEncoder: string;
  /** Config of a non-default instruction encoder (rebuilt by its registered factory on load). */
  instructionEncoderConfig?: Record<string, unknown>;
  scope: string;
  [key: string]: unknown;
}

/** The checkpoint config of a prior (shared by savePrior and trainPrior). */
export function priorCheckpointConfig(prior: Prior): PriorCheckpointConfig {
  const enc = prior.instructionEncoder;
  // the default encoder's config is the prior's own (instructionBuckets, condDim, seed): saved as before
  const extra = enc.kind === 'hashed-ngrams' ? {} : { instructionEncoderConfig: enc.config() };
  return { prior: prior.config, priorFormat: PRIOR_FORMAT_VERSION, instructionEncoder: enc.kind, ...extra, scope: prior.scope };
}

/**
 * Save a prior (config + every variable) as a checkpoint directory (atomic; loadable by loadPrior).
 * @example await savePrior('runs/prior-final', prior);
 */
export async function savePrior(dir: string, prior: Prior, step = 0): Promise<void> {
  await saveCheckpoint(dir, { kind: 'prior', step, config: priorCheckpointConfig(prior), variables: prior.variables });
}

/**
 * Load a prior saved by savePrior or trainPrior. Clear errors for: no checkpoint, another kind, another checkpoint
 * or prior format version, or a custom instruction encoder that was not passed back in.
 * @example const prior = await loadPrior('runs/prior');
 */
export async function loadPrior(dir: string, options: { instructionEncoder?: InstructionEncoder; decoder?: DecoderFactory } = {}): Promise<Prior> {
  const meta = readCheckpointMeta(dir); // checks the checkpoint format version
  if (!meta) throw new Error(`${dir}: no prior checkpoint here (expected ${path.join(dir, 'checkpoint.json')}); train one with "igpg prior train" (or trainPrior)`);
  if (meta.kind !== 'prior') throw new CheckpointMismatchError(`${dir}: holds a "${meta.kind}" checkpoint, not a prior`);
  const cfg = meta.config as PriorCheckpointConfig;
  if (cfg.priorFormat !== PRIOR_FORMAT_VERSION) {
    throw new CheckpointMismatchError(`${dir}: prior format version ${cfg.priorFormat}, this code reads version ${PRIOR_FORMAT_VERSION}; retrain the prior with this version`);
  }
  if (cfg.instructionEncoder !== 'hashed-ngrams' && !options.instructionEncoder && !cfg.instructionEncoderConfig) {
    throw new Error(`${dir}: the prior was trained with the "${cfg.instructionEncoder}" instruction encoder; pass it as options.instructionEncoder`);
  }
  if (options.instructionEncoder && options.instructionEncoder.kind !== cfg.instructionEncoder) {
    throw new Error(`${dir}: the prior was trained with the "${cfg.instructionEncoder}" instruction encoder, got "${options.instructionEncoder.kind}"`);
  }
  const instructionEncoder = options.instructionEncoder
    ?? (cfg.instructionEncoderConfig ? createInstructionEncoder({ ...cfg.instructionEncoderConfig, kind: cfg.instructionEncoder }, `${cfg.scope}/instruction`) : undefined);
  const prior = new Prior(cfg.prior, { scope: cfg.scope, instructionEncoder, decoder: options.decoder });
  try {
    await loadCheckpoint(dir, { kind: 'prior', variables: prior.variables });
  } catch (e) {
    prior.dispose();
    throw e;
  }
  return prior;
}
