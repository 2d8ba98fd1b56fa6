import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend, shutdownBackend } from './backend/init';
import { defineArchitecture, registerArchitecture, unregisterArchitecture } from './sdk/architecture';
import { flattenWeights } from './sdk/weights';
import type { Network, ParamInfo } from './sdk/types';
import { createTokenizer } from './tokenizer';
import { createVqvae, decodeWeights, tokenizerHash } from './vqvae/model';
import { Prior } from './prior/prior';
import { trainPrior } from './prior/train';
import { priorExamples } from './prior/examples';
import { loadPrior, savePrior } from './prior/checkpoint';
import { generate, rank, resolveArchitecture, saveGenerated } from './generate';
import { logLikelihood, sampleCodes } from './prior/autoregress';
import { loadNetworkSafetensors } from './io/safetensors';
import { createRng } from './rng';
import { fitCanonicalizer } from './canon/canonicalizer';
import { blendNetworks, imagesLoss, matchParents, matchParentsByActivations } from './canon/blend';
import { encodeNetwork } from './codec';

// A real (tiny) architecture plugin: a 4-h-3 tanh MLP.
interface MlpSpec { inputShape: number[]; classes: number; hidden: number }
const describeMlp = (s: MlpSpec): ParamInfo[] => [
  { name: 'l0.weight', role: 'kernel', shape: [s.inputShape[0], s.hidden], layer: 0 },
  { name: 'l0.bias', role: 'bias', shape: [s.hidden], layer: 0 },
  { name: 'l1.weight', role: 'kernel', shape: [s.hidden, s.classes], layer: 1 },
  { name: 'l1.bias', role: 'bias', shape: [s.classes], layer: 1 },
];
const mlp = defineArchitecture<MlpSpec>({
  name: 'gen-test-mlp',
  schema: { type: 'object', additionalProperties: false, required: ['inputShape', 'classes'], properties: { inputShape: { type: 'array', items: { type: 'integer' } }, classes: { type: 'integer', minimum: 2 }, hidden: { type: 'integer', minimum: 1, default: 8 } } },
  describe: describeMlp,
  summary: (s) => `MLP ${s.inputShape[0]}-${s.hidden}-${s.classes}, tanh`,
  layers: (s) => [
    { type: 'dense', name: 'l0', units: s.hidden, activation: 'tanh', kernel: 'l0.weight', bias: 'l0.bias' },
    { type: 'dense', name: 'l1', units: s.classes, activation: 'linear', kernel: 'l1.weight', bias: 'l1.bias' },
  ],
  symmetry: (s) => ({ groups: [{ name: 'hidden', size: s.hidden, axes: [{ param: 'l0.weight', axis: 1 }, { param: 'l0.bias', axis: 0 }, { param: 'l1.weight', axis: 0 }] }] }),
  build(spec, seed): Network {
    const params = describeMlp(spec).map((p, i) => tf.tidy(() => tf.variable(tf.randomNormal(p.shape, 0, 0.3, 'float32', seed * 10 + i + 1))));
    return {
      arch: 'gen-test-mlp', spec: spec as unknown as Record<string, unknown>, params,
      apply: (x) => tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, params[0] as tf.Tensor2D), params[1])), params[2] as tf.Tensor2D), params[3]) as tf.Tensor2D),
      dispose: () => tf.dispose(params),
    };
  },
});
const spec = { inputShape: [4], classes: 3, hidden: 8 };
const architecture = { name: 'gen-test-mlp', spec };
const randomFlat = (seed: number) => { const r = createRng(seed); return Float32Array.from({ length: 67 }, () => r.normal() * 0.5); };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  registerArchitecture(mlp);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'generate-'));
});
afterAll(() => {
  unregisterArchitecture('gen-test-mlp');
  fs.rmSync(tmp, { recursive: true, force: true });
  shutdownBackend();
});

describe('generate / rank', () => {
  it('trains on two tasks, generates the right network per instruction, saves, ranks, round-trips the prior; no leaks', async () => {
    const before = tf.memory().numTensors;
    const tokenizer = createTokenizer({ chunkSize: 8, grouping: 'layer' });
    const vqvae = createVqvae({ chunkSize: 8, codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [16], tokenizerHash: tokenizerHash(tokenizer) }, 'gen-vq');
    const [a, b] = [randomFlat(1), randomFlat(2)];
    const examples = priorExamples([
      { architecture, flat: a, instructions: ['classify iris flowers', 'tell iris species apart'] },
      { architecture, flat: b, instructions: ['classify wine cultivars', 'tell wines apart'] },
    ], { tokenizer, vq: vqvae });
    expect(examples[0].codes.length).toBe(9 * 2); // 40 + 27 values -> 5 + 4 chunks of 8, 2 codes each
    expect(Array.from(examples[0].codes)).not.toEqual(Array.from(examples[1].codes));
    const prior = new Prior({ codebookSize: 32, codesPerChunk: 2, chunkSize: 8, dModel: 32, nLayers: 1, nHeads: 2, contextLength: 12, condDim: 16, instructionBuckets: 1024, architectureBuckets: 256, condDropout: 0, seed: 2, tokenizerHash: tokenizerHash(tokenizer) }, { scope: 'gen-prior' });
    const res = await trainPrior({ prior, examples, dir: path.join(tmp, 'run'), config: { steps: 150, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 }, progress: false });
    expect(res.last.loss).toBeLessThan(0.1);

    const g = { prior, tokenizer, vqvae, architecture, sampler: { topK: 1 }, n: 2, seed: 3 };
    const ra = await generate({ ...g, instruction: 'tell iris species apart' });
    const rb = await generate({ ...g, instruction: 'classify wine cultivars' });
    expect(Array.from(ra.codes[0])).toEqual(Array.from(examples[0].codes));
    expect(Array.from(rb.codes[1])).toEqual(Array.from(examples[1].codes));
    // Conditioning: the two instructions give measurably different networks.
    const dist = Math.hypot(...ra.weights[0].map((w, i) => w - rb.weights[0][i]));
    expect(dist).toBeGreaterThan(0.5);
    // Weights are the VQ-VAE decoding of the codes, and the built networks carry them and run.
    expect(Array.from(ra.weights[0])).toEqual(Array.from(decodeWeights(vqvae, tokenizer, ra.architecture.infos, ra.codes[0])));
    expect(Array.from(flattenWeights(ra.networks[0]))).toEqual(Array.from(ra.weights[0]));
    const x = tf.ones([5, 4]);
    const y = ra.networks[0].apply(x);
    expect(y.shape).toEqual([5, 3]);
    tf.dispose([x, y]);
    // Files in the SDK's formats.
    const files = saveGenerated(tmp, ra, { prefix: 'iris', instruction: 'tell iris species apart' });
    expect(Array.from(loadNetworkSafetensors(files[0], ra.architecture.infos).flat)).toEqual(Array.from(ra.weights[0]));
    expect(fs.existsSync(path.join(saveGenerated(tmp, ra, { format: 'tfjs', prefix: 'iris-tfjs' })[0], 'model.json'))).toBe(true);
    // rank: the matching training network first.
    const ranked = rank([{ id: 'wine', weights: b }, { id: 'iris', codes: examples[0].codes }], { prior, tokenizer, vqvae, instruction: 'classify iris flowers', architecture });
    expect(ranked.map((r) => r.id)).toEqual(['iris', 'wine']);

    // candidates: of n x k samples, the n most likely by their coarse codes, most likely first.
    const hot = { temperature: 8, candidates: 3 };
    const picked = await generate({ ...g, sampler: hot, instruction: 'classify iris flowers', build: false });
    const pool = sampleCodes(prior, { instruction: 'classify iris flowers', architecture: resolveArchitecture(architecture).condition }, { places: tokenizer.encodeLayout(ra.architecture.infos).positions }, { n: 6, seed: 3, sampler: hot });
    const coarse = logLikelihood(prior, { instruction: 'classify iris flowers', architecture: resolveArchitecture(architecture).condition }, { places: tokenizer.encodeLayout(ra.architecture.infos).positions }, pool, 1).total;
    const order = [...pool.keys()].sort((i, j) => coarse[j] - coarse[i]);
    expect(order.slice(0, 2)).not.toEqual([0, 1]); // so that keeping the first n samples would fail
    await expect(generate({ ...g, sampler: { candidates: 0 }, instruction: 'x', build: false })).rejects.toThrow(/candidates: must be >= 1/);
    expect(picked.codes.map((c) => Array.from(c))).toEqual(order.slice(0, 2).map((i) => Array.from(pool[i])));

    // blend: without a support set a blend cannot be checked, so the most likely of the samples is kept
    // (1 network x 3 candidates draws 3 streams).
    const layout = { places: tokenizer.encodeLayout(ra.architecture.infos).positions };
    const cond3 = { instruction: 'classify iris flowers', architecture: resolveArchitecture(architecture).condition };
    const unchecked = await generate({ ...g, n: 1, sampler: { ...hot, blend: 2 }, instruction: 'classify iris flowers', build: false });
    const pool3 = sampleCodes(prior, cond3, layout, { n: 3, seed: 3, sampler: hot });
    const ll3 = logLikelihood(prior, cond3, layout, pool3, 1).total;
    expect(Array.from(unchecked.codes[0])).toEqual(Array.from(pool3[[0, 1, 2].sort((i, j) => ll3[j] - ll3[i])[0]]));
    const groups = mlp.symmetry!(spec).groups;
    // With a support set: candidates blends REPAIRed on its images, the lowest support loss kept; deterministic.
    const r = createRng('gen-support');
    const dataset = { name: 'toy', x: Float32Array.from({ length: 12 * 4 }, () => r.normal()), featureDim: 4, labels: Int32Array.from({ length: 12 }, (_, i) => i % 3), classes: 3 };
    const tensorsBefore = tf.memory().numTensors;
    const [s1, s2] = [0, 1].map(() => generate({ ...g, n: 2, sampler: { ...hot, blend: 2 }, instruction: 'classify iris flowers', dataset, build: false }));
    const [m1, m2] = await Promise.all([s1, s2]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(m1.weights.length).toBe(2);
    expect(m1.weights.map((w) => Array.from(w))).toEqual(m2.weights.map((w) => Array.from(w)));
    const images = { x: tf.tensor2d(dataset.x, [12, 4]), labels: dataset.labels };
    const layers = mlp.layers!(spec);
    const losses = m1.weights.map((w) => imagesLoss(layers, ra.architecture.infos, w, images));
    expect(losses[0]).toBeLessThanOrEqual(losses[1]);
    // A tolerance nothing exceeds keeps the even split: the result is a REPAIRed midpoint of two distinct samples.
    const even = await generate({ ...g, n: 1, sampler: { ...hot, blend: 2, blendTolerance: 1e9 }, instruction: 'classify iris flowers', dataset, build: false });
    const repair = { layers, infos: ra.architecture.infos, images };
    const withSupport = sampleCodes(prior, { instruction: 'classify iris flowers', architecture: resolveArchitecture(architecture).condition, dataset }, layout, { n: 3, seed: 3, sampler: hot });
    const supported = withSupport.map((c) => decodeWeights(vqvae, tokenizer, ra.architecture.infos, c));
    const midpoints = supported.flatMap((a, i) => supported.slice(i + 1).flatMap((b) => [
      matchParents([a, b], ra.architecture.infos, groups), matchParentsByActivations([a, b], ra.architecture.infos, groups, layers, images),
    ].map((m) => blendNetworks(m, repair, [0.5, 0.5]))));
    const close = (a: Float32Array, b: Float32Array) => a.every((v, j) => Math.abs(v - b[j]) < 1e-5);
    expect(midpoints.some((w) => close(w, even.weights[0]))).toBe(true);
    expect(supported.some((w) => close(w, even.weights[0]))).toBe(false); // a new network, not one of its parents
    expect(Array.from(even.codes[0])).toEqual(Array.from(encodeNetwork({ tokenizer, vq: vqvae }, architecture, ra.architecture.infos, even.weights[0]).codes));
    // Fewer distinct pairs than networks asked for: the pairs' other splits fill in, so the n networks differ.
    const many = { temperature: 2, blend: 2 };
    const pool8 = sampleCodes(prior, { instruction: 'classify iris flowers', architecture: resolveArchitecture(architecture).condition, dataset }, layout, { n: 16, seed: 3, sampler: many });
    const d = new Set(pool8.map((c) => c.join())).size;
    expect(d).toBeGreaterThan(1);
    expect((d * (d - 1)) / 2).toBeLessThan(8); // the fill is what this checks
    const filled = await generate({ ...g, n: 8, sampler: many, instruction: 'classify iris flowers', dataset, build: false });
    expect(new Set(filled.weights.map((w) => Array.from(w, (v) => v.toFixed(5)).join())).size).toBe(8);
    images.x.dispose();
    await expect(generate({ ...g, sampler: { blendTolerance: -1 }, instruction: 'x', build: false })).rejects.toThrow(/blendTolerance: must be >= 0/);
    await expect(generate({ ...g, sampler: { blend: 9 }, instruction: 'x', build: false })).rejects.toThrow(/blend: must be <= 8/);

    // A wider spec than any the codec has a reference for: generated at the trained width, widened with its function.
    const { canon } = fitCanonicalizer([a, b].map((flat) => ({ architecture, flat })));
    const narrow = await generate({ ...g, canon, instruction: 'tell iris species apart' });
    const wide = await generate({ ...g, canon, instruction: 'tell iris species apart', architecture: { name: 'gen-test-mlp', spec: { ...spec, hidden: 12 } } });
    expect(narrow.morphedFrom).toBeUndefined();
    expect(wide.morphedFrom).toEqual({ name: 'gen-test-mlp', spec, how: 'widened' });
    expect(wide.weights[0].length).toBe(4 * 12 + 12 + 12 * 3 + 3);
    expect(Array.from(wide.codes[0])).toEqual(Array.from(narrow.codes[0]));
    const ones = tf.ones([5, 4]);
    const [yn, yw] = [narrow.networks[0].apply(ones), wide.networks[0].apply(ones)];
    const gap = (yn.dataSync() as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - (yw.dataSync() as Float32Array)[i])), 0);
    expect(gap).toBeLessThanOrEqual(1e-5);
    tf.dispose([ones, yn, yw]);
    for (const r of [narrow, wide]) r.networks.forEach((n) => n.dispose());

    // Save / load round trip gives the same codes.
    await savePrior(path.join(tmp, 'saved'), prior);
    prior.dispose();
    const loaded = await loadPrior(path.join(tmp, 'saved'));
    const rl = await generate({ ...g, prior: loaded, instruction: 'tell iris species apart', build: false });
    expect(Array.from(rl.codes[0])).toEqual(Array.from(ra.codes[0]));

    // Clear errors.
    await expect(generate({ ...g, prior: loaded, instruction: ' ' })).rejects.toThrow(/instruction is empty/);
    await expect(generate({ ...g, prior: loaded, instruction: 'x', architecture: { name: 'no-such-arch', spec } })).rejects.toThrow(/no-such-arch/);
    await expect(generate({ ...g, prior: loaded, instruction: 'x', architecture: { name: 'gen-test-mlp', spec: { ...spec, hidden: 0 } } })).rejects.toThrow(/hidden/);
    const otherVq = createVqvae({ chunkSize: 8, codesPerChunk: 2, codebookSize: 64, codeDim: 4, hidden: [16] }, 'gen-vq2');
    await expect(generate({ ...g, prior: loaded, vqvae: otherVq, instruction: 'x' })).rejects.toThrow(/codebook size: prior 32, VQ-VAE 64/);
    await expect(generate({ ...g, prior: loaded, tokenizer: createTokenizer({ chunkSize: 8, normalize: 'none' } as never), instruction: 'x' })).rejects.toThrow(/tokenizer/);
    const metaFile = path.join(tmp, 'saved', 'checkpoint.json');
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, config: { ...meta.config, priorFormat: 99 } }));
    await expect(loadPrior(path.join(tmp, 'saved'))).rejects.toThrow(/prior format version 99/);
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, version: 99 }));
    await expect(loadPrior(path.join(tmp, 'saved'))).rejects.toThrow(/version 99/);
    await expect(loadPrior(path.join(tmp, 'run-none'))).rejects.toThrow(/no prior checkpoint/);

    for (const r of [ra, rb]) r.networks.forEach((n) => n.dispose());
    loaded.dispose(); vqvae.dispose(); otherVq.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
