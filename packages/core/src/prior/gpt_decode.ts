import * as tf from '@tensorflow/tfjs-core';
import { argmax } from '../sampler';
import { disposeCache, type DecoderCache } from './decoder';
import type { Prior } from './prior';

/**
 * The prior's per-chunk decode for `rows` sequences at once (rows = samples, doubled under classifier-free guidance),
 * one window of chunks at a time: the trunk's cached step gives the chunk's features, the depth head its codes level
 * by level. Two implementations compute the same floats: the tfjs one below (the reference) and the native one
 * (native_decode.ts, one addon call per trunk step and per run of greedy levels, without ~25 kernel dispatches each).
 */
export interface ChunkDecoder {
  readonly rows: number;
  /** Start a window: x (rows, T, d) = prefix + carried tail + the first new chunk's input; its last row's features become the current chunk's. */
  prefill(x: tf.Tensor3D): void;
  /** Next chunk t of the window: prev (rows·l) holds chunk t−1's codes of every row; the depth head restarts. */
  step(prev: Int32Array, t: number): void;
  /** Logits (rows, C) of level k of the current chunk, given the levels pushed so far. */
  levelLogits(k: number): Float32Array;
  /** Level k's codes of every row (rows,): what the chunk's finer levels see. */
  push(codes: Int32Array, k: number): void;
  /** Levels [k0, k1) by argmax (of the guided logits when rows = 2n), pushed; code k of sequence b goes to out[b·l + k]. */
  greedy(k0: number, k1: number, n: number, guidance: number, out: Int32Array): void;
  /** End the window (frees its KV cache). */
  endWindow(): void;
  dispose(): void;
}

/** Guided logits of n sequences from rows [0, n) conditioned and [n, 2n) not: u + g·(c − u) (all of `all` when rows = n). */
export function guidedLogits(all: Float32Array, n: number, C: number, guidance: number, rows: number): Float32Array {
  if (rows === n) return all;
  const out = new Float32Array(n * C);
  for (let i = 0; i < n * C; i++) out[i] = all[n * C + i] + guidance * (all[i] - all[n * C + i]);
  return out;
}

/** log softmax(row)[code] in double: a code's log-probability under the prior (the candidates' score). */
export function codeLogProb(logits: Float32Array, row: number, C: number, code: number): number {
  let max = -Infinity;
  for (let v = 0; v < C; v++) max = Math.max(max, logits[row * C + v]);
  let sum = 0;
  for (let v = 0; v < C; v++) sum += Math.exp(logits[row * C + v] - max);
  return logits[row * C + code] - max - Math.log(sum);
}

/**
 * The reference decode: tfjs ops through the prior and its GPT's KV cache (GPT.forwardStep, Prior.levelLogits).
 * `pos` (chunks, d) is the layout's position embedding; it stays the caller's.
 * @example const dec = tfjsChunkDecoder(prior, 4, pos);
 */
export function tfjsChunkDecoder(prior: Prior, rows: number, pos: tf.Tensor2D): ChunkDecoder {
  const { codebookSize: C, codesPerChunk: Lc, dModel: d } = prior.config;
  let cache: DecoderCache = null;
  let h: tf.Tensor2D | null = null; // (rows, d) features of the current chunk
  let acc: tf.Tensor2D | null = null; // (rows, d) sum of the chunk's pushed level embeddings
  const lastRow = (f: tf.Tensor3D) => tf.reshape(tf.slice(f, [0, f.shape[1] - 1, 0], [rows, 1, d]), [rows, d]) as tf.Tensor2D;
  const setChunk = (next: tf.Tensor2D) => {
    tf.dispose([h!, acc!].filter(Boolean));
    h = next;
    acc = tf.zeros([rows, d]);
  };
  const dec: ChunkDecoder = {
    rows,
    prefill(x) {
      cache = prior.decoder.createCache(rows);
      setChunk(tf.tidy(() => lastRow(prior.decoder.forwardStep(x, cache))));
    },
    step(prev, t) {
      setChunk(tf.tidy(() => lastRow(prior.decoder.forwardStep(prior.chunkInputs(prev, rows, 1, tf.slice(pos, [t, 0], [1, d]) as tf.Tensor2D), cache))));
    },
    levelLogits(k) {
      const logits = prior.levelLogits(h!, acc!, k); // (rows, C)
      const all = logits.dataSync() as Float32Array;
      logits.dispose();
      return all;
    },
    push(codes, k) {
      const e = prior.levelEmbedding(codes, k);
      const sum = tf.add(acc!, e) as tf.Tensor2D;
      tf.dispose([acc!, e]);
      acc = sum;
    },
    greedy(k0, k1, n, guidance, out) {
      for (let k = k0; k < k1; k++) {
        const last = guidedLogits(dec.levelLogits(k), n, C, guidance, rows);
        const picked = new Int32Array(rows);
        for (let b = 0; b < n; b++) {
          picked[b] = out[b * Lc + k] = argmax(last.subarray(b * C, (b + 1) * C));
          if (rows !== n) picked[n + b] = picked[b];
        }
        dec.push(picked, k);
      }
    },
    endWindow() {
      disposeCache(cache);
      cache = null;
    },
    dispose() {
      dec.endWindow();
      tf.dispose([h!, acc!].filter(Boolean));
      h = acc = null;
    },
  };
  return dec;
}
