import type * as tf from '@tensorflow/tfjs-core';

/** What a parameter tensor is for; the tokenizer conditions on it. */
export type ParamRole = 'kernel' | 'bias' | 'gamma' | 'beta' | 'embedding' | 'position' | 'other';

/**
 * One parameter tensor in an architecture's canonical order.
 * `layer` counts the network's layers from 0 (input side) to `layers - 1`.
 */
export interface ParamInfo {
  name: string;      // PyTorch-style dotted name, e.g. "features.0.weight"
  role: ParamRole;
  shape: number[];   // tfjs layout (see the architectures README for the PyTorch/Keras mapping)
  layer: number;
  /**
   * Only on a dense kernel fed by a flattened feature map: that map's NHWC shape [h, w, c].
   * Its rows are in tfjs (h, w, c) flatten order; PyTorch flattens (c, h, w), so exporting
   * with layout 'torch' permutes the rows too.
   */
  flattenedFrom?: number[];
}

/** A network built by an architecture plugin: ordered trainable parameters plus a forward pass. */
export interface Network {
  readonly arch: string;
  readonly spec: Record<string, unknown>;
  /** Parameters in the canonical order of `describe(spec)`. */
  readonly params: tf.Variable[];
  /** x: (N, ...inputShape) -> logits (N, classes). */
  apply(x: tf.Tensor, options?: { training?: boolean }): tf.Tensor2D;
  dispose(): void;
}
