import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { isTrainingEntry, lastEpochs, openZoo, trainTokenizerStage, type TokenizerConfig, type TrainVqvaeConfig } from '@igpg/core';

/** Options of the demo run. */
export interface DemoVqvaeOptions {
  out: string;         // stage folder, as `igpg vqvae train --out`; the metrics go to <out>/run/metrics.jsonl
  zoo: string;         // a zoo folder (zoo/default ships with igpg)
  networks?: number;   // how many of its final training checkpoints to learn from (default 8)
  steps?: number;      // optimisation steps (default 80)
  seed?: number;       // default 0
}

export interface DemoVqvaeResult {
  steps: number;
  finalLoss: number;
  /** The run's metrics log (what the dashboard plots). */
  metrics: string;
}

// Small enough to train in seconds on one core; everything else is the stage's own default.
const TOKENIZER: Partial<TokenizerConfig> = { chunkSize: 8 };
const VQVAE: Partial<TrainVqvaeConfig> = { batchSize: 64, checkpointEvery: 0, model: { codebookSize: 32, codesPerChunk: 2, codeDim: 4, hidden: [32] } };

/**
 * A real VQ-VAE run for the dashboard's demo, its browser test and its load test: the tokenizer stage that
 * `igpg vqvae train` runs (trainTokenizerStage: canonicalizer, tokenizer, VQ-VAE), on a few final checkpoints of a
 * zoo and a small VQ-VAE. It logs what every VQ-VAE run logs (<out>/run/metrics.jsonl: loss, recon, perplexity,
 * used, deadCodes; codebook-usage.jsonl beside it). The zoo's architectures must be registered
 * (registerBuiltinArchitectures() from @igpg/architectures). The run starts afresh; `out` must not hold one.
 * @example await runDemoVqvae({ out: 'runs/demo', zoo: 'zoo/default', steps: 100 })
 */
export async function runDemoVqvae(opts: DemoVqvaeOptions): Promise<DemoVqvaeResult> {
  const { out, steps = 80, seed = 0, networks = 8 } = opts;
  if (!Number.isInteger(networks) || networks < 1) throw new Error(`runDemoVqvae: networks must be a positive integer, got ${networks}`);
  await tf.ready(); // whichever backend is registered (the cpu backend at least, imported above)
  const picked = new Set(lastEpochs(openZoo(opts.zoo).entries.filter(isTrainingEntry)).slice(0, networks).map((e) => e.id));
  const { vq, result } = await trainTokenizerStage({
    zoo: opts.zoo, out, filter: (e) => picked.has(e.id), tokenizer: TOKENIZER,
    vqvae: { ...VQVAE, steps, seed }, resume: false, progress: false,
  });
  vq.dispose();
  return { steps, finalLoss: result.last.loss ?? NaN, metrics: path.join(out, 'run', 'metrics.jsonl') };
}
