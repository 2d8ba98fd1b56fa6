import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from '../backend/init';
import { loadNative, type NativeAddon } from '../backend/native';
import { GPT } from './gpt';
import { disposeCache, type DecoderCache } from './decoder';
import { tfjsChunkDecoder, type ChunkDecoder } from './gpt_decode';
import type { Prior } from './prior';

/*
 * The per-chunk decode of gpt_decode.ts in the native addon (native/igpg_native.c: gptDecodeStep, depthLogits,
 * depthPush, depthGreedy). Sampling one chunk through tfjs costs one trunk step and l depth-head steps of about a
 * dozen kernels each, ~5-15 µs of dispatch per kernel for a few microseconds of arithmetic; here a trunk step is one
 * call and a chunk's greedy levels another. The window's prefill (one pass over its first tokens) stays in tfjs and
 * its keys and values are copied into the addon's cache. Each native op is the op the wasm backend with the addon
 * runs for the tfjs path (the same sgemm shapes, LayerNorm, GELU and attention code), so the codes are identical:
 * native_decode.test.ts checks it.
 */

/** Sizes and offsets of the packed weights, in native/igpg_native.c's DP_* / DL_* order. */
const PLAN_HEAD = ['d', 'nh', 'L', 'ctx', 'Lc', 'C', 'H', 'wpe', 'inEmbed', 'depthEmbed', 'level', 'w1', 'b1', 'w2', 'b2', 'lnfg', 'lnfb', 'head'] as const;
const PLAN_LAYER = ['ln1g', 'ln1b', 'qkv', 'qkvBias', 'wo', 'bo', 'ln2g', 'ln2b', 'wfc', 'bfc', 'wproj', 'bproj'] as const;
const FUNCTIONS = ['gptDecodeStep', 'depthLogits', 'depthPush', 'depthGreedy'] as const;

/** The native decode functions of the addon (absent from an addon built before them). */
type DecodeAddon = Pick<NativeAddonWithDecode, (typeof FUNCTIONS)[number]>;
interface NativeAddonWithDecode extends NativeAddon {
  gptDecodeStep(w: Float32Array, plan: Int32Array, kv: Float32Array, prev: Int32Array, pos: Float32Array, posOff: number, h: Float32Array, rows: number, p0: number, parallel?: boolean): void;
  depthLogits(w: Float32Array, plan: Int32Array, h: Float32Array, acc: Float32Array, logits: Float32Array, rows: number, k: number, parallel?: boolean): void;
  depthPush(w: Float32Array, plan: Int32Array, acc: Float32Array, codes: Int32Array, rows: number, k: number): void;
  depthGreedy(w: Float32Array, plan: Int32Array, h: Float32Array, acc: Float32Array, out: Int32Array, rows: number, n: number, k0: number, k1: number, guidance: number, parallel?: boolean): void;
}

/**
 * IGPG_NATIVE_DECODE=parallel shares each product of the native decode with the addon's BLAS threads (its sgemm
 * tiles, so the same bits). Off by default: on the 2-core machine it was measured on, with other jobs filling both
 * cores, the second thread cost CPU time and saved no wall time (bench/README.md, generate-bundle).
 */
function decodeParallel(): boolean {
  return process.env.IGPG_NATIVE_DECODE === 'parallel';
}

/**
 * The addon's decode functions when the native decode applies: the addon is loaded and has them, the backend is
 * wasm running with it (so the tfjs path it must match uses the same kernels), and IGPG_NATIVE_DECODE is not 'off'.
 */
export function nativeDecodeAddon(): DecodeAddon | null {
  const mode = process.env.IGPG_NATIVE_DECODE;
  if (mode && !['on', 'off', 'parallel'].includes(mode)) throw new Error(`IGPG_NATIVE_DECODE must be 'on', 'off' or 'parallel', got '${mode}'`);
  if (mode === 'off') return null;
  const b = currentBackend();
  if (!b || b.name !== 'wasm' || !b.native) return null;
  const addon = loadNative()?.addon as Partial<NativeAddonWithDecode> | undefined;
  if (!addon || FUNCTIONS.some((f) => typeof addon[f] !== 'function')) return null;
  return addon as DecodeAddon;
}

/** The prior's weights packed into one array, with the plan that locates each. */
function packWeights(prior: Prior, gpt: GPT): { w: Float32Array; plan: Int32Array } {
  const { dModel: d, nHeads: nh, nLayers: L, contextLength: ctx, codesPerChunk: Lc, codebookSize: C, depthHidden: H } = prior.config;
  const step = gpt.stepWeights();
  const head = prior.headWeights();
  const parts: Float32Array[] = [];
  let size = 0;
  const place = (a: Float32Array) => {
    parts.push(a);
    size += a.length;
    return size - a.length;
  };
  const sizes = { d, nh, L, ctx, Lc, C, H };
  const offsets: Record<string, number> = {
    wpe: place(step.wpe), inEmbed: place(head.inEmbed), depthEmbed: place(head.depthEmbed), level: place(head.level),
    w1: place(head.w1), b1: place(head.b1), w2: place(head.w2), b2: place(head.b2), lnfg: place(step.lnfg), lnfb: place(step.lnfb), head: place(step.head),
  };
  const layerOffsets = step.layers.flatMap((l) => PLAN_LAYER.map((name) => place(l[name])));
  const plan = Int32Array.from([...PLAN_HEAD.map((k) => (k in sizes ? sizes[k as keyof typeof sizes] : offsets[k])), ...layerOffsets]);
  const w = new Float32Array(size);
  let o = 0;
  for (const p of parts) {
    w.set(p, o);
    o += p.length;
  }
  return { w, plan };
}

/**
 * The native ChunkDecoder for `rows` sequences; null when the native decode does not apply (see nativeDecodeAddon)
 * or the prior's decoder is not prior/gpt.ts's GPT. `pos` (chunks, d) is the layout's position embedding.
 * @example const dec = nativeChunkDecoder(prior, 4, pos) ?? tfjsChunkDecoder(prior, 4, pos);
 */
function nativeChunkDecoder(prior: Prior, rows: number, pos: tf.Tensor2D): ChunkDecoder | null {
  const addon = nativeDecodeAddon();
  if (!addon || !(prior.decoder instanceof GPT)) return null;
  const gpt = prior.decoder;
  const { dModel: d, nHeads: nh, nLayers: L, contextLength: ctx, codesPerChunk: Lc, codebookSize: C } = prior.config;
  const hs = d / nh;
  const { w, plan } = packWeights(prior, gpt);
  const posRows = pos.dataSync() as Float32Array; // (chunks, d)
  const S = rows * nh * ctx * hs; // floats per layer's keys (or values)
  const kv = new Float32Array(2 * L * S);
  const h = new Float32Array(rows * d);
  const acc = new Float32Array(rows * d);
  const logits = new Float32Array(rows * C);
  const parallel = decodeParallel();
  let filled = 0; // positions the cache holds
  const dec: ChunkDecoder = {
    rows,
    prefill(x) {
      // the window's first pass through tfjs, then its keys and values into the addon's (rows, nh, ctx, hs) buffers
      const cache: DecoderCache = gpt.createCache(rows);
      try {
        const last = tf.tidy(() => {
          const f = gpt.forwardStep(x, cache); // (rows, T, d)
          return tf.slice(f, [0, f.shape[1] - 1, 0], [rows, 1, d]);
        });
        h.set(last.dataSync());
        last.dispose();
        const T = x.shape[1];
        cache.layers.forEach((l: { k: tf.Tensor4D; v: tf.Tensor4D }, i: number) => {
          [l.k, l.v].forEach((t, j) => {
            const src = t.dataSync(); // (rows, nh, T, hs)
            const base = (2 * i + j) * S;
            for (let m = 0; m < rows * nh; m++) kv.set(src.subarray(m * T * hs, (m + 1) * T * hs), base + m * ctx * hs);
          });
        });
        filled = T;
      } finally {
        disposeCache(cache);
      }
      acc.fill(0);
    },
    step(prev, t) {
      if (filled + 1 > ctx) throw new Error(`native decode: sequence of ${filled + 1} tokens exceeds contextLength ${ctx}`);
      if (prev.length !== rows * Lc) throw new Error(`native decode: expected ${rows * Lc} previous codes, got ${prev.length}`);
      addon.gptDecodeStep(w, plan, kv, prev, posRows, t * d, h, rows, filled, parallel);
      filled++;
      acc.fill(0);
    },
    levelLogits(k) {
      addon.depthLogits(w, plan, h, acc, logits, rows, k, parallel);
      return logits.slice();
    },
    push(codes, k) {
      addon.depthPush(w, plan, acc, codes, rows, k);
    },
    greedy(k0, k1, n, guidance, out) {
      if (k0 < k1) addon.depthGreedy(w, plan, h, acc, out, rows, n, k0, k1, guidance, parallel);
    },
    endWindow() {
      filled = 0;
    },
    dispose() {},
  };
  return dec;
}

/**
 * The decoder sampling uses: native when it applies (IGPG_NATIVE_DECODE=off forces tfjs), else the tfjs reference.
 * @example const dec = chunkDecoder(prior, 8, pos);
 */
export function chunkDecoder(prior: Prior, rows: number, pos: tf.Tensor2D): ChunkDecoder {
  return nativeChunkDecoder(prior, rows, pos) ?? tfjsChunkDecoder(prior, rows, pos);
}
