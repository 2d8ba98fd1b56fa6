import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend/init';
import { configureBlasThreads } from '../backend/blas_threads';
import { loadNative } from '../backend/native';
import { loadGenerator, type Generator } from '../pipeline/generator';
import { loadPlugins } from '../zoo/plugins';
import { resolveArchitecture } from '../encoders/resolve';
import { Prior, type PriorCondition, type TokenLayout } from './prior';
import { logLikelihood, sampleScoredCodes, windows, windowTail, type SampleCodesOptions } from './autoregress';
import { nativeDecodeAddon } from './native_decode';
import type { ChunkPlace } from '../encoders/architecture';

// The native decode (native_decode.ts, native/igpg_native.c) against the tfjs reference (gpt_decode.ts): the same
// codes, bit for bit, and the same candidate scores, for the same seed.

const hasAddon = loadNative() !== null && typeof (loadNative()!.addon as unknown as Record<string, unknown>).gptDecodeStep === 'function';
/** Chunks of `layers` layers, `perLayer` each, the last of a layer its bias. */
function toyLayout(layers: number, perLayer: number): TokenLayout {
  const places: ChunkPlace[] = [];
  for (let l = 0; l < layers; l++) for (let c = 0; c < perLayer; c++) places.push({ layer: l, layers, role: c === perLayer - 1 ? 'bias' : 'kernel', offset: c * 16, tensorSize: perLayer * 16 });
  return { places };
}
const ROOT = path.resolve(__dirname, '../../../..');

/** Sample with the native decode's products shared by 2 BLAS threads (IGPG_NATIVE_DECODE=parallel), then back to 1. */
function parallelNative(prior: Prior, cond: PriorCondition, layout: TokenLayout, opts: SampleCodesOptions) {
  process.env.IGPG_NATIVE_DECODE = 'parallel';
  configureBlasThreads(loadNative()!.addon, 2, 2);
  try {
    return sampleScoredCodes(prior, cond, layout, opts);
  } finally {
    configureBlasThreads(loadNative()!.addon, 1, 1);
    delete process.env.IGPG_NATIVE_DECODE;
  }
}

/** Sample with the native decode on, then forced off (IGPG_NATIVE_DECODE=off). */
function bothPaths(prior: Prior, cond: PriorCondition, layout: TokenLayout, opts: SampleCodesOptions) {
  expect(nativeDecodeAddon()).not.toBeNull();
  const native = sampleScoredCodes(prior, cond, layout, opts);
  process.env.IGPG_NATIVE_DECODE = 'off';
  try {
    expect(nativeDecodeAddon()).toBeNull();
    return { native, tfjs: sampleScoredCodes(prior, cond, layout, opts) };
  } finally {
    delete process.env.IGPG_NATIVE_DECODE;
  }
}

describe.skipIf(!hasAddon)('native decode', () => {
  let g: Generator;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, native: true, blasThreads: 1, log: () => {} });
    await loadPlugins(['@igpg/architectures']);
    g = await loadGenerator(path.join(ROOT, 'runs/default'));
  });
  afterAll(() => {
    g?.dispose();
    shutdownBackend();
  });

  it('gives the tfjs path\'s codes and scores with the shipped prior, over several windows, with and without guidance', () => {
    const arch = resolveArchitecture({ name: 'mlp', spec: { inputShape: [28, 28, 1], classes: 10, hidden: [8] } });
    const layout: TokenLayout = { places: g.tokenizer.encodeLayout(arch.infos).positions };
    expect(windows(layout.places.length, g.prior.window, windowTail(g.prior)).length).toBeGreaterThan(1);
    const cond: PriorCondition = { instruction: 'classify handwritten digits', architecture: arch.condition };
    const before = tf.memory().numTensors;
    for (const [guidance, sampler] of [[1, { temperature: 0.5, sampledLevels: 2 }], [2, { temperature: 1, sampledLevels: 1, topK: 20 }]] as const) {
      const opts: SampleCodesOptions = { n: 2, seed: 7, guidance, sampler };
      const { native, tfjs } = bothPaths(g.prior, cond, layout, opts);
      native.codes.forEach((c, i) => expect(Buffer.from(c.buffer).equals(Buffer.from(tfjs.codes[i].buffer))).toBe(true));
      expect(Array.from(native.coarse)).toEqual(Array.from(tfjs.coarse));
      // the shipped prior's products (>= 64k multiply-adds) are the ones the parallel decode splits over 2 threads
      const twoThreads = parallelNative(g.prior, cond, layout, opts);
      twoThreads.codes.forEach((c, i) => expect(Buffer.from(c.buffer).equals(Buffer.from(tfjs.codes[i].buffer))).toBe(true));
      expect(Array.from(twoThreads.coarse)).toEqual(Array.from(tfjs.coarse));
      // the scores are the teacher-forced coarse log-likelihood, read off the sampling pass
      const ll = logLikelihood(g.prior, cond, layout, native.codes, 1).total;
      native.coarse.forEach((s, i) => expect(Math.abs(s - ll[i])).toBeLessThan(1e-3 * Math.abs(ll[i]) + 1e-3));
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);

  it('gives the tfjs path\'s codes for 8 sequences (the depth head product of 8 x 256 x 512 rounds differently as one sgemm than in its tiles), on 1 and 2 threads', () => {
    const arch = resolveArchitecture({ name: 'mlp', spec: { inputShape: [28, 28, 1], classes: 10, hidden: [8] } });
    const layout: TokenLayout = { places: g.tokenizer.encodeLayout(arch.infos).positions.slice(0, 12) };
    const cond: PriorCondition = { instruction: 'classify handwritten digits', architecture: arch.condition };
    const opts: SampleCodesOptions = { n: 8, seed: 3, sampler: { temperature: 0.5, sampledLevels: 2 } };
    const { native, tfjs } = bothPaths(g.prior, cond, layout, opts);
    expect(native.codes).toEqual(tfjs.codes);
    expect(Array.from(native.coarse)).toEqual(Array.from(tfjs.coarse));
    expect(Array.from(parallelNative(g.prior, cond, layout, opts).coarse)).toEqual(Array.from(tfjs.coarse));
  }, 600_000);

  it('rejects an unknown IGPG_NATIVE_DECODE', () => {
    process.env.IGPG_NATIVE_DECODE = 'fast';
    try {
      expect(() => nativeDecodeAddon()).toThrow(/IGPG_NATIVE_DECODE must be 'on', 'off' or 'parallel', got 'fast'/);
    } finally {
      delete process.env.IGPG_NATIVE_DECODE;
    }
  });

  it('gives the same codes for 1 and 2 BLAS threads, and on a toy prior with every level sampled', () => {
    const prior = new Prior({ codebookSize: 16, codesPerChunk: 3, chunkSize: 16, dModel: 32, nLayers: 2, nHeads: 2, contextLength: 12, condDim: 16, instructionBuckets: 512, architectureBuckets: 256, datasetInputDim: 8, seed: 3 }, { scope: 'native-decode-toy' });
    try {
      const layout = toyLayout(3, 9);
      const cond: PriorCondition = { instruction: 'classify iris', architecture: { name: 'mlp', description: 'MLP', params: 400, layers: 3, tensors: 6 } };
      const opts: SampleCodesOptions = { n: 2, seed: 1, sampler: { temperature: 1 } };
      const { native, tfjs } = bothPaths(prior, cond, layout, opts);
      expect(native.codes).toEqual(tfjs.codes);
      configureBlasThreads(loadNative()!.addon, 2, 2);
      try {
        expect(sampleScoredCodes(prior, cond, layout, opts).codes).toEqual(native.codes);
      } finally {
        configureBlasThreads(loadNative()!.addon, 1, 1);
      }
      expect(parallelNative(prior, cond, layout, opts).codes).toEqual(native.codes);
    } finally {
      prior.dispose();
    }
  });
});
