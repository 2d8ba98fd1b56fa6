import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { validate } from '../util/config';
import { createRng, type Rng } from '../rng';
import type { SupportSet } from '../encoders/dataset';
import type { ArchitectureCondition } from '../encoders/architecture';
import { runTrainingLoop, type TrainingLoopResult } from '../train/loop';
import { createAdam } from '../backend/adam';
import type { ProgressOptions } from '../util/progress';
import { PREFIX, type Prior, type PriorCondition, type TokenLayout } from './prior';
import { POSITION_FEATURES } from '../encoders/architecture';
import { priorCheckpointConfig } from './checkpoint';

/** One training network: its codes and what it is conditioned on. */
export interface PriorExample {
  /** VQ-VAE codes of the network, chunk after chunk (N = chunks * codesPerChunk). */
  codes: Int32Array;
  /** Paraphrases of the task instruction; each step samples one. */
  instructions: string[];
  architecture: ArchitectureCondition;
  layout: TokenLayout;
  dataset?: SupportSet;
}

export interface PriorTrainConfig {
  steps: number;
  batchSize?: number;
  lr?: number;
  /** Linear warm-up over this many steps, then cosine decay to lr * minLrFraction at the last step. */
  warmupSteps?: number;
  minLrFraction?: number;
  checkpointEvery?: number;
  seed?: number;
}

export const priorTrainConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['steps'],
  properties: {
    steps: { type: 'integer', minimum: 0 },
    batchSize: { type: 'integer', minimum: 1, default: 8 },
    lr: { type: 'number', exclusiveMinimum: 0, default: 3e-3 },
    warmupSteps: { type: 'integer', minimum: 0, default: 0 },
    minLrFraction: { type: 'number', minimum: 0, maximum: 1, default: 1 }, // 1 = constant; configs/default.json decays to 0.1 (short runs need the full rate)
    checkpointEvery: { type: 'integer', minimum: 0, default: 100 },
    seed: { type: 'integer', default: 0 },
  },
};

/** A training batch as host arrays: conditions, previous codes (-1 = BOS), targets, mask and position rows. */
export interface PriorBatch {
  conds: PriorCondition[];
  keep: Float32Array;
  prev: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  rows: Float32Array;
  B: number;
  L: number;
}

/** Check examples against the prior: codes in range, lengths matching their layouts. */
export function checkExamples(prior: Prior, examples: PriorExample[]): void {
  if (!examples.length) throw new Error('prior training needs at least one example');
  const C = prior.config.codebookSize;
  examples.forEach((e, i) => {
    const N = e.layout.places.length * prior.config.codesPerChunk;
    if (e.codes.length !== N) throw new Error(`example ${i}: ${e.codes.length} codes but its layout has ${e.layout.places.length} chunks x ${prior.config.codesPerChunk} codes = ${N}`);
    const bad = e.codes.findIndex((c) => c < 0 || c >= C || !Number.isInteger(c));
    if (bad >= 0) throw new Error(`example ${i}: code ${e.codes[bad]} at token ${bad} is outside the codebook [0, ${C})`);
    if (!e.instructions.length) throw new Error(`example ${i}: no instruction`);
  });
}

/**
 * Draw a batch: B examples, one instruction paraphrase each, a random window of each code stream (any start, so
 * the prior learns to continue from the tail of a previous window), and the CFG drop mask.
 */
export function drawBatch(prior: Prior, examples: PriorExample[], batchSize: number, rng: Rng): PriorBatch {
  const W = prior.window;
  const picks = Array.from({ length: batchSize }, () => examples[rng.int(examples.length)]);
  const L = Math.min(W, Math.max(...picks.map((e) => e.codes.length)));
  const F = POSITION_FEATURES;
  const prev = new Int32Array(batchSize * L), targets = new Int32Array(batchSize * L);
  const mask = new Float32Array(batchSize * L), rows = new Float32Array(batchSize * L * F);
  const keep = new Float32Array(batchSize * PREFIX);
  const conds = picks.map((e, b) => {
    const N = e.codes.length;
    const len = Math.min(L, N);
    const s = rng.int(N - len + 1);
    const feats = prior.features(e.layout);
    for (let j = 0; j < len; j++) {
      const t = s + j;
      prev[b * L + j] = t === 0 ? -1 : e.codes[t - 1];
      targets[b * L + j] = e.codes[t];
      mask[b * L + j] = 1;
    }
    rows.set(feats.subarray(s * F, (s + len) * F), b * L * F);
    for (let k = 0; k < PREFIX; k++) keep[b * PREFIX + k] = rng.next() < prior.config.condDropout ? 0 : 1;
    return { instruction: e.instructions[rng.int(e.instructions.length)], architecture: e.architecture, dataset: e.dataset };
  });
  return { conds, keep, prev, targets, mask, rows, B: batchSize, L };
}

/** Mean next-code cross-entropy of a batch (differentiable). */
export function priorLoss(prior: Prior, batch: PriorBatch, options?: { training?: boolean; seed?: number }): tf.Scalar {
  return tf.tidy(() => {
    const prefix = prior.prefix(batch.conds, batch.keep); // (B, 3, d)
    const inputs = prior.tokenInputs(batch.prev, batch.B, batch.L, prior.positionEmbedding(batch.rows)); // (B, L, d)
    const logits = prior.logits(prefix, inputs, options); // (B, L, C)
    return prior.decoder.loss(logits, tf.tensor2d(batch.targets, [batch.B, batch.L], 'int32'), tf.tensor2d(batch.mask, [batch.B, batch.L]));
  });
}

export interface TrainPriorOptions {
  prior: Prior;
  examples: PriorExample[];
  /** Run directory (checkpoints, config.json, metrics.jsonl). */
  dir: string;
  config: PriorTrainConfig;
  /** Continue from dir's checkpoint (default true). */
  resume?: boolean;
  progress?: Partial<ProgressOptions> | false;
  onCheckpoint?: (step: number) => void;
}

/** The learning rate of step i (0-based): linear warm-up, then cosine from lr down to lr * minLrFraction. */
export function learningRateAt(cfg: Required<PriorTrainConfig>, i: number): number {
  if (i < cfg.warmupSteps) return (cfg.lr * (i + 1)) / cfg.warmupSteps;
  const progress = (i - cfg.warmupSteps) / Math.max(1, cfg.steps - cfg.warmupSteps);
  return cfg.lr * (cfg.minLrFraction + (1 - cfg.minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * Train the prior (decoder, encoders and projections jointly) with Adam, checkpointing and resuming through the
 * shared training loop. Every random choice of step i comes from (seed, i), so a killed and resumed run ends
 * with the same weights as an unkilled one.
 * @example await trainPrior({ prior, examples, dir: 'runs/prior', config: { steps: 500, batchSize: 8 } });
 */
export async function trainPrior(opts: TrainPriorOptions): Promise<TrainingLoopResult> {
  const cfg = validate<Required<PriorTrainConfig>>(priorTrainConfigSchema, opts.config, 'prior training config');
  const { prior, examples } = opts;
  checkExamples(prior, examples);
  const optimizer = createAdam(cfg.lr);
  const variables = prior.variables;
  const trainable = variables.filter((v) => v.trainable);
  try {
    return await runTrainingLoop({
      dir: opts.dir,
      kind: 'prior',
      config: { ...priorCheckpointConfig(prior), train: cfg },
      steps: cfg.steps,
      checkpointEvery: cfg.checkpointEvery,
      configMayDiffer: ['/train/steps'],
      resume: opts.resume ?? true,
      variables,
      optimizer,
      progress: opts.progress,
      onCheckpoint: opts.onCheckpoint,
      step(i) {
        optimizer.setLearningRate(learningRateAt(cfg, i));
        const batch = drawBatch(prior, examples, cfg.batchSize, createRng(cfg.seed).fork(`batch/${i}`));
        const seed = createRng(cfg.seed).fork(i).tfSeed();
        const cost = optimizer.minimize(() => priorLoss(prior, batch, { training: true, seed }), true, trainable)!;
        const loss = cost.dataSync()[0];
        cost.dispose();
        if (!Number.isFinite(loss)) throw new Error(`prior training diverged at step ${i + 1} (loss ${loss}); lower lr (now ${cfg.lr})`);
        return { loss, tokens: batch.mask.reduce((a, b) => a + b, 0) };
      },
    });
  } finally {
    optimizer.dispose();
  }
}
