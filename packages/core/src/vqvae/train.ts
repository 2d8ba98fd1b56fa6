import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import { validate } from '../util/config';
import type { ParamInfo } from '../sdk/types';
import type { Tokenizer } from '../tokenizer';
import { runTrainingLoop, type TrainingLoopResult } from '../train/loop';
import { createAdam } from '../train/adam';
import type { ProgressOptions } from '../util/progress';
import { createVqvae, registeredVqvaeConfigSchema, tokenizerHash, vqvaeConfigSchema, type Vqvae, type VqvaeConfig } from './model';
import { getQuantizer } from './registry';
import { chunkKind } from '../tokenizer';
import { usageStats } from './usage';
import { saveVqvae } from './io';
import { metricsLog } from '../util/jsonl';
import { chunkImportance, type ImportanceOptions } from './importance';

/** Steps per codebook-usage snapshot (dir/codebook-usage.jsonl: { step, codeCounts } summed over the window). */
const USAGE_EVERY = 50;

export interface TrainVqvaeConfig {
  model: Partial<VqvaeConfig>;
  steps: number;
  /** Chunks per step, drawn with replacement from the whole zoo by (seed, step). */
  batchSize: number;
  /** Adam learning rate, cosine-decayed to lr * minLrFraction at the last step. */
  lr: number;
  minLrFraction: number;
  checkpointEvery: number;
  seed: number;
  /** Give every chunk kind (tokenizer chunkKind) its own codebook, the kinds taken from the zoo's chunks (default false). */
  perKind: boolean;
  /**
   * Weigh the reconstruction loss by each weight's importance to its network's function (vqvae/importance: the
   * diagonal Fisher on the task's training data), or false for a plain MSE. The tokenizer stage computes it.
   */
  importance: Partial<ImportanceOptions> | false;
}

export const trainVqvaeConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: vqvaeConfigSchema,
    steps: { type: 'integer', minimum: 0, default: 2000 },
    batchSize: { type: 'integer', minimum: 1, default: 512 },
    lr: { type: 'number', exclusiveMinimum: 0, default: 5e-3 }, // 5e-3 beat 2e-3 clearly on real zoos (functional check)
    minLrFraction: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
    checkpointEvery: { type: 'integer', minimum: 0, default: 200 },
    seed: { type: 'integer', default: 1 },
    perKind: { type: 'boolean', default: false },
    importance: {
      default: false,
      anyOf: [
        { const: false },
        {
          type: 'object', additionalProperties: false,
          properties: {
            examples: { type: 'integer', minimum: 1 }, batchSize: { type: 'integer', minimum: 1 },
            floor: { type: 'number', minimum: 0, maximum: 1 }, cap: { type: 'number', minimum: 1 }, seed: { type: 'integer' },
          },
        },
      ],
    },
  },
};

let registered: { model: object; schema: typeof trainVqvaeConfigSchema } | undefined;
/** trainVqvaeConfigSchema whose `model.quantizer` may be any registered quantizer (see registeredVqvaeConfigSchema). */
function registeredTrainSchema(): typeof trainVqvaeConfigSchema {
  const model = registeredVqvaeConfigSchema();
  if (registered?.model !== model) registered = { model, schema: { ...trainVqvaeConfigSchema, properties: { ...trainVqvaeConfigSchema.properties, model } } };
  return registered.schema;
}

/** A network the VQ-VAE learns from; `importance` (per value, flat canonical order) weighs its reconstruction. */
export interface VqvaeNetwork {
  infos: ParamInfo[];
  flat: Float32Array;
  importance?: Float32Array;
}

/**
 * All chunks of a set of networks, concatenated: values and mask (N*K each) and each chunk's kind key (N). The mask
 * is 0 on padding, else 1, or the value's importance (chunkImportance) when the network has one.
 */
export function zooChunks(tok: Tokenizer, networks: VqvaeNetwork[]) {
  const parts = networks.map((n) => ({ ...tok.chunk(n.infos, n.flat), weight: n.importance && chunkImportance(tok, n.infos, n.importance) }));
  const total = parts.reduce((a, p) => a + p.values.length, 0);
  const values = new Float32Array(total), mask = new Float32Array(total);
  const kinds: string[] = [];
  let o = 0;
  for (const p of parts) {
    values.set(p.values, o);
    mask.set(p.weight ?? p.mask, o);
    o += p.values.length;
    for (const pos of p.positions) kinds.push(chunkKind(pos));
  }
  return { values, mask, kinds, count: total / tok.chunkSize };
}

export interface TrainVqvaeOptions {
  /** Run directory (checkpoint, config.json, metrics.jsonl). */
  dir: string;
  tokenizer: Tokenizer;
  networks: VqvaeNetwork[];
  config: Partial<TrainVqvaeConfig>;
  resume?: boolean;
  progress?: Partial<ProgressOptions> | false;
  onCheckpoint?: (step: number) => void;
  /** Variable name prefix (checkpoint keys; must match on resume, and be unique among live models). */
  scope?: string;
}

/**
 * Train a VQ-VAE on a zoo's chunks with checkpoint/resume (train/loop); the result is also saved to dir/model
 * (loadVqvae). Metrics per step in dir/metrics.jsonl:
 * loss, recon (masked MSE, normalised units; importance-weighted when the networks carry importance), perplexity and used (fraction of codes) of the batch, deadCodes.
 * @example const { vq } = await trainVqvae({ dir: 'runs/vq', tokenizer: tok, networks, config: { steps: 500 } });
 */
export async function trainVqvae(opts: TrainVqvaeOptions): Promise<{ vq: Vqvae; result: TrainingLoopResult }> {
  const tok = opts.tokenizer;
  const given = opts.config.model?.chunkSize;
  const cfg = validate<TrainVqvaeConfig>(registeredTrainSchema(), { ...opts.config, model: { chunkSize: tok.chunkSize, ...opts.config.model } }, 'VQ-VAE training config');
  if (given !== undefined && given !== tok.chunkSize) throw new Error(`VQ-VAE chunkSize ${given} differs from the tokenizer's ${tok.chunkSize}`);
  cfg.model = { ...cfg.model, chunkSize: tok.chunkSize, tokenizerHash: tokenizerHash(tok) };
  if (!opts.networks.length) throw new Error('trainVqvae: no networks to train on');
  const data = zooChunks(tok, opts.networks);
  // per-kind codebooks: the kinds of this zoo, in a stable order (unless the config lists them)
  const perKindCodebooks = getQuantizer(cfg.model.quantizer!).perKindCodebooks; // quantizer: filled in by the schema default
  if (cfg.perKind && !cfg.model.kinds?.length && perKindCodebooks) cfg.model = { ...cfg.model, kinds: [...new Set(data.kinds)].sort() };
  const K = tok.chunkSize, B = cfg.batchSize;
  const vq = createVqvae(cfg.model, opts.scope ?? 'vqvae');
  const kindIndex = new Map((vq.config.kinds ?? []).map((k, i) => [k, i]));
  const perRow = vq.rowsPerChunk; // latent rows per chunk
  // with per-kind codebooks, batches draw a kind uniformly, then a chunk of it: a rare kind (a CNN's 4 conv3
  // channels) gets as many rows per step as the MLP hidden units, else its codebook barely trains
  const chunksOf = new Map<number, number[]>();
  if (kindIndex.size > 1) {
    data.kinds.forEach((k, c) => {
      const i = kindIndex.get(k)!;
      if (!chunksOf.has(i)) chunksOf.set(i, []);
      chunksOf.get(i)!.push(c);
    });
  }
  const byKind = [...chunksOf.values()];
  const optimizer = createAdam(cfg.lr);
  const batchAt = (label: string) => {
    const rng = createRng(cfg.seed).fork(label);
    const x = new Float32Array(B * K), m = new Float32Array(B * K);
    const kinds = new Int32Array(B * perRow);
    for (let b = 0; b < B; b++) {
      const own = byKind.length ? byKind[rng.int(byKind.length)] : null;
      const c = own ? own[rng.int(own.length)] : rng.int(data.count);
      x.set(data.values.subarray(c * K, (c + 1) * K), b * K);
      m.set(data.mask.subarray(c * K, (c + 1) * K), b * K);
      kinds.fill(kindIndex.get(data.kinds[c]) ?? 0, b * perRow, (b + 1) * perRow);
    }
    return { x: tf.tensor2d(x, [B, K]), m: tf.tensor2d(m, [B, K]), kinds: kindIndex.size > 1 ? kinds : undefined };
  };
  // EMA quantizers (ema, residual) update their codebooks outside the optimizer
  const q = vq.quantizer;
  const kindTensor = (k: Int32Array | undefined) => (k ? tf.tensor1d(k, 'int32') : undefined);
  if (q.initFrom) {
    // data-dependent codebook init (overwritten by the checkpoint on resume)
    const { x, m, kinds } = batchAt('init');
    tf.tidy(() => q.initFrom!(vq.forward(x, m, { kinds: kindTensor(kinds) }).z, 0, kinds));
    tf.dispose([x, m]);
  }
  // codebook usage snapshots for the dashboard's heatmap: code counts summed over each USAGE_EVERY-step window
  const usageLog = metricsLog(path.join(opts.dir, 'codebook-usage.jsonl'));
  // a fresh run starts a fresh log, as train/loop does with metrics.jsonl (a resumed one appends)
  if ((opts.resume === false || !fs.existsSync(path.join(opts.dir, 'metrics.jsonl'))) && fs.existsSync(usageLog.file)) fs.rmSync(usageLog.file);
  const window = new Int32Array(vq.config.codebookSize * Math.max(1, vq.config.kinds.length)); // global code ids
  try {
    const result = await runTrainingLoop({
      dir: opts.dir, kind: 'vqvae', config: cfg as unknown as Record<string, unknown>, steps: cfg.steps, checkpointEvery: cfg.checkpointEvery,
      resume: opts.resume ?? true, variables: vq.variables, optimizer,
      // the tokenizer (config + stats) travels with every checkpoint; resuming with another one is refused via /model/tokenizerHash
      getState: () => ({ tokenizer: tok.toJSON() }), progress: opts.progress ?? { label: 'vqvae' }, onCheckpoint: opts.onCheckpoint,
      step(i) {
        optimizer.setLearningRate(cfg.lr * (cfg.minLrFraction + (1 - cfg.minLrFraction) * 0.5 * (1 + Math.cos((Math.PI * i) / Math.max(1, cfg.steps)))));
        const { x, m, kinds } = batchAt(`batch/${i}`);
        const seed = createRng(cfg.seed).fork(i).tfSeed();
        let z: tf.Tensor2D | null = null, indices: tf.Tensor1D | null = null, recon = 0;
        const kt = kindTensor(kinds);
        const loss = optimizer.minimize(() => {
          const f = vq.forward(x, m, { training: true, seed, step: i, kinds: kt });
          z = tf.keep(f.z);
          indices = tf.keep(f.indices);
          recon = f.reconLoss.dataSync()[0];
          return f.loss;
        }, true, vq.trainable)!;
        const dead = q.update ? q.update(z!, indices!, i, kinds).deadCodes : 0;
        kt?.dispose();
        const usage = usageStats(indices!.dataSync() as Int32Array, vq.config.codebookSize * Math.max(1, vq.config.kinds.length)); // global indices: every kind's codebook
        usage.counts.forEach((c, j) => (window[j] += c));
        if ((i + 1) % USAGE_EVERY === 0 || i + 1 === cfg.steps) {
          usageLog.append({ step: i + 1, codeCounts: Array.from(window) });
          window.fill(0);
        }
        const row = { loss: loss.dataSync()[0], recon, perplexity: usage.perplexity, used: usage.usedFraction, deadCodes: dead };
        tf.dispose([loss, x, m, z!, indices!]);
        return row;
      },
    });
    saveVqvae(path.join(opts.dir, 'model'), vq, tok); // the run's loadable result: loadVqvae(dir + '/model')
    return { vq, result };
  } catch (e) {
    vq.dispose(); // a failed or aborted run leaves no variables behind (its checkpoint stays on disk)
    throw e;
  } finally {
    optimizer.dispose();
  }
}
