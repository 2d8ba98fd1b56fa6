import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { sampleLogits, samplerOptions, type SamplerOptions } from '../sampler';
import { chunkDecoder } from './native_decode';
import { codeLogProb, guidedLogits, tfjsChunkDecoder, type ChunkDecoder } from './gpt_decode';
import { PREFIX, type Prior, type PriorCondition, type TokenLayout } from './prior';

/**
 * Window schedule for a stream of N chunks when a window holds W chunks and keeps `tail` of the previous one:
 * window w covers tokens [start, end) and produces tokens [first, end) (first = start for the first window;
 * first - start >= tail after it).
 * So the network's size is never capped by the context length.
 */
export function windows(N: number, W: number, tail: number): { start: number; first: number; end: number }[] {
  if (tail >= W) throw new Error(`window overlap ${tail} must be smaller than the window ${W}`);
  const out = [];
  let start = 0, first = 0;
  while (first < N) {
    const end = Math.min(N, start + W);
    out.push({ start, first, end });
    // Keep `tail` tokens of context, or more near the end: the last window is always full (start <= N - W), as
    // every training window is (training draws full windows at any start in [0, N - W]).
    start = Math.max(0, Math.min(end - tail, N - W));
    first = end;
  }
  return out;
}

/** Chunks of context carried from one window to the next. */
export function windowTail(prior: Prior): number {
  return Math.floor(prior.window * prior.config.windowOverlap);
}

export interface SampleCodesOptions {
  /** Number of networks (sampled together as one batch). */
  n: number;
  seed: number;
  sampler?: SamplerOptions;
  /** Classifier-free guidance scale (1 = off; >1 pushes towards the condition). Doubles the batch. */
  guidance?: number;
  /** Use the decoder's KV cache (default true). false recomputes each window prefix at every chunk (baseline). */
  useCache?: boolean;
  /** Called after each code with (done, total). */
  onToken?: (done: number, total: number) => void;
}

/** The previous chunk's codes for chunk steps [a, b) of each sample (-1 = BOS at chunk 0), repeated `reps` times. */
function prevCodes(codes: Int32Array[], a: number, b: number, reps: number, Lc: number): Int32Array {
  const T = b - a;
  const out = new Int32Array(codes.length * reps * T * Lc);
  for (let r = 0; r < reps; r++) {
    codes.forEach((c, i) => {
      for (let t = a; t < b; t++) {
        const o = ((r * codes.length + i) * T + t - a) * Lc;
        if (t === 0) out.fill(-1, o, o + Lc);
        else out.set(c.subarray((t - 1) * Lc, t * Lc), o);
      }
    });
  }
  return out;
}

/**
 * Sample n code streams for one condition, window by window of chunks, batched over the n samples: the trunk runs
 * once per chunk, the depth head once per code of the chunk.
 * @example const codes = sampleCodes(prior, cond, layout, { n: 4, seed: 0, sampler: { topK: 1 } });
 */
export function sampleCodes(prior: Prior, cond: PriorCondition, layout: TokenLayout, opts: SampleCodesOptions): Int32Array[] {
  return sampleScoredCodes(prior, cond, layout, opts).codes;
}

/**
 * sampleCodes, with each stream's coarse log-likelihood: log p of its first-level codes (the level `rank` scores by
 * default), summed over chunks, read off the logits the sampler drew them from. The windows are those of
 * logLikelihood, so this is the same quantity without a second pass over the network (up to float rounding: the
 * cached steps add in another order than one full pass).
 * @example const { codes, coarse } = sampleScoredCodes(prior, cond, layout, { n: 8, seed: 0 });
 */
export function sampleScoredCodes(prior: Prior, cond: PriorCondition, layout: TokenLayout, opts: SampleCodesOptions): { codes: Int32Array[]; coarse: Float64Array } {
  const sopts = samplerOptions(opts.sampler);
  const guidance = opts.guidance ?? 1;
  if (!(guidance >= 0)) throw new Error(`guidance must be >= 0, got ${guidance}`);
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new Error(`n must be a positive integer, got ${opts.n}`);
  const B = opts.n;
  const reps = guidance === 1 ? 1 : 2; // rows [0, B): conditioned; [B, 2B): null conditions
  const BB = B * reps;
  const { codebookSize: C, codesPerChunk: Lc, dModel: d } = prior.config;
  const chunks = layout.places.length;
  const N = chunks * Lc;
  const codes = Array.from({ length: B }, () => new Int32Array(N));
  const coarse = new Float64Array(B);
  const rng = createRng(`sample/${opts.seed}`);
  // Levels from `greedyFrom` on take the most likely code (sampler.ts: sampledLevels, temperature 0, top-k 1).
  const allGreedy = sopts.temperature === 0 || sopts.topK === 1;
  const greedyFrom = allGreedy ? 0 : sopts.sampledLevels > 0 ? Math.min(sopts.sampledLevels, Lc) : Lc;

  const prefix = tf.tidy(() => {
    const conds = Array.from({ length: B }, () => cond);
    const p = prior.prefix(conds);
    return reps === 1 ? p : tf.concat([p, prior.prefix(conds, new Float32Array(B * PREFIX))], 0); // (BB, 3, d)
  });
  const pos = prior.positionEmbedding(prior.features(layout)); // (chunks, d)
  const posRows = (a: number, b: number) => tf.slice(pos, [a, 0], [b - a, d]) as tf.Tensor2D;
  const dec = opts.useCache ?? true ? chunkDecoder(prior, BB, pos) : uncachedDecoder(prior, BB, prefix, pos, codes, reps);
  const chunkCodes = new Int32Array(B * Lc);
  /** The codes of chunk t, level by level through the depth head; level 0 (always drawn here) gives the score. */
  const sampleChunk = (t: number) => {
    const sampled = Math.max(1, greedyFrom);
    for (let k = 0; k < sampled; k++) {
      const all = dec.levelLogits(k); // (BB, C)
      const last = guidedLogits(all, B, C, guidance, BB);
      const next = sampleLogits(last, B, C, k >= greedyFrom ? { ...sopts, temperature: 0 } : sopts, rng);
      for (let b = 0; b < B; b++) codes[b][t * Lc + k] = next[b];
      if (k === 0) for (let b = 0; b < B; b++) coarse[b] += codeLogProb(all, b, C, next[b]);
      dec.push(reps === 1 ? Int32Array.from(next) : Int32Array.from([...next, ...next]), k);
      opts.onToken?.(t * Lc + k + 1, N);
    }
    if (sampled < Lc) {
      dec.greedy(sampled, Lc, B, guidance, chunkCodes);
      for (let b = 0; b < B; b++) codes[b].set(chunkCodes.subarray(b * Lc + sampled, (b + 1) * Lc), t * Lc + sampled);
      opts.onToken?.((t + 1) * Lc, N);
    }
  };

  try {
    for (const w of windows(chunks, prior.window, windowTail(prior))) {
      try {
        // Prefill: prefix + the carried tail + the first new chunk's input, in one pass.
        const x = tf.tidy(() => tf.concat([prefix, prior.chunkInputs(prevCodes(codes, w.start, w.first + 1, reps, Lc), BB, w.first + 1 - w.start, posRows(w.start, w.first + 1))], 1) as tf.Tensor3D);
        try {
          dec.prefill(x);
        } finally {
          x.dispose();
        }
        sampleChunk(w.first);
        for (let t = w.first + 1; t < w.end; t++) {
          dec.step(prevCodes(codes, t, t + 1, reps, Lc), t);
          sampleChunk(t);
        }
      } finally {
        dec.endWindow();
      }
    }
  } finally {
    dec.dispose();
    prefix.dispose();
    pos.dispose();
  }
  return { codes, coarse };
}

/** The baseline without a KV cache: each chunk's features from a full trunk pass over its window so far. */
function uncachedDecoder(prior: Prior, rows: number, prefix: tf.Tensor3D, pos: tf.Tensor2D, codes: Int32Array[], reps: number): ChunkDecoder {
  const { codesPerChunk: Lc, dModel: d } = prior.config;
  const inner = tfjsChunkDecoder(prior, rows, pos);
  let start = -1, prefilled = 0; // the window's first chunk; chunks in its prefill
  return {
    ...inner,
    prefill(x) {
      inner.prefill(x); // a fresh cache holding only this pass: the same ops as a full trunk pass
      inner.endWindow();
      prefilled = x.shape[1] - PREFIX;
      start = -1;
    },
    step(_prev, t) {
      if (start < 0) start = t - prefilled; // the first step after a prefill of chunks [start, t)
      const x = tf.tidy(() => tf.concat([prefix, prior.chunkInputs(prevCodes(codes, start, t + 1, reps, Lc), rows, t + 1 - start, tf.slice(pos, [start, 0], [t + 1 - start, d]) as tf.Tensor2D)], 1) as tf.Tensor3D);
      inner.prefill(x);
      inner.endWindow();
      x.dispose();
    },
  };
}

/**
 * Log-likelihood of code streams under the prior for one condition (teacher forcing, same windows as sampling).
 * Returns the total log p per stream and the mean per code counted. `levels` counts only the first levels of each
 * chunk (default all): the coarse codes, without the fine residual levels that no prior can predict for a network
 * it has not seen (what `rank` scores by).
 * @example const { total, perToken } = logLikelihood(prior, cond, layout, [codesA, codesB]);
 */
export function logLikelihood(prior: Prior, cond: PriorCondition, layout: TokenLayout, streams: Int32Array[], levels?: number): { total: Float64Array; perToken: Float64Array } {
  const { codebookSize: C, codesPerChunk: Lc, dModel: d } = prior.config;
  const chunks = layout.places.length;
  const N = chunks * Lc;
  const L = levels ?? Lc;
  if (!Number.isInteger(L) || L < 1 || L > Lc) throw new Error(`logLikelihood: levels must be an integer from 1 to ${Lc} (codes per chunk), got ${levels}`);
  streams.forEach((s, i) => {
    if (s.length !== N) throw new Error(`logLikelihood: stream ${i} has ${s.length} codes, the layout has ${N} (${chunks} chunks x ${Lc} codes)`);
  });
  const B = streams.length;
  const total = new Float64Array(B);
  const prefix = prior.prefix(Array.from({ length: B }, () => cond));
  const pos = prior.positionEmbedding(prior.features(layout));
  try {
    for (const w of windows(chunks, prior.window, windowTail(prior))) {
      const T = w.end - w.start;
      const targets = new Int32Array(B * T * Lc);
      streams.forEach((s, b) => targets.set(s.subarray(w.start * Lc, w.end * Lc), b * T * Lc));
      const logp = tf.tidy(() => {
        const inputs = prior.chunkInputs(prevCodes(streams, w.start, w.end, 1, Lc), B, T, tf.slice(pos, [w.start, 0], [T, d]) as tf.Tensor2D);
        return tf.logSoftmax(prior.codeLogits(prior.trunk(prefix, inputs), targets)); // (B, T, l, C)
      });
      const lp = logp.dataSync();
      logp.dispose();
      for (let b = 0; b < B; b++) {
        for (let t = w.first; t < w.end; t++) {
          for (let k = 0; k < L; k++) {
            const i = (b * T + t - w.start) * Lc + k;
            total[b] += lp[i * C + targets[i]];
          }
        }
      }
    }
  } finally {
    prefix.dispose();
    pos.dispose();
  }
  return { total, perToken: total.map((x) => x / (chunks * L)) };
}
