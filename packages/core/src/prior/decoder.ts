import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the prior needs from the GPT decoder (prior/gpt.ts): token embedding, a causal forward pass that adds learned
 * positions and returns logits, a masked loss, and a KV cache for step-by-step generation.
 */
export interface Decoder {
  readonly config: { vocabSize: number; dModel: number; nLayers: number; nHeads: number; contextLength: number; dropout?: number };
  /** ids (B, T) int32 -> (B, T, d). */
  embed(ids: tf.Tensor2D): tf.Tensor3D;
  /** x (B, T, d) -> logits (B, T, V). T <= contextLength. */
  forward(x: tf.Tensor3D, options?: { training?: boolean; seed?: number }): tf.Tensor3D;
  /** Mean cross-entropy over positions where mask is 1. */
  loss(logits: tf.Tensor3D, targets: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar;
  createCache(batch: number): DecoderCache;
  /** x (B, t, d) appended after what the cache holds -> logits (B, t, V). */
  forwardStep(x: tf.Tensor3D, cache: DecoderCache): tf.Tensor3D;
  readonly variables: tf.Variable[] | Record<string, tf.Variable>;
  dispose(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DecoderCache = any;

/** The decoder's variables as a list, whatever form it keeps them in. */
export function decoderVariables(d: Decoder): tf.Variable[] {
  return Array.isArray(d.variables) ? d.variables : Object.values(d.variables);
}

/** Free a KV cache if it holds tensors. */
export function disposeCache(cache: DecoderCache): void {
  if (cache && typeof cache.dispose === 'function') cache.dispose();
}
