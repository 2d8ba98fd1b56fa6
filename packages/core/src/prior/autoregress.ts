import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { sampleLogits, samplerOptions, type SamplerOptions } from '../sampler';
import { disposeCache } from './decoder';
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
  const rng = createRng(`sample/${opts.seed}`);
  const useCache = opts.useCache ?? true;

  const prefix = tf.tidy(() => {
    const conds = Array.from({ length: B }, () => cond);
    const p = prior.prefix(conds);
    return reps === 1 ? p : tf.concat([p, prior.prefix(conds, new Float32Array(B * PREFIX))], 0); // (BB, 3, d)
  });
  const pos = prior.positionEmbedding(prior.features(layout)); // (chunks, d)
  const posRows = (a: number, b: number) => tf.slice(pos, [a, 0], [b - a, d]) as tf.Tensor2D;
  /** The codes of chunk t from its trunk features (BB, d): level by level through the depth head. */
  const sampleChunk = (h: tf.Tensor2D, t: number) => {
    let acc = tf.zeros([BB, d]) as tf.Tensor2D;
    for (let k = 0; k < Lc; k++) {
      const logits = prior.levelLogits(h, acc, k); // (BB, C)
      const all = logits.dataSync() as Float32Array;
      logits.dispose();
      const last = reps === 1 ? all : new Float32Array(B * C);
      if (reps === 2) for (let i = 0; i < B * C; i++) last[i] = all[B * C + i] + guidance * (all[i] - all[B * C + i]);
      const greedy = sopts.sampledLevels > 0 && k >= sopts.sampledLevels;
      const next = sampleLogits(last, B, C, greedy ? { ...sopts, temperature: 0 } : sopts, rng);
      for (let b = 0; b < B; b++) codes[b][t * Lc + k] = next[b];
      const picked = reps === 1 ? Int32Array.from(next) : Int32Array.from([...next, ...next]);
      const e = prior.levelEmbedding(picked, k);
      const sum = tf.add(acc, e) as tf.Tensor2D;
      tf.dispose([acc, e]);
      acc = sum;
      opts.onToken?.(t * Lc + k + 1, N);
    }
    acc.dispose();
  };
  const lastRow = (f: tf.Tensor3D) => tf.tidy(() => tf.reshape(tf.slice(f, [0, f.shape[1] - 1, 0], [BB, 1, d]), [BB, d]) as tf.Tensor2D);

  try {
    for (const w of windows(chunks, prior.window, windowTail(prior))) {
      if (useCache) {
        const cache = prior.decoder.createCache(BB);
        try {
          // Prefill: prefix + the carried tail + the first new chunk's input, in one pass.
          const first = tf.tidy(() => {
            const inputs = prior.chunkInputs(prevCodes(codes, w.start, w.first + 1, reps, Lc), BB, w.first + 1 - w.start, posRows(w.start, w.first + 1));
            return lastRow(prior.decoder.forwardStep(tf.concat([prefix, inputs], 1) as tf.Tensor3D, cache));
          });
          sampleChunk(first, w.first);
          first.dispose();
          for (let t = w.first + 1; t < w.end; t++) {
            const h = tf.tidy(() => lastRow(prior.decoder.forwardStep(prior.chunkInputs(prevCodes(codes, t, t + 1, reps, Lc), BB, 1, posRows(t, t + 1)), cache)));
            sampleChunk(h, t);
            h.dispose();
          }
        } finally {
          disposeCache(cache);
        }
      } else {
        for (let t = w.first; t < w.end; t++) {
          const h = tf.tidy(() => lastRow(prior.trunk(prefix, prior.chunkInputs(prevCodes(codes, w.start, t + 1, reps, Lc), BB, t + 1 - w.start, posRows(w.start, t + 1)))));
          sampleChunk(h, t);
          h.dispose();
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
