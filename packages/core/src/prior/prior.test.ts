import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend/init';
import { Prior, type PriorConfig, type TokenLayout } from './prior';
import { logLikelihood, sampleCodes, windows } from './autoregress';
import { learningRateAt, priorTrainConfigSchema, trainPrior, type PriorExample, type PriorTrainConfig } from './train';
import { validate } from '../util/config';
import { readJsonl } from '../util/jsonl';
import type { ChunkPlace } from '../encoders/architecture';
import { createRng } from '../rng';

const decoder = undefined; // the real GPT of prior/gpt.ts

export function toyLayout(layers: number, chunksPerLayer: number, chunkSize = 16): TokenLayout {
  const places: ChunkPlace[] = [];
  for (let l = 0; l < layers; l++) {
    for (let c = 0; c < chunksPerLayer; c++) places.push({ layer: l, layers, role: c === chunksPerLayer - 1 ? 'bias' : 'kernel', offset: c * chunkSize, tensorSize: chunksPerLayer * chunkSize });
  }
  return { places };
}
const arch = { name: 'mlp', description: 'MLP with 3 dense layers, tanh', params: 400, layers: 3, tensors: 6 };
const cfg: PriorConfig = { codebookSize: 16, codesPerChunk: 2, chunkSize: 16, dModel: 32, nLayers: 2, nHeads: 2, contextLength: 16, condDim: 16, instructionBuckets: 512, architectureBuckets: 256, datasetInputDim: 8, condDropout: 0, seed: 1 };
const randomCodes = (n: number, seed: number) => { const r = createRng(seed); return Int32Array.from({ length: n }, () => r.int(16)); };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prior-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  shutdownBackend();
});

describe('windows', () => {
  it('covers every token once, each window within the context', () => {
    const ws = windows(100, 13, 6);
    expect(ws[0]).toEqual({ start: 0, first: 0, end: 13 });
    let next = 0;
    for (const w of ws) {
      expect(w.first).toBe(next);
      expect(w.end - w.start).toBeLessThanOrEqual(13);
      if (w.start > 0) expect(w.first - w.start).toBeGreaterThanOrEqual(6);
      if (w.start > 0) expect(w.end - w.start).toBe(13); // every later window is full, as in training
      next = w.end;
    }
    expect(next).toBe(100);
    expect(() => windows(10, 4, 4)).toThrow(/overlap/);
  });
});

describe('prior', () => {
  it('overfits two conditioned networks longer than 3x the context; greedy reproduces each exactly; seeds reproduce; cache == no cache; no leaks', async () => {
    const before = tf.memory().numTensors;
    const prior = new Prior(cfg, { decoder });
    try {
    const layout = toyLayout(3, 10); // 30 chunks x 2 codes = 60 tokens > 3 x 16 context
    const N = 60;
    expect(N).toBeGreaterThan(3 * cfg.contextLength!);
    const a = randomCodes(N, 1), b = randomCodes(N, 2);
    const examples: PriorExample[] = [
      { codes: a, instructions: ['classify mnist digits 0 to 4', 'recognise handwritten digits zero to four'], architecture: arch, layout },
      { codes: b, instructions: ['classify iris flowers', 'tell iris species apart'], architecture: arch, layout },
    ];
    const res = await trainPrior({ prior, examples, dir: path.join(tmp, 'overfit'), config: { steps: 300, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 3 }, progress: false });
    expect(res.last.loss).toBeLessThan(0.05);
    const condA = { instruction: 'classify mnist digits 0 to 4', architecture: arch };
    const condB = { instruction: 'tell iris species apart', architecture: arch };
    const [ga] = sampleCodes(prior, condA, layout, { n: 1, seed: 0, sampler: { topK: 1 } });
    const [gb] = sampleCodes(prior, condB, layout, { n: 1, seed: 0, sampler: { topK: 1 } });
    expect(Array.from(ga)).toEqual(Array.from(a));
    expect(Array.from(gb)).toEqual(Array.from(b));
    // Uncached baseline gives the same greedy codes.
    const [gaNoCache] = sampleCodes(prior, condA, layout, { n: 1, seed: 0, sampler: { topK: 1 }, useCache: false });
    expect(Array.from(gaNoCache)).toEqual(Array.from(a));
    // Sampling: same seed same codes, other seed other codes; batched n samples.
    const hot = { temperature: 3 };
    const s1 = sampleCodes(prior, condA, layout, { n: 3, seed: 7, sampler: hot });
    const s2 = sampleCodes(prior, condA, layout, { n: 3, seed: 7, sampler: hot });
    const s3 = sampleCodes(prior, condA, layout, { n: 3, seed: 8, sampler: hot });
    expect(s1.map((x) => Array.from(x))).toEqual(s2.map((x) => Array.from(x)));
    expect(s1.map((x) => Array.from(x))).not.toEqual(s3.map((x) => Array.from(x)));
    // Guidance runs and, at greedy, still finds the trained network.
    const [gg] = sampleCodes(prior, condA, layout, { n: 1, seed: 0, sampler: { topK: 1 }, guidance: 1.5 });
    expect(gg.length).toBe(N);
    // Log-likelihood ranks the matching network first.
    const ll = logLikelihood(prior, condA, layout, [a, b]);
    expect(ll.total[0]).toBeGreaterThan(ll.total[1]);
    // Counting only the first level of each chunk: its terms are the first terms of the full sum.
    const coarse = logLikelihood(prior, condA, layout, [a, b], 1);
    expect(coarse.total[0]).toBeGreaterThan(ll.total[0]);
    expect(coarse.perToken[0]).toBeCloseTo(coarse.total[0] / (N / prior.config.codesPerChunk), 6);
    expect(() => logLikelihood(prior, condA, layout, [a], prior.config.codesPerChunk + 1)).toThrow(/levels must be an integer from 1 to/);
    } finally {
      prior.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a killed training run resumes to the same weights as an unkilled one (same seed)', async () => {
    const layout = toyLayout(2, 4);
    const examples: PriorExample[] = [{ codes: randomCodes(16, 4), instructions: ['classify digits', 'recognise digits'], architecture: arch, layout }];
    const c = { ...cfg, condDropout: 0.3, dropout: 0.1 };
    const config = { steps: 6, batchSize: 4, lr: 1e-2, checkpointEvery: 2, seed: 5 };
    const weights = (p: Prior) => p.variables.map((v) => Array.from(v.dataSync()));
    const straight = new Prior(c, { decoder });
    await trainPrior({ prior: straight, examples, dir: path.join(tmp, 'straight'), config, progress: false });
    const want = weights(straight);
    straight.dispose();
    // each logged step says its learning rate and how many codes it trained on (the dashboard plots both)
    const rows = readJsonl<{ step: number; loss: number; codes: number; lr: number }>(path.join(tmp, 'straight', 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    rows.forEach((r) => expect(r.lr).toBe(learningRateAt(validate<Required<PriorTrainConfig>>(priorTrainConfigSchema, config, 'cfg'), r.step - 1)));
    rows.forEach((r) => expect(r.codes).toBeGreaterThan(0));
    const killed = new Prior(c, { decoder });
    await expect(trainPrior({ prior: killed, examples, dir: path.join(tmp, 'killed'), config, progress: false, onCheckpoint: (s) => { if (s === 4) throw new Error('killed'); } })).rejects.toThrow('killed');
    killed.dispose();
    const resumed = new Prior(c, { decoder });
    const r = await trainPrior({ prior: resumed, examples, dir: path.join(tmp, 'killed'), config, progress: false });
    expect(r.startStep).toBe(4);
    expect(weights(resumed)).toEqual(want);
    resumed.dispose();
  });

  it('rejects bad configs and examples clearly', async () => {
    expect(() => new Prior({ ...cfg, dModel: 30, nHeads: 4 }, { decoder })).toThrow(/divisible/);
    expect(() => new Prior({ ...cfg, codebookSize: undefined } as never, { decoder })).toThrow(/codebookSize/);
    const prior = new Prior(cfg, { decoder });
    const layout = toyLayout(1, 2);
    await expect(trainPrior({ prior, examples: [{ codes: Int32Array.from([1, 2, 3]), instructions: ['x'], architecture: arch, layout }], dir: path.join(tmp, 'bad'), config: { steps: 1 }, progress: false }))
      .rejects.toThrow(/3 codes but its layout has 2 chunks/);
    await expect(trainPrior({ prior, examples: [{ codes: Int32Array.from([1, 2, 3, 99]), instructions: ['x'], architecture: arch, layout }], dir: path.join(tmp, 'bad'), config: { steps: 1 }, progress: false }))
      .rejects.toThrow(/outside the codebook/);
    expect(() => sampleCodes(prior, { instruction: '', architecture: arch }, layout, { n: 1, seed: 0 })).toThrow(/instruction is empty/);
    prior.dispose();
  });
});

describe('prior learning-rate schedule', () => {
  it('warms up linearly, then decays by a cosine to lr * minLrFraction', () => {
    const c = validate<Required<PriorTrainConfig>>(priorTrainConfigSchema, { steps: 110, lr: 1e-3, warmupSteps: 10, minLrFraction: 0.1 }, 'test');
    expect(learningRateAt(c, 0)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(c, 9)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(c, 10)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(c, 60)).toBeCloseTo(0.55e-3, 12);
    expect(learningRateAt(c, 110)).toBeCloseTo(1e-4, 12);
    for (let i = 11; i < 110; i++) expect(learningRateAt(c, i)).toBeLessThan(learningRateAt(c, i - 1));
  });
});
