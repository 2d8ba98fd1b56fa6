import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { sampleLogits, samplerOptions, type SamplerOptions } from '../sampler';
import { disposeCache } from './decoder';
import { PREFIX, type Prior, type PriorCondition, type TokenLayout } from './prior';

/**
 * Window schedule for a stream of N tokens when a window holds W tokens and keeps `tail` of the previous one:
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

/** Tokens of context carried from one window to the next. */
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
  /** Use the decoder's KV cache (default true). false recomputes each window prefix at every token (baseline). */
  useCache?: boolean;
  /** Called after each token with (done, total). */
  onToken?: (done: number, total: number) => void;
}

/** Previous-code ids of tokens [a, b) for each sample: code_{t-1}, or -1 (BOS) at t = 0. */
function prevCodes(codes: Int32Array[], a: number, b: number, reps: number): Int32Array {
  const L = b - a;
  const out = new Int32Array(codes.length * reps * L);
  for (let r = 0; r < reps; r++) {
    codes.forEach((c, i) => {
      for (let t = a; t < b; t++) out[(r * codes.length + i) * L + t - a] = t === 0 ? -1 : c[t - 1];
    });
  }
  return out;
}

/**
 * Sample n code streams for one condition, window by window, batched over the n samples.
 * @example const codes = sampleCodes(prior, cond, layout, { n: 4, seed: 0, sampler: { topK: 1 } });
 */
export function sampleCodes(prior: Prior, cond: PriorCondition, layout: TokenLayout, opts: SampleCodesOptions): Int32Array[] {
  const sopts = samplerOptions(opts.sampler);
  const guidance = opts.guidance ?? 1;
  if (!(guidance >= 0)) throw new Error(`guidance must be >= 0, got ${guidance}`);
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new Error(`n must be a positive integer, got ${opts.n}`);
  const B = opts.n;
  const reps = guidance === 1 ? 1 : 2; // rows [0, B): conditioned; [B, 2B): null conditions
  const BB = B * reps;
  const C = prior.config.codebookSize;
  const N = layout.places.length * prior.config.codesPerChunk;
  const codes = Array.from({ length: B }, () => new Int32Array(N));
  const rng = createRng(`sample/${opts.seed}`);
  const useCache = opts.useCache ?? true;

  const prefix = tf.tidy(() => {
    const conds = Array.from({ length: B }, () => cond);
    const p = prior.prefix(conds);
    return reps === 1 ? p : tf.concat([p, prior.prefix(conds, new Float32Array(B * PREFIX))], 0); // (BB, 3, d)
  });
  const pos = prior.positionEmbedding(prior.features(layout)); // (N, d)
  const d = prior.config.dModel;
  const posRows = (a: number, b: number) => tf.slice(pos, [a, 0], [b - a, d]) as tf.Tensor2D;
  const pick = (logits: tf.Tensor3D, t: number) => {
    // logits (BB, L, C): take the last position, combine CFG rows, sample.
    const L = logits.shape[1];
    const all = logits.dataSync() as Float32Array;
    const last = new Float32Array(B * C);
    for (let b = 0; b < B; b++) {
      const c = all.subarray((b * L + L - 1) * C, (b * L + L) * C);
      if (reps === 1) last.set(c, b * C);
      else {
        const u = all.subarray(((B + b) * L + L - 1) * C, ((B + b) * L + L) * C);
        for (let v = 0; v < C; v++) last[b * C + v] = u[v] + guidance * (c[v] - u[v]);
      }
    }
    const next = sampleLogits(last, B, C, sopts, rng);
    for (let b = 0; b < B; b++) codes[b][t] = next[b];
    opts.onToken?.(t + 1, N);
  };

  try {
    for (const w of windows(N, prior.window, windowTail(prior))) {
      if (useCache) {
        const cache = prior.decoder.createCache(BB);
        try {
          // Prefill: prefix + the carried tail + the first new token's input, in one pass.
          const first = tf.tidy(() => {
            const inputs = prior.tokenInputs(prevCodes(codes, w.start, w.first + 1, reps), BB, w.first + 1 - w.start, posRows(w.start, w.first + 1));
            return prior.decoder.forwardStep(tf.concat([prefix, inputs], 1) as tf.Tensor3D, cache);
          });
          pick(first, w.first);
          first.dispose();
          for (let t = w.first + 1; t < w.end; t++) {
            const logits = tf.tidy(() => prior.decoder.forwardStep(prior.tokenInputs(prevCodes(codes, t, t + 1, reps), BB, 1, posRows(t, t + 1)), cache));
            pick(logits, t);
            logits.dispose();
          }
        } finally {
          disposeCache(cache);
        }
      } else {
        for (let t = w.first; t < w.end; t++) {
          const logits = tf.tidy(() => {
            const inputs = prior.tokenInputs(prevCodes(codes, w.start, t + 1, reps), BB, t + 1 - w.start, posRows(w.start, t + 1));
            const out = prior.logits(prefix, inputs); // (BB, L, C)
            const [, L] = out.shape;
            return tf.slice(out, [0, L - 1, 0], [BB, 1, C]) as tf.Tensor3D;
          });
          pick(logits, t);
          logits.dispose();
        }
      }
    }
  } finally {
    prefix.dispose();
    pos.dispose();
  }
  return codes;
}

/**
 * Log-likelihood of code streams under the prior for one condition (teacher forcing, same windows as sampling).
 * Returns the total log p per stream and the mean per token.
 * @example const { total, perToken } = logLikelihood(prior, cond, layout, [codesA, codesB]);
 */
export function logLikelihood(prior: Prior, cond: PriorCondition, layout: TokenLayout, streams: Int32Array[]): { total: Float64Array; perToken: Float64Array } {
  const N = layout.places.length * prior.config.codesPerChunk;
  streams.forEach((s, i) => {
    if (s.length !== N) throw new Error(`logLikelihood: stream ${i} has ${s.length} codes, the layout has ${N} tokens`);
  });
  const B = streams.length;
  const C = prior.config.codebookSize;
  const total = new Float64Array(B);
  const prefix = prior.prefix(Array.from({ length: B }, () => cond));
  const pos = prior.positionEmbedding(prior.features(layout));
  try {
    for (const w of windows(N, prior.window, windowTail(prior))) {
      const L = w.end - w.start;
      const logp = tf.tidy(() => {
        const inputs = prior.tokenInputs(prevCodes(streams, w.start, w.end, 1), B, L, tf.slice(pos, [w.start, 0], [L, prior.config.dModel]) as tf.Tensor2D);
        return tf.logSoftmax(prior.logits(prefix, inputs)); // (B, L, C)
      });
      const lp = logp.dataSync();
      logp.dispose();
      for (let b = 0; b < B; b++) for (let t = w.first; t < w.end; t++) total[b] += lp[(b * L + t - w.start) * C + streams[b][t]];
    }
  } finally {
    prefix.dispose();
    pos.dispose();
  }
  return { total, perToken: total.map((x) => x / N) };
}
