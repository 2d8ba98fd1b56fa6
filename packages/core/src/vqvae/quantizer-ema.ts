import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { lookup, squaredDistances, straightThrough, type Quantizer } from './ops';

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
}

/**
 * Vector quantizer with an EMA-updated codebook and dead-code restarts. The codebook is not trained by the
 * optimizer: after each step call `update(z, indices, step)`.
 * @example const q = emaQuantizer({ codebookSize: 512, dim: 8 }); const { quantized, indices, commitLoss } = q.quantize(z);
 */
export function emaQuantizer(opts: EmaQuantizerOptions) {
  const C = opts.codebookSize, D = opts.dim;
  const decay = opts.decay ?? 0.99, eps = opts.eps ?? 1e-5, beta = opts.commitmentWeight ?? 0.25;
  const threshold = opts.deadCodeThreshold ?? 1;
  const scope = opts.scope ?? 'vq';
  const seed = opts.seed ?? 1;
  const embed = tf.tidy(() => tf.variable<tf.Rank.R2>(tf.randomNormal([C, D], 0, 1, 'float32', createRng(`${seed}/codebook`).tfSeed()), false, `${scope}/embed`)); // (C, D)
  const clusterSize = tf.tidy(() => tf.variable(tf.fill([C], threshold), false, `${scope}/clusterSize`)); // (C,)
  const embedAvg = tf.tidy(() => tf.variable(tf.mul(embed, threshold), false, `${scope}/embedAvg`)); // (C, D)

  const quantizer: Quantizer & {
    update(z: tf.Tensor2D, indices: tf.Tensor1D, step: number): { deadCodes: number };
    initFrom(z: tf.Tensor2D, step: number): void;
  } = {
    kind: 'ema',
    codebookSize: C,
    dim: D,
    variables: [embed, clusterSize, embedAvg],
    trainable: [],
    quantize(z) {
      return tf.tidy(() => {
        const indices = tf.argMin(squaredDistances(z, embed), 1) as tf.Tensor1D; // (M,)
        const q = lookup(embed, indices); // (M, D), no gradient to the codebook (EMA updates it)
        const commitLoss = tf.mul(beta, tf.mean(tf.square(tf.sub(z, q)))) as tf.Scalar;
        return { quantized: straightThrough(z, q), indices, commitLoss };
      });
    },
    lookup: (indices) => lookup(embed, indices),
    codebook: () => embed,
    /** EMA codebook update from this batch's (detached) latents, then restart dead codes from random batch rows. */
    update(z, indices, step) {
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
        // dead codes: replace by batch vectors chosen from (seed, step) so a resumed run restarts identically
        const sizes = clusterSize.dataSync();
        const deadIdx: number[] = [];
        sizes.forEach((s, i) => { if (s < threshold) deadIdx.push(i); });
        dead = deadIdx.length;
        if (!dead) return;
        const rng = createRng(`${seed}/restart/${step}`);
        const rows = deadIdx.map(() => rng.int(z.shape[0]));
        const picked = tf.gather(z, rows); // (dead, D)
        const mask = tf.reshape(tf.sum(tf.oneHot(deadIdx, C), 0), [C, 1]); // (C, 1): 1 on dead codes
        const scatter = tf.matMul(tf.oneHot(deadIdx, C), picked, true, false); // (C, D)
        const keep = tf.sub(1, mask);
        embed.assign(tf.add(tf.mul(embed, keep), scatter));
        embedAvg.assign(tf.add(tf.mul(embedAvg, keep), tf.mul(scatter, threshold)));
        clusterSize.assign(tf.add(tf.mul(clusterSize, tf.reshape(keep, [C])), tf.mul(tf.reshape(mask, [C]), threshold)));
      });
      return { deadCodes: dead };
    },
    /** Data-dependent init: the codebook starts as C random rows of z (fewer rows: repeated). */
    initFrom(z, step) {
      tf.tidy(() => {
        const rng = createRng(`${seed}/init/${step}`);
        const rows = Array.from({ length: C }, () => rng.int(z.shape[0]));
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
