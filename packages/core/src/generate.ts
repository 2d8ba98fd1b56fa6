import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveArchitecture, type ArchitectureRef, type ResolvedArchitecture } from './encoders/resolve';
import { assignWeights } from './sdk/weights';
import type { Network, ParamInfo } from './sdk/types';
import type { Tokenizer } from './tokenizer';
import { tokenizerHash, type Vqvae } from './vqvae/model';
import { decodeNetwork, encodeNetwork, type WeightCodec } from './codec';
import { blendNetworks, imagesLoss, matchParents, matchParentsByActivations, type BlendImages } from './canon/blend';
import { createRng, type Rng } from './rng';
import type { Canonicalizer } from './canon/canonicalizer';
import { planMorph } from './canon/morph';
import { saveNetworkSafetensors } from './io/safetensors';
import { saveTfjsWeights } from './io/tfjs-format';
import type { WeightLayout } from './sdk/layout';
import { samplerOptions, type SamplerOptions } from './sampler';
import type { SupportSet } from './encoders/dataset';
import { checkCondition } from './encoders/instruction';
import type { Prior, PriorCondition, TokenLayout } from './prior/prior';
import { logLikelihood, sampleScoredCodes } from './prior/autoregress';

export { resolveArchitecture, architectureCondition, type ArchitectureRef, type ResolvedArchitecture } from './encoders/resolve';

/** Check that a prior, a tokenizer and a VQ-VAE belong together; throws naming the mismatch. */
export function checkCompatible(prior: Prior, tokenizer: Tokenizer, vqvae: Vqvae): void {
  const p = prior.config, v = vqvae.config;
  const problems: string[] = [];
  if (p.codebookSize !== v.codebookSize) problems.push(`codebook size: prior ${p.codebookSize}, VQ-VAE ${v.codebookSize}`);
  if (p.codesPerChunk !== v.codesPerChunk) problems.push(`codes per chunk: prior ${p.codesPerChunk}, VQ-VAE ${v.codesPerChunk}`);
  if (p.chunkSize !== v.chunkSize) problems.push(`chunk size: prior ${p.chunkSize}, VQ-VAE ${v.chunkSize}`);
  if (tokenizer.chunkSize !== v.chunkSize) problems.push(`chunk size: tokenizer ${tokenizer.chunkSize}, VQ-VAE ${v.chunkSize}`);
  if (p.tokenizerHash && p.tokenizerHash !== tokenizerHash(tokenizer)) problems.push(`tokenizer: the prior was trained on codes of tokenizer ${p.tokenizerHash.slice(0, 12)}…, got ${tokenizerHash(tokenizer).slice(0, 12)}…`);
  if (problems.length) throw new Error(`the prior does not match this tokenizer/VQ-VAE (use the files saved together):\n  - ${problems.join('\n  - ')}`);
}

export interface GenerateOptions {
  prior: Prior;
  tokenizer: Tokenizer;
  vqvae: Vqvae;
  /** The codec's canonicalizer (generator bundles have one): decoded weights get its reference added back. */
  canon?: Canonicalizer;
  /**
   * What the network should do, e.g. "classify MNIST digits 0 to 4". Empty or left out: the support set in
   * `dataset` alone conditions the prior (it must then be given).
   */
  instruction?: string;
  architecture: ArchitectureRef;
  /** k samples per class of the target dataset (optional; required without an instruction). */
  dataset?: SupportSet;
  /** Networks to generate (one batch). Default 1. */
  n?: number;
  seed?: number;
  sampler?: SamplerOptions;
  /** Classifier-free guidance scale (1 = off). */
  guidance?: number;
  /** KV cache (default true). */
  useCache?: boolean;
  /** Build tfjs networks with the weights assigned (default true). */
  build?: boolean;
  onToken?: (done: number, total: number) => void;
}

export interface GenerateResult {
  /** Ready networks (weights assigned); empty when build is false. Dispose them when done. */
  networks: Network[];
  /** Codes per sample (chunks * codesPerChunk). */
  codes: Int32Array[];
  /** Flat canonical weights per sample. */
  weights: Float32Array[];
  architecture: { name: string; spec: Record<string, unknown>; infos: ParamInfo[] };
  /**
   * Set when the canonicalizer has no reference for this architecture but one for a narrower or shallower spec of
   * it: the prior generated that spec (the codes are its codes) and its weights were widened or deepened to this
   * one, function unchanged (canon/morph.ts).
   */
  morphedFrom?: { name: string; spec: Record<string, unknown>; how: 'widened' | 'deepened' };
}

/**
 * Generate n networks for an instruction and an architecture: prior -> codes -> VQ-VAE -> chunks -> weights. An
 * architecture wider or deeper than the ones the generator was trained on is generated at the largest trained spec
 * it grows from, then widened or deepened function-preservingly (canon/morph.ts).
 * @example
 * const { networks } = await generate({ prior, tokenizer, vqvae, instruction: 'classify MNIST digits 0 to 4',
 *   architecture: { name: 'cnn-s', spec: { inputShape: [28, 28, 1], classes: 5 } }, n: 4, seed: 0 });
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const instruction = checkCondition(opts.instruction, opts.dataset);
  const target = resolveArchitecture(opts.architecture);
  checkCompatible(opts.prior, opts.tokenizer, opts.vqvae);
  const seed = opts.seed ?? 0;
  const morph = opts.canon && planMorph(opts.canon, target.plugin, target.spec, seed);
  const arch = morph ? resolveArchitecture({ name: target.plugin.name, spec: morph.from }) : target;
  const layout: TokenLayout = { places: opts.tokenizer.encodeLayout(arch.infos).positions };
  const cond: PriorCondition = { instruction, architecture: arch.condition, dataset: opts.dataset };

  const n = opts.n ?? 1;
  const { candidates, blend, blendTolerance } = samplerOptions(opts.sampler);
  const codec = { tokenizer: opts.tokenizer, vq: opts.vqvae, canon: opts.canon };
  const ref = { name: arch.plugin.name, spec: arch.spec };
  // Blends draw their parents from one pool of n x candidates streams (at least `blend`), as many as candidates alone.
  const sampled = sampleScoredCodes(opts.prior, cond, layout, { n: n * Math.max(candidates, blend), seed, sampler: opts.sampler, guidance: opts.guidance, useCache: opts.useCache, onToken: opts.onToken });
  const mixed = blend > 1 ? blended(sampled, { n, candidates, blend, tolerance: blendTolerance, seed, codec, arch, dataset: opts.dataset }) : undefined;
  const codes = mixed?.codes ?? (sampled.codes.length > n ? mostLikely(sampled.codes, sampled.coarse, n) : sampled.codes);
  const canonical = mixed?.weights ?? codes.map((c) => decodeNetwork(codec, ref, arch.infos, c));
  const weights = morph ? canonical.map((w) => morph.map(w)) : canonical;
  const networks = opts.build === false ? [] : weights.map((w, i) => {
    const net = target.plugin.build(target.spec, seed + i);
    assignWeights(net, w);
    return net;
  });
  return {
    networks, codes, weights, architecture: { name: target.plugin.name, spec: target.spec, infos: target.infos },
    ...(morph ? { morphedFrom: { name: target.plugin.name, spec: morph.from, how: morph.how } } : {}),
  };
}

/**
 * n blended networks from sampled code streams (sampler option `blend`, canon/blend.ts), or undefined when a blend
 * cannot be checked: without a support set, or for an architecture that does not describe its Keras layers, the
 * caller keeps the most likely samples instead. The distinct streams are decoded to the canonical space and up to
 * n x candidates distinct groups of `blend` of them are drawn (seeded). In each group the later parents are permuted
 * onto the first, by weight matching (matchParents) and by their activations on the support images
 * (matchParentsByActivations); each average is REPAIRed on those images. A group's blend is the most even split
 * (BLEND_SPLITS: 1/2, then 0.4, then 0.3 for two parents) whose support-set loss is within `tolerance` of its
 * parents' mean, the better of the two matchings; the n groups with the lowest support-set loss are kept. With
 * fewer distinct groups than n, the groups' other splits fill in (MIRRORED_SPLITS too), then blends repeat. A blend
 * is aligned to the canonical reference again and its codes are its weights encoded again, so the memorisation audit
 * sees what was made, not its parents.
 */
function blended(sampled: { codes: Int32Array[]; coarse: Float64Array }, o: { n: number; candidates: number; blend: number; tolerance: number; seed: number; codec: WeightCodec; arch: ResolvedArchitecture; dataset?: SupportSet }): { codes: Int32Array[]; weights: Float32Array[] } | undefined {
  const images = blendImages(o.arch, o.dataset);
  if (!images) return undefined;
  const ref = { name: o.arch.plugin.name, spec: o.arch.spec };
  const seen = new Set<string>();
  const flats = sampled.codes.filter((c) => {
    const key = c.join(',');
    return !seen.has(key) && seen.add(key);
  }).map((c) => decodeNetwork(o.codec, ref, o.arch.infos, c));
  const groups = distinctGroups(flats.length, Math.min(o.blend, flats.length), o.n * o.candidates, createRng(`blend/${o.seed}`));
  const symmetry = o.arch.plugin.symmetry?.(o.arch.spec).groups ?? [];
  const repair = { layers: o.arch.plugin.layers!(o.arch.spec), infos: o.arch.infos, images };
  const lossOf = (w: Float32Array) => imagesLoss(repair.layers, repair.infos, w, images);
  const parentLosses = new Map<number, number>(); // a parent sits in several groups: its loss once
  const parentLoss = (i: number) => parentLosses.get(i) ?? parentLosses.set(i, lossOf(flats[i])).get(i)!;
  try {
    const made = groups.map((g) => {
      const parents = g.map((i) => flats[i]);
      const bound = (g.reduce((t, i) => t + parentLoss(i), 0) / g.length) * (1 + o.tolerance);
      const matchings = [matchParents(parents, o.arch.infos, symmetry), matchParentsByActivations(parents, o.arch.infos, symmetry, repair.layers, images)];
      const splits = new Map<number, { w: Float32Array; loss: number; passes: boolean; f: number }[]>(); // made once per split
      const blendAt = (f: number) => splits.get(f) ?? splits.set(f, matchings.map((m) => {
        const w = blendNetworks(m, repair, splitShares(m.length, f));
        const loss = lossOf(w);
        return { w, loss, passes: loss <= bound, f };
      })).get(f)!;
      let best = { w: parents[0], loss: Infinity, passes: false, f: 0 };
      for (const f of BLEND_SPLITS) {
        for (const b of blendAt(f)) if (b.loss < best.loss) best = b;
        if (best.passes) break;
      }
      return { ...best, blendAt };
    });
    const kept: { w: Float32Array; loss: number }[] = made.map((m, i) => ({ ...m, i })).sort((x, y) => x.loss - y.loss || x.i - y.i);
    if (kept.length < o.n) {
      // Fewer distinct groups than networks asked for (a prior sure of one or two networks): the other splits of the
      // same groups, those within the tolerance first, before any network repeats.
      const seenBlend = new Set(made.map((m) => `${m.f}/${m.loss}`)); // a blend is its split and its loss here
      const others = made.flatMap((m) => [...BLEND_SPLITS, ...MIRRORED_SPLITS].flatMap((f) => m.blendAt(f))).filter((b) => {
        const key = `${b.f}/${b.loss}`;
        return !seenBlend.has(key) && seenBlend.add(key);
      });
      kept.push(...others.sort((x, y) => Number(y.passes) - Number(x.passes) || x.loss - y.loss).slice(0, o.n - kept.length));
    }
    const weights = Array.from({ length: o.n }, (_, k) => kept[k % kept.length].w).map((w) => (o.codec.canon ? o.codec.canon.align(ref, w).flat : w));
    return { weights, codes: weights.map((w) => encodeNetwork(o.codec, ref, o.arch.infos, w, { aligned: true }).codes) };
  } finally {
    images.x.dispose();
  }
}

/** How far from the first parent a blend goes: the later parents' share as a fraction of an even split's. */
const BLEND_SPLITS = [1, 0.8, 0.6];
/** The same splits nearer the later parents (for two parents: 0.6 and 0.7 of the second), when more networks are needed. */
const MIRRORED_SPLITS = [1.2, 1.4];

/** Shares of p parents when the later ones get `f` of an even split's share between them (f 1: all equal). */
function splitShares(p: number, f: number): number[] {
  const later = (f * (p - 1)) / p;
  return [1 - later, ...Array.from({ length: p - 1 }, () => later / (p - 1))];
}

/** Up to `count` distinct size-k subsets of 0..n-1, drawn at random (each as indices in ascending order). */
function distinctGroups(n: number, k: number, count: number, rng: Rng): number[][] {
  const out: number[][] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < count && tries < 20 * count; tries++) {
    const g = rng.shuffle([...Array(n).keys()]).slice(0, k).sort((a, b) => a - b);
    const key = g.join(',');
    if (!seen.has(key)) { seen.add(key); out.push(g); }
  }
  return out;
}

/** The support set as images of the architecture's input shape, when it has Keras layers to run them through. */
function blendImages(arch: ResolvedArchitecture, dataset?: SupportSet): BlendImages | undefined {
  const shape = (arch.spec as { inputShape?: unknown }).inputShape;
  if (!dataset || !arch.plugin.layers || !Array.isArray(shape)) return undefined;
  if (shape.reduce((a: number, b: number) => a * b, 1) !== dataset.featureDim) return undefined;
  return { x: tf.tensor(dataset.x, [dataset.labels.length, ...(shape as number[])]), labels: dataset.labels };
}

/** Log-likelihood (total and per code) of code streams over the first `levels` codes of each chunk, in bounded batches. */
function scoreStreams(prior: Prior, cond: PriorCondition, layout: TokenLayout, streams: Int32Array[], levels: number): { total: number; perToken: number }[] {
  const out: { total: number; perToken: number }[] = [];
  for (let i = 0; i < streams.length; i += 16) {
    const { total, perToken } = logLikelihood(prior, cond, layout, streams.slice(i, i + 16), levels);
    total.forEach((t, j) => out.push({ total: t, perToken: perToken[j] }));
  }
  return out;
}

/**
 * The n most likely of sampled code streams by their coarse log-likelihood (first level of each chunk, what `rank`
 * scores by), most likely first; ties keep the sampling order. The scores come from the sampling pass itself
 * (sampleScoredCodes), not a second teacher-forced pass: at 4 candidates that pass cost as much as sampling.
 */
function mostLikely(codes: Int32Array[], coarse: Float64Array, n: number): Int32Array[] {
  return codes.map((c, i) => ({ c, s: coarse[i] })).sort((a, b) => b.s - a.s).slice(0, n).map((x) => x.c);
}

/**
 * Write generated networks as `<dir>/<prefix>-<i>.safetensors` (layout 'tfjs' or 'torch') or as tfjs weight folders
 * `<dir>/<prefix>-<i>/` (model.json + weights.bin). Returns the paths written.
 */
export function saveGenerated(dir: string, result: GenerateResult, options: { format?: 'safetensors' | 'tfjs'; layout?: WeightLayout; prefix?: string; instruction?: string } = {}): string[] {
  const { name, spec, infos } = result.architecture;
  const prefix = options.prefix ?? 'generated';
  return result.weights.map((flat, i) => {
    const w = { arch: name, spec, infos, flat };
    if ((options.format ?? 'safetensors') === 'tfjs') {
      const out = path.join(dir, `${prefix}-${i}`);
      saveTfjsWeights(out, w);
      return out;
    }
    const file = path.join(dir, `${prefix}-${i}.safetensors`);
    saveNetworkSafetensors(file, w, { layout: options.layout, metadata: options.instruction ? { instruction: options.instruction, generator: 'igpg' } : { generator: 'igpg' } });
    return file;
  });
}

/** A checkpoint to score: its flat weights (encoded with the VQ-VAE) or its codes. */
export interface RankCandidate {
  id: string;
  weights?: Float32Array;
  codes?: Int32Array;
}

export interface RankOptions {
  prior: Prior;
  tokenizer: Tokenizer;
  vqvae: Vqvae;
  /** The codec's canonicalizer: candidates given as weights are aligned to its reference before encoding. */
  canon?: Canonicalizer;
  /** As in generate: empty or left out, the support set in `dataset` alone is the condition. */
  instruction?: string;
  architecture: ArchitectureRef;
  dataset?: SupportSet;
  /**
   * Code levels of each chunk that count (default 1: the coarse code of every neuron). The fine residual levels of a
   * network the prior has not seen are noise it cannot predict; summed in, they swamp the score (see README, retrieval).
   */
  levels?: number;
}

/**
 * Rank existing checkpoints of one architecture by their log-likelihood under the prior for a condition
 * (model selection / weight retrieval), over the first `levels` codes of each chunk. Most likely first.
 * @example const ranked = rank(zooCheckpoints, { prior, tokenizer, vqvae, instruction: 'classify iris', architecture });
 */
export function rank(candidates: RankCandidate[], opts: RankOptions): { id: string; logLikelihood: number; perToken: number }[] {
  const instruction = checkCondition(opts.instruction, opts.dataset);
  if (!candidates.length) return [];
  const arch = resolveArchitecture(opts.architecture);
  checkCompatible(opts.prior, opts.tokenizer, opts.vqvae);
  const layout: TokenLayout = { places: opts.tokenizer.encodeLayout(arch.infos).positions };
  const streams = candidates.map((c) => {
    if (c.codes) return c.codes;
    if (c.weights) return encodeNetwork({ tokenizer: opts.tokenizer, vq: opts.vqvae, canon: opts.canon }, { name: arch.plugin.name, spec: arch.spec }, arch.infos, c.weights).codes;
    throw new Error(`rank: candidate "${c.id}" has neither weights nor codes`);
  });
  const cond: PriorCondition = { instruction, architecture: arch.condition, dataset: opts.dataset };
  const out = scoreStreams(opts.prior, cond, layout, streams, opts.levels ?? 1).map((x, i) => ({ id: candidates[i].id, logLikelihood: x.total, perToken: x.perToken }));
  return out.sort((a, b) => b.logLikelihood - a.logLikelihood);
}
