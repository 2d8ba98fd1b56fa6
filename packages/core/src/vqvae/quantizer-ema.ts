import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { kindPenalty, lookup, squaredDistances, straightThrough, type EmaUpdated } from './ops';
import type { QuantizerFactory } from './registry';
import type { Rng } from '../rng';
import { hasLiveViews, liveView, ownData } from '../backend/live_data';
import { loadNative, type NativeAddon } from '../backend/native';
import { wasmKernelsMode } from '../backend/kernels';

/** Row indices of each kind (undefined without kinds). */
function rowsByKind(kinds: Int32Array | undefined): Map<number, number[]> | undefined {
  if (!kinds) return undefined;
  const by = new Map<number, number[]>();
  kinds.forEach((k, i) => {
    if (!by.has(k)) by.set(k, []);
    by.get(k)!.push(i);
  });
  return by;
}

/** A random row index of z, among the rows of `kind` when kinds are given and some row has it. */
function pickRow(rng: Pick<Rng, 'int'>, rows: number, byKind: Map<number, number[]> | undefined, kind: number): number {
  const own = byKind?.get(kind);
  return own?.length ? own[rng.int(own.length)] : rng.int(rows);
}

/**
 * Integers for dead-code restarts: mulberry32 (Tommy Ettinger's 32-bit generator) from one seed of `rng`. Early in
 * training thousands of codes restart each step, and seedrandom's ARC4 doubles cost ~1 µs each.
 */
function fastInts(rng: Rng): Pick<Rng, 'int'> {
  let a = rng.tfSeed() | 0;
  return {
    int(n) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    },
  };
}

/**
 * One EMA codebook update in place, float32 op by op (the native addon's emaLevel computes the same bits): zs (M, D),
 * row m's code idx[m * stride + offset]; e, avg (C, D), size (C,). next (M, D), when given, first gets zs − e[code].
 */
export function emaLevelJs(zs: Float32Array, next: Float32Array | null, idx: Int32Array, stride: number, offset: number,
  e: Float32Array, size: Float32Array, avg: Float32Array, decay: number, eps: number): void {
  const C = size.length, D = e.length / C, M = zs.length / D;
  const counts = new Float32Array(C), sums = new Float32Array(C * D);
  for (let m = 0; m < M; m++) {
    const c = idx[m * stride + offset];
    counts[c]++;
    for (let j = 0; j < D; j++) sums[c * D + j] += zs[m * D + j];
    if (next) for (let j = 0; j < D; j++) next[m * D + j] = zs[m * D + j] - e[c * D + j];
  }
  const f = Math.fround, keep = f(decay), take = f(1 - decay), eps32 = f(eps), ceps = f(C * eps);
  let total = 0;
  for (let c = 0; c < C; c++) {
    size[c] = f(size[c] * keep) + f(counts[c] * take);
    total += size[c];
  }
  const n = f(total), denom = f(n + ceps);
  for (let c = 0; c < C; c++) {
    const smoothed = f(f(f(size[c] + eps32) / denom) * n);
    for (let j = 0; j < D; j++) {
      const i = c * D + j;
      avg[i] = f(avg[i] * keep) + f(sums[i] * take);
      e[i] = avg[i] / smoothed;
    }
  }
}

export interface EmaQuantizerOptions {
  codebookSize: number;
  dim: number;
  /** EMA decay of cluster sizes and sums (van den Oord et al. 2017, appendix; lucidrains default 0.8-0.99). */
  decay?: number;
  /** Laplace smoothing of cluster sizes (lucidrains `eps`). */
  eps?: number;
  /** Weight of ||z - sg(q)||^2 (beta = 0.25 in the VQ-VAE paper). */
  commitmentWeight?: number;
  /** Codes whose EMA cluster size falls below this are restarted from batch vectors (lucidrains `threshold_ema_dead_code`). */
  deadCodeThreshold?: number;
  seed?: number;
  /** Variable name prefix; must be unique among live variables. */
  scope?: string;
  /** Chunk kinds with a codebook of their own (default 1: one shared codebook of codebookSize codes). */
  kinds?: number;
}

/**
 * Vector quantizer with an EMA-updated codebook and dead-code restarts. The codebook is not trained by the
 * optimizer: after each step call `update(z, indices, step)`.
 * @example const q = emaQuantizer({ codebookSize: 512, dim: 8 }); const { quantized, indices, commitLoss } = q.quantize(z);
 */
export function emaQuantizer(opts: EmaQuantizerOptions) {
  const nK = opts.kinds ?? 1;
  const C = opts.codebookSize * nK, D = opts.dim; // C: codebook rows, all kinds
  const perKind = opts.codebookSize;
  const decay = opts.decay ?? 0.99, eps = opts.eps ?? 1e-5, beta = opts.commitmentWeight ?? 0.25;
  const threshold = opts.deadCodeThreshold ?? 1;
  const scope = opts.scope ?? 'vq';
  const seed = opts.seed ?? 1;
  const embed = tf.tidy(() => tf.variable<tf.Rank.R2>(tf.randomNormal([C, D], 0, 1, 'float32', createRng(`${seed}/codebook`).tfSeed()), false, `${scope}/embed`)); // (C, D)
  const clusterSize = tf.tidy(() => tf.variable(tf.fill([C], threshold), false, `${scope}/clusterSize`)); // (C,)
  const embedAvg = tf.tidy(() => tf.variable(tf.mul(embed, threshold), false, `${scope}/embedAvg`)); // (C, D)

  /**
   * Dead codes deadIdx (ascending) restart from rows of zs (M, D) picked by (seed, step), of the code's kind with
   * kinds: the code vector is the row, its EMA sum row·threshold, its cluster size threshold. In place.
   */
  const restart = (e: Float32Array, avg: Float32Array, size: Float32Array, deadIdx: number[], zs: Float32Array, step: number, kinds?: Int32Array, native?: NativeAddon) => {
    const rng = fastInts(createRng(`${seed}/restart/${step}`));
    const byKind = rowsByKind(kinds), M = zs.length / D;
    const rows = Int32Array.from(deadIdx, (i) => pickRow(rng, M, byKind, Math.floor(i / perKind)));
    if (native) return native.emaRestart(zs, Int32Array.from(deadIdx), rows, e, avg, size, threshold);
    deadIdx.forEach((i, k) => {
      const r = rows[k];
      for (let j = 0; j < D; j++) {
        e[i * D + j] = zs[r * D + j];
        avg[i * D + j] = zs[r * D + j] * threshold;
      }
      size[i] = threshold;
    });
  };

  /**
   * update() in place on the live codebook data (wasm heap, cpu arrays): host loops (native with the addon, the same
   * bits in JS) instead of ~12 kernels; the same arithmetic as the kernels up to the order of the sums. zs (M, D); row
   * m's code is idx[m * stride + offset] (the residual quantizer passes its (M, levels) codes and the level). With
   * `next` (M, D), first next = zs − code vector, with the codebook as it was. Returns the number of restarted dead codes.
   */
  function updateOnHost(zs: Float32Array, codes: ArrayLike<number>, stride: number, offset: number, step: number, kinds?: Int32Array, next?: Float32Array): number {
    const idx = codes instanceof Int32Array ? codes : Int32Array.from(codes);
    ownData([embed, clusterSize, embedAvg]); // before the views: a copy allocates
    const e = liveView(embed) as Float32Array, size = liveView(clusterSize) as Float32Array, avg = liveView(embedAvg) as Float32Array;
    const native = wasmKernelsMode() === 'native' ? loadNative()?.addon : undefined;
    if (native) native.emaLevel(zs, next ?? null, idx, stride, offset, e, size, avg, decay, eps);
    else emaLevelJs(zs, next ?? null, idx, stride, offset, e, size, avg, decay, eps);
    const deadIdx: number[] = [];
    for (let c = 0; c < C; c++) if (size[c] < threshold) deadIdx.push(c);
    if (deadIdx.length) restart(e, avg, size, deadIdx, zs, step, kinds, native);
    return deadIdx.length;
  }

  const quantizer: EmaUpdated & { updateOnHost: typeof updateOnHost } = {
    kind: 'ema',
    codebookSize: perKind,
    dim: D,
    variables: [embed, clusterSize, embedAvg],
    trainable: [],
    quantize(z, o = {}) {
      return tf.tidy(() => {
        const d = squaredDistances(z, embed); // (M, C)
        const indices = tf.argMin(o.kinds && nK > 1 ? tf.add(d, kindPenalty(o.kinds, nK, perKind)) : d, 1) as tf.Tensor1D; // (M,)
        const q = lookup(embed, indices); // (M, D), no gradient to the codebook (EMA updates it)
        const commitLoss = tf.mul(beta, tf.mean(tf.square(tf.sub(z, q)))) as tf.Scalar;
        return { quantized: straightThrough(z, q), indices, commitLoss };
      });
    },
    lookup: (indices) => lookup(embed, indices),
    codebook: () => embed,
    /**
     * EMA codebook update from this batch's (detached) latents, then restart dead codes from random batch rows (of
     * the code's own kind when `kinds` (M,) is given).
     */
    update(z, indices, step, kinds?: Int32Array) {
      if (hasLiveViews()) return { deadCodes: updateOnHost(z.dataSync() as Float32Array, indices.dataSync(), 1, 0, step, kinds) };
      let dead = 0;
      tf.tidy(() => {
        const onehot = tf.oneHot(tf.cast(indices, 'int32'), C); // (M, C)
        const counts = tf.sum(onehot, 0); // (C,)
        const sums = tf.matMul(onehot, z, true, false); // (C, D)
        clusterSize.assign(tf.add(tf.mul(clusterSize, decay), tf.mul(counts, 1 - decay)));
        embedAvg.assign(tf.add(tf.mul(embedAvg, decay), tf.mul(sums, 1 - decay)));
        const n = tf.sum(clusterSize);
        const smoothed = tf.mul(tf.div(tf.add(clusterSize, eps), tf.add(n, C * eps)), n); // (C,)
        embed.assign(tf.div(embedAvg, tf.expandDims(smoothed, 1)));
        // dead codes: replace by batch vectors chosen from (seed, step) so a resumed run restarts identically. Done on
        // the host: with per-kind codebooks most codes of a rare kind can be dead at once, and a one-hot scatter of
        // (dead, C) would cost dead * C.
        const sizes = clusterSize.dataSync() as Float32Array;
        const deadIdx: number[] = [];
        sizes.forEach((s, i) => { if (s < threshold) deadIdx.push(i); });
        dead = deadIdx.length;
        if (!dead) return;
        const e = Float32Array.from(embed.dataSync() as Float32Array), avg = Float32Array.from(embedAvg.dataSync() as Float32Array), size = Float32Array.from(sizes);
        restart(e, avg, size, deadIdx, z.dataSync() as Float32Array, step, kinds);
        embed.assign(tf.tensor2d(e, [C, D]));
        embedAvg.assign(tf.tensor2d(avg, [C, D]));
        clusterSize.assign(tf.tensor1d(size));
      });
      return { deadCodes: dead };
    },
    updateOnHost,
    /** Data-dependent init: the codebook starts as C random rows of z (of each code's kind when `kinds` is given). */
    initFrom(z, step, kinds?: Int32Array) {
      tf.tidy(() => {
        const rng = createRng(`${seed}/init/${step}`);
        const byKind = rowsByKind(kinds);
        const rows = Array.from({ length: C }, (_, i) => pickRow(rng, z.shape[0], byKind, Math.floor(i / perKind)));
        const picked = tf.gather(z, rows); // (C, D)
        embed.assign(picked);
        embedAvg.assign(tf.mul(picked, threshold));
        clusterSize.assign(tf.fill([C], threshold));
      });
    },
    dispose: () => tf.dispose([embed, clusterSize, embedAvg]),
  };
  return quantizer;
}
export type EmaQuantizer = ReturnType<typeof emaQuantizer>;

/** Registry entry 'ema' (quantizers.ts): the product quantizer, l slices of the latent with one code each. */
export const emaFactory: QuantizerFactory = {
  rowsPerChunk: (levels) => levels,
  perKindCodebooks: true,
  create: (o) => emaQuantizer({
    codebookSize: o.codebookSize, dim: o.dim, decay: o.decay, commitmentWeight: o.commitmentWeight, deadCodeThreshold: o.deadCodeThreshold,
    seed: o.seed, kinds: o.kinds, scope: o.scope,
  }),
};
