import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import { textFeatureMatrix, words } from './text-features';
import { normalVariable } from '../nn/init';

/**
 * Turns instructions into vectors. The prior only sees `encode`, so a stronger encoder
 * (e.g. a local sentence-embedding model) plugs in without touching the prior: return (N, dim) and
 * leave `variables` empty if it is frozen. Register a factory for its kind (encoders/registry.ts) so a prior
 * checkpoint can rebuild it, and check it with checkInstructionEncoder (encoders/conformance.ts).
 */
export interface InstructionEncoder {
  /** Name recorded in the prior checkpoint. */
  readonly kind: string;
  readonly dim: number;
  /**
   * texts -> (N, dim), each row from its own text alone; no tensors left behind. Throws on an empty instruction: the
   * prior never passes one ('' means no instruction, and it uses its null vector). checkInstructionEncoder tests this.
   */
  encode(texts: string[]): tf.Tensor2D;
  /** Trainable variables, by stable name (trained jointly with the prior, saved in its checkpoint). */
  readonly variables: Record<string, tf.Variable>;
  /** JSON config that rebuilds this encoder (saved with the checkpoint). */
  config(): Record<string, unknown>;
  dispose(): void;
}

export interface HashedEncoderConfig {
  /** Hash buckets of word/char n-grams (2^14 by default). */
  buckets?: number;
  /** Output dimension. */
  dim?: number;
  seed?: number;
}

export const hashedEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    buckets: { type: 'integer', minimum: 16, default: 1 << 14 },
    dim: { type: 'integer', minimum: 1, default: 64 },
    seed: { type: 'integer', default: 0 },
  },
};

/** Whether an instruction says nothing: absent, empty, or without a single word. */
export const isEmptyInstruction = (text: unknown): boolean => typeof text !== 'string' || words(text).length === 0;

/**
 * Check what a generation is conditioned on: an instruction with words in it, or none at all but a dataset support
 * set, which alone must then say which classes are meant (issue #11). Returns the instruction, '' for none.
 * @example const instruction = checkCondition('', support); // '' : the prior uses its null instruction vector
 */
export function checkCondition(instruction: unknown, dataset: unknown): string {
  if (instruction === undefined || instruction === null || (typeof instruction === 'string' && !instruction.trim())) {
    if (dataset) return '';
    throw new Error(`instruction is empty (${JSON.stringify(instruction ?? '')}): describe the task in words, e.g. "classify MNIST digits 0 to 4", or give a dataset support set (k samples per class) to condition on it alone`);
  }
  return checkInstruction(instruction);
}

/** Throw a clear error for an empty instruction (or one with no words at all). */
export function checkInstruction(text: unknown): string {
  if (typeof text !== 'string' || words(text).length === 0) {
    throw new Error(`instruction is empty (${JSON.stringify(text)}): describe the task in words, e.g. "classify MNIST digits 0 to 4"`);
  }
  return text;
}

/**
 * Default instruction encoder: hashed word + character n-grams -> learned linear projection.
 * Offline, deterministic, and trained jointly with the prior. Feature vectors are cached per text.
 * @example const enc = hashedInstructionEncoder({ dim: 64 }); const v = enc.encode(['classify digits']); // (1, 64)
 */
export function hashedInstructionEncoder(options: HashedEncoderConfig = {}, scope?: string): InstructionEncoder {
  const kind = 'hashed-ngrams';
  const cfg = validate<Required<HashedEncoderConfig>>(hashedEncoderSchema, options, 'instruction encoder config');
  const rng = createRng(`instruction-encoder/${cfg.seed}`);
  // Features are L2-normalised with ~10-40 non-zeros, so std 1/sqrt(dim)-ish keeps outputs O(1/sqrt(dim)).
  const W = normalVariable([cfg.buckets, cfg.dim], 1 / Math.sqrt(cfg.dim), rng.tfSeed(), scope && `${scope}/W`); // (buckets, dim)
  const cache = new Map<string, Float32Array>();
  const features = (t: string) => {
    let f = cache.get(t);
    if (!f) {
      f = textFeatureMatrix([t], cfg.buckets);
      if (cache.size > 10_000) cache.clear();
      cache.set(t, f);
    }
    return f;
  };
  return {
    kind,
    dim: cfg.dim,
    variables: { W },
    encode(texts) {
      if (!Array.isArray(texts) || texts.length === 0) throw new Error('instruction encoder: give at least one instruction');
      texts.forEach(checkInstruction);
      const x = new Float32Array(texts.length * cfg.buckets);
      texts.forEach((t, i) => x.set(features(t), i * cfg.buckets));
      return tf.tidy(() => tf.matMul(tf.tensor2d(x, [texts.length, cfg.buckets]), W)); // (N, buckets) @ (buckets, dim) -> (N, dim)
    },
    config: () => ({ ...cfg }),
    dispose: () => W.dispose(),
  };
}
