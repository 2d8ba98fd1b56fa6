import * as tf from '@tensorflow/tfjs-core';

/** x in the forward pass, zero gradient in the backward pass (tfjs has no stopGradient). */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T) => T;

/** Straight-through estimator (van den Oord et al. 2017): forward q, backward the identity to z. */
export function straightThrough<T extends tf.Tensor>(z: T, q: T): T {
  return tf.add(z, stopGradient(tf.sub(q, z))) as T;
}

/** Squared distances between rows of z (M, D) and codebook rows e (C, D): (M, C). */
export function squaredDistances(z: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const zz = tf.sum(tf.square(z), 1, true); // (M, 1)
    const ee = tf.reshape(tf.sum(tf.square(e), 1), [1, -1]); // (1, C)
    return tf.add(tf.sub(zz, tf.mul(2, tf.matMul(z, e, false, true))), ee) as tf.Tensor2D; // (M, C)
  });
}

/** Codebook rows for indices as oneHot(idx)·E, which (unlike gather) backpropagates on every backend. */
export function lookup(e: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.oneHot(tf.cast(indices, 'int32'), e.shape[0]), e) as tf.Tensor2D); // (M, D)
}

/**
 * Per-kind codebooks: rows of kind k may only take codes [k*C, (k+1)*C). Returns (M, kinds*C): 0 inside each row's
 * slice, a large distance outside it, to add to the squared distances before the argmin.
 */
export function kindPenalty(kinds: tf.Tensor1D, nKinds: number, C: number): tf.Tensor2D {
  const block = new Float32Array(nKinds * nKinds * C); // (kinds, kinds*C): row k is 1 on kind k's codes
  for (let k = 0; k < nKinds; k++) block.fill(1, k * nKinds * C + k * C, k * nKinds * C + (k + 1) * C);
  return tf.tidy(() => {
    // a matmul, not tf.tile: wasm's tile of (M, kinds, C) took ~0.1 s per call
    const own = tf.matMul(tf.oneHot(tf.cast(kinds, 'int32'), nKinds), tf.tensor2d(block, [nKinds, nKinds * C])); // (M, kinds*C)
    return tf.mul(tf.sub(1, own), 1e30) as tf.Tensor2D;
  });
}

/** Options of one quantize call. `kinds` (M,) int32: each row's chunk kind, for quantizers with per-kind codebooks. */
interface QuantizeOptions {
  training?: boolean;
  seed?: number;
  step?: number;
  kinds?: tf.Tensor1D;
}

/** The common shape of every quantizer (one per file, lucidrains-style; registered by name in registry.ts). */
export interface Quantizer {
  /** The registry name it was made under ('ema', 'residual', 'gumbel', or a plugin's). */
  readonly kind: string;
  readonly codebookSize: number;
  readonly dim: number;
  /** Every variable (named) to checkpoint. */
  readonly variables: tf.Variable[];
  /** Those the optimizer trains. */
  readonly trainable: tf.Variable[];
  /**
   * z (M, D) -> quantized (M, D) with straight-through gradients, indices (M * codes per row,), and its own loss term.
   * Indices are global: kind k's codes are [k*C, (k+1)*C) (C = codebookSize per kind).
   */
  quantize(z: tf.Tensor2D, opts?: QuantizeOptions): { quantized: tf.Tensor2D; indices: tf.Tensor1D; commitLoss: tf.Scalar };
  /** indices (M * codes per row,) -> codebook vectors (M, D): the inverse used by decode. */
  lookup(indices: tf.Tensor1D): tf.Tensor2D;
  /** The codebook (C, D). */
  codebook(): tf.Tensor2D;
  /**
   * Codebooks updated outside the optimizer (EMA): called after every step with that step's detached latents z (M, D),
   * its indices and each row's kind (M,), when per-kind. Returns how many dead codes were restarted.
   */
  update?(z: tf.Tensor2D, indices: tf.Tensor1D, step: number, kinds?: Int32Array): { deadCodes: number };
  /** Data-dependent init from a batch of latents z (M, D) before the first step (overwritten by a checkpoint on resume). */
  initFrom?(z: tf.Tensor2D, step: number, kinds?: Int32Array): void;
  dispose(): void;
}

/** A quantizer whose codebook is updated outside the optimizer (update and initFrom present). */
export type EmaUpdated = Quantizer & Required<Pick<Quantizer, 'update' | 'initFrom'>>;
