import type * as tf from '@tensorflow/tfjs-core';
import { validate } from './util/config';
import type { Rng } from './rng';

/** How the next code is drawn from the prior's logits. Kept apart from the prior (the prior returns logits only). */
export interface SamplerOptions {
  /** Softmax temperature; 0 means greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely codes (0 = off). top-k 1 is greedy. */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of codes whose probability reaches p (1 = off). */
  topP?: number;
  /**
   * Residual codes: sample only the first this many levels of each chunk and take the most likely code at the finer
   * ones (0 = sample every level). The coarse levels choose what a neuron is; the fine ones only refine it, and a
   * fine code drawn at random adds an error as large as its level's whole residual.
   */
  sampledLevels?: number;
  /**
   * Sample this many code streams for every network asked for and keep the ones the prior finds most likely on
   * their coarse codes (what `rank` scores; 1 = keep every sample). A sample whose coarse codes stray from what the
   * prior knows is the one that works worst, so this drops bad draws at the cost of sampling more.
   */
  candidates?: number;
  /**
   * Parents per network (1 = off): each network is the average, in the canonical space, of this many distinct
   * samples, REPAIRed on the support set (canon/blend.ts). A single sample of a prior that fits its zoo is one of
   * the zoo's checkpoints; the average of two aligned ones is a network at half a seed's distance from both that
   * keeps their function. `candidates` blends are made per network and those with the lowest support-set loss are
   * kept (with fewer distinct pairs than n, other splits of the same pairs). A blend is only made where it can be
   * checked: without a support set, or for an architecture that does not describe its Keras layers, the most likely
   * sample is kept.
   */
  blend?: number;
  /**
   * With `blend` and a support set: how much worse (relative) than its parents' mean a blend's support-set loss may
   * be before the blend moves closer to its first parent (an even split first, then 0.4 and 0.3 for two parents).
   * 0 (the default): no worse than its parents. Higher gives more novel networks that keep less of their function.
   */
  blendTolerance?: number;
}

export const samplerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    temperature: { type: 'number', minimum: 0, default: 1 },
    topK: { type: 'integer', minimum: 0, default: 0 },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
    sampledLevels: { type: 'integer', minimum: 0, default: 0 },
    candidates: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    blend: { type: 'integer', minimum: 1, maximum: 8, default: 1 },
    blendTolerance: { type: 'number', minimum: 0, default: 0 },
  },
};

/** Validate sampler options (unknown keys rejected) and fill defaults. */
export function samplerOptions(opts: SamplerOptions = {}): Required<SamplerOptions> {
  return validate<Required<SamplerOptions>>(samplerOptionsSchema, opts, 'sampler options');
}

/**
 * Draw one code per row from logits (B, V) laid out row-major in a Float32Array.
 * Works on plain arrays: V is a codebook size (hundreds), so the per-token cost is a few microseconds.
 * @example const codes = sampleLogits(await logits.data() as Float32Array, 2, 256, { temperature: 1, topK: 10, topP: 1, sampledLevels: 0, candidates: 1, blend: 1, blendTolerance: 0 }, createRng(1));
 */
export function sampleLogits(logits: Float32Array, batch: number, vocab: number, opts: Required<SamplerOptions>, rng: Rng): Int32Array {
  if (logits.length !== batch * vocab) throw new Error(`sampleLogits: got ${logits.length} logits, expected batch ${batch} x vocab ${vocab}`);
  const out = new Int32Array(batch);
  const idx = new Int32Array(vocab);
  const p = new Float64Array(vocab);
  for (let b = 0; b < batch; b++) {
    const row = logits.subarray(b * vocab, (b + 1) * vocab);
    if (opts.temperature === 0 || opts.topK === 1) {
      out[b] = argmax(row);
      continue;
    }
    // Softmax at temperature, numerically stable.
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (row[v] > max) max = row[v];
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += p[v] = Math.exp((row[v] - max) / opts.temperature);
    for (let v = 0; v < vocab; v++) p[v] /= sum;
    let kept = vocab;
    for (let v = 0; v < vocab; v++) idx[v] = v;
    if ((opts.topK > 0 && opts.topK < vocab) || opts.topP < 1) {
      // Sort codes by probability, most likely first (ties by index, so results do not depend on sort stability).
      const order = Array.from(idx).sort((a, c) => p[c] - p[a] || a - c);
      kept = opts.topK > 0 ? Math.min(opts.topK, vocab) : vocab;
      if (opts.topP < 1) {
        let cum = 0;
        for (let i = 0; i < kept; i++) {
          cum += p[order[i]];
          if (cum >= opts.topP) { kept = i + 1; break; }
        }
      }
      for (let i = 0; i < kept; i++) idx[i] = order[i];
    }
    let total = 0;
    for (let i = 0; i < kept; i++) total += p[idx[i]];
    let u = rng.next() * total;
    let pick = idx[kept - 1];
    for (let i = 0; i < kept; i++) {
      u -= p[idx[i]];
      if (u < 0) { pick = idx[i]; break; }
    }
    out[b] = pick;
  }
  return out;
}

/** Index of the largest value (first one on ties). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
  return best;
}

/**
 * Tensor front end of `sampleLogits`: logits (B, V) -> codes (B,). Does not dispose `logits`.
 * @example const codes = await sample(logits, { temperature: 0.8, topP: 0.9 }, createRng(0));
 */
export function sample(logits: tf.Tensor2D, opts: SamplerOptions, rng: Rng): Int32Array {
  const [batch, vocab] = logits.shape;
  return sampleLogits(logits.dataSync() as Float32Array, batch, vocab, samplerOptions(opts), rng);
}
