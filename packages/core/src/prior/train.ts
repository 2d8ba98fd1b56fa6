import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { validate } from '../util/config';
import { createRng, type Rng } from '../rng';
import type { SupportSet } from '../encoders/dataset';
import type { ArchitectureCondition } from '../encoders/architecture';
import { runTrainingLoop, type TrainingLoopResult } from '../train/loop';
import { createAdam } from '../train/adam';
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

/**
 * A training batch as host arrays, in chunk steps: conditions, the previous chunk's codes per step (-1 = BOS),
 * the step's own codes (targets), the step mask and position rows. B examples x T chunk steps x l codes.
 */
interface PriorBatch {
  conds: PriorCondition[];
  keep: Float32Array;
  /** (B*T*l) */
  prev: Int32Array;
  /** (B*T*l) */
  targets: Int32Array;
  /** (B*T): 1 where the step is a real chunk */
  mask: Float32Array;
  /** (B*T*F) */
  rows: Float32Array;
  B: number;
  T: number;
}

/** Check examples against the prior: codes in range, lengths matching their layouts. */
function checkExamples(prior: Prior, examples: PriorExample[]): void {
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
 * Draw a batch: B examples, one instruction paraphrase each, a random window of each network's chunks (any start, so
 * the prior learns to continue from the tail of a previous window), and the CFG drop mask.
 */
export function drawBatch(prior: Prior, examples: PriorExample[], batchSize: number, rng: Rng): PriorBatch {
  const W = prior.window;
  const Lc = prior.config.codesPerChunk;
  const picks = Array.from({ length: batchSize }, () => examples[rng.int(examples.length)]);
  const T = Math.min(W, Math.max(...picks.map((e) => e.layout.places.length)));
  const F = POSITION_FEATURES;
  const prev = new Int32Array(batchSize * T * Lc), targets = new Int32Array(batchSize * T * Lc);
  const mask = new Float32Array(batchSize * T), rows = new Float32Array(batchSize * T * F);
  const keep = new Float32Array(batchSize * PREFIX);
  const conds = picks.map((e, b) => {
    const N = e.layout.places.length;
    const len = Math.min(T, N);
    const s = rng.int(N - len + 1);
    const feats = prior.features(e.layout);
    for (let j = 0; j < len; j++) {
      const c = s + j, o = (b * T + j) * Lc;
      if (c === 0) prev.fill(-1, o, o + Lc);
      else prev.set(e.codes.subarray((c - 1) * Lc, c * Lc), o);
      targets.set(e.codes.subarray(c * Lc, (c + 1) * Lc), o);
      mask[b * T + j] = 1;
    }
    rows.set(feats.subarray(s * F, (s + len) * F), b * T * F);
    for (let k = 0; k < PREFIX; k++) keep[b * PREFIX + k] = rng.next() < prior.config.condDropout ? 0 : 1;
    return { instruction: e.instructions[rng.int(e.instructions.length)], architecture: e.architecture, dataset: e.dataset };
  });
  return { conds, keep, prev, targets, mask, rows, B: batchSize, T };
}

/** Mean next-code cross-entropy of a batch, nats per code (differentiable). */
export function priorLoss(prior: Prior, batch: PriorBatch, options?: { training?: boolean; seed?: number }): tf.Scalar {
  const { B, T } = batch;
  const Lc = prior.config.codesPerChunk;
  const codeMask = Float32Array.from({ length: B * T * Lc }, (_, i) => batch.mask[Math.floor(i / Lc)]);
  return tf.tidy(() => {
    const prefix = prior.prefix(batch.conds, batch.keep); // (B, 3, d)
    const inputs = prior.chunkInputs(batch.prev, B, T, prior.positionEmbedding(batch.rows)); // (B, T, d)
    const h = prior.trunk(prefix, inputs, options); // (B, T, d)
    const logits = tf.reshape(prior.codeLogits(h, batch.targets), [B, T * Lc, prior.config.codebookSize]) as tf.Tensor3D; // (B, T*l, C)
    return prior.decoder.loss(logits, tf.tensor2d(batch.targets, [B, T * Lc], 'int32'), tf.tensor2d(codeMask, [B, T * Lc]));
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
  const trainable = prior.trainable;
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
        const lr = learningRateAt(cfg, i);
        optimizer.setLearningRate(lr);
        const batch = drawBatch(prior, examples, cfg.batchSize, createRng(cfg.seed).fork(`batch/${i}`));
        const seed = createRng(cfg.seed).fork(i).tfSeed();
        const cost = optimizer.minimize(() => priorLoss(prior, batch, { training: true, seed }), true, trainable)!;
        const loss = cost.dataSync()[0];
        cost.dispose();
        if (!Number.isFinite(loss)) throw new Error(`prior training diverged at step ${i + 1} (loss ${loss}); lower lr (now ${cfg.lr})`);
        // codes in the batch (the dashboard's codes/s) and the step's learning rate (its lr panel)
        return { loss, codes: batch.mask.reduce((a, b) => a + b, 0) * prior.config.codesPerChunk, lr };
      },
    });
  } finally {
    optimizer.dispose();
  }
}
