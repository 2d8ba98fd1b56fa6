import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { normalVariable, zerosVariable } from '../nn/init';
import { lookup, stopGradient, type Quantizer } from './ops';
import type { QuantizerFactory } from './registry';

export interface GumbelQuantizerOptions {
  codebookSize: number;
  dim: number;
  /** Temperature schedule: tau(step) = max(minTemperature, temperature * exp(-anneal * step)). The IGPG paper anneals towards ~1e-4. */
  temperature?: number;
  minTemperature?: number;
  anneal?: number;
  /** Hard one-hot forward with soft gradients (Jang et al. 2017, straight-through Gumbel). */
  hard?: boolean;
  /** Weight of KL(q(code|z) || uniform), which keeps codes in use (DALL-E dVAE). */
  klWeight?: number;
  seed?: number;
  scope?: string;
}

/** The temperature at a step. */
export function gumbelTemperature(o: Pick<GumbelQuantizerOptions, 'temperature' | 'minTemperature' | 'anneal'>, step: number): number {
  return Math.max(o.minTemperature ?? 1e-4, (o.temperature ?? 1) * Math.exp(-(o.anneal ?? 1e-3) * step));
}

/**
 * Gumbel-softmax quantizer (the IGPG paper's): z (M, D) -> logits (M, C) -> relaxed one-hot -> codebook mix.
 * Training samples with seeded Gumbel noise at the annealed temperature; inference takes argmax.
 * @example const q = gumbelQuantizer({ codebookSize: 512, dim: 8 }); q.quantize(z, { training: true, seed: 3, step: 10 });
 */
export function gumbelQuantizer(opts: GumbelQuantizerOptions) {
  const C = opts.codebookSize, D = opts.dim;
  const scope = opts.scope ?? 'gumbel';
  const rng = createRng(`${opts.seed ?? 1}/gumbel`);
  const proj = normalVariable([D, C], 1 / Math.sqrt(D), rng.tfSeed(), `${scope}/proj`); // (D, C), LeCun as nn/init's dense
  const projB = zerosVariable([C], `${scope}/projB`); // (C,)
  const embed = normalVariable([C, D], 1, rng.tfSeed(), `${scope}/embed`) as tf.Variable<tf.Rank.R2>; // (C, D)
  const hard = opts.hard ?? true;
  const klWeight = opts.klWeight ?? 5e-4;

  const quantizer: Quantizer = {
    kind: 'gumbel',
    codebookSize: C,
    dim: D,
    variables: [proj, projB, embed],
    trainable: [proj, projB, embed],
    quantize(z, o = {}) {
      return tf.tidy(() => {
        const logits = tf.add(tf.matMul(z, proj), projB) as tf.Tensor2D; // (M, C)
        const indices = tf.argMax(logits, 1) as tf.Tensor1D; // (M,)
        const logp = tf.logSoftmax(logits); // (M, C)
        // KL to uniform = sum p log p + log C, averaged over rows
        const kl = tf.add(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), 1)), Math.log(C));
        const commitLoss = tf.mul(klWeight, kl) as tf.Scalar;
        if (!o.training) return { quantized: lookup(embed, indices), indices, commitLoss };
        const tau = gumbelTemperature(opts, o.step ?? 0);
        const u = tf.randomUniform(logits.shape, 1e-10, 1, 'float32', o.seed); // seeded per step by the caller
        const g = tf.neg(tf.log(tf.neg(tf.log(u)))); // Gumbel(0, 1) noise
        const soft = tf.softmax(tf.div(tf.add(logits, g), tau)); // (M, C)
        const sampled = tf.argMax(soft, 1);
        const y = hard ? tf.add(stopGradient(tf.sub(tf.oneHot(sampled, C), soft)), soft) : soft; // (M, C)
        return { quantized: tf.matMul(y, embed) as tf.Tensor2D, indices, commitLoss };
      });
    },
    lookup: (indices) => lookup(embed, indices),
    codebook: () => embed,
    dispose: () => tf.dispose([proj, projB, embed]),
  };
  return quantizer;
}
export type GumbelQuantizer = ReturnType<typeof gumbelQuantizer>;

/** Registry entry 'gumbel' (quantizers.ts): one code per latent slice, one codebook for every chunk kind. */
export const gumbelFactory: QuantizerFactory = {
  rowsPerChunk: (levels) => levels,
  perKindCodebooks: false,
  create: (o) => gumbelQuantizer({
    codebookSize: o.codebookSize, dim: o.dim, temperature: o.temperature, minTemperature: o.minTemperature, anneal: o.anneal, seed: o.seed, scope: o.scope,
  }),
};
