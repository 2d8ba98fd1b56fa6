import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';
import { causalSoftmaxOp } from './causal_softmax';
import { decodeAttentionOp } from './decode_attention';
import { geluOp } from './gelu';
import { registerFusedKernel } from './kernel';
import { layerNormOp } from './layer_norm';
import { linearBiasOp } from './linear_bias';
import { softmaxCrossEntropyOp } from './softmax_cross_entropy';
import type { FusedOp } from './types';

export type { FusedKernel, FusedOp, NativeOnlyKernel } from './types';

/*
 * Fused kernels for the transformer's elementwise work. In tfjs each of LayerNorm, GELU
 * and masked softmax is a chain of 5-15 kernels, each a full pass over memory plus an
 * allocation, forward and backward; on wasm that chain, not the matmuls, dominates a GPT
 * step. Each op here is one kernel forward and one backward, registered for `wasm` (on the
 * heap, no copies; native C when the addon is loaded) and `cpu`, with its gradient. On any
 * other backend (tfjs-node) the ops fall back to the plain tfjs composition.
 */

/**
 * The fused ops igpg registers, in registration order. A new op is one file in this folder
 * (exporting a FusedOp and its op function, its test beside it) plus one line here.
 */
export const FUSED_OPS: readonly FusedOp[] = [
  geluOp,
  layerNormOp,
  causalSoftmaxOp,
  decodeAttentionOp, // generation only: writes into its KV-cache inputs, no gradient
  softmaxCrossEntropyOp,
  linearBiasOp, // wasm with the native addon only: the bias folded into sgemm
];

const REGISTERED = Symbol.for('igpg.fusedOps.registered');

/**
 * Register one fused op: its kernels for wasm (native versions when `native` is given) and cpu, replacing earlier
 * registrations; its native-only kernels for wasm when `native` is given (removed otherwise); and its gradients
 * unless tfjs has them. registerFusedOps runs every op of FUSED_OPS through it; a test registers a toy one the same way.
 */
export function registerFusedOp(op: FusedOp, native: NativeAddon | null): void {
  for (const k of op.kernels) registerFusedKernel(k, native);
  for (const k of op.nativeOnly ?? []) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    if (native) tf.registerKernel(k.make(native));
  }
  for (const gc of op.gradients) if (!tf.getGradient(gc.kernelName)) tf.registerGradient(gc);
}

/** The kernel names an op registers with (or without) the native addon: its kernels, then its native-only ones. */
export const fusedKernelNames = (op: FusedOp, native: boolean): string[] =>
  [...op.kernels.map((k) => k.name), ...(native ? (op.nativeOnly ?? []).map((k) => k.kernelName) : [])];

/**
 * Register every op of FUSED_OPS (registerFusedOp, in a loop). Idempotent; a second call with another `native`
 * swaps the wasm kernels. Returns the names of the kernels registered.
 */
export function registerFusedOps(native: NativeAddon | null): string[] {
  const g = globalThis as { [REGISTERED]?: string };
  const mode = native ? 'native' : 'js';
  if (g[REGISTERED] !== mode) {
    for (const op of FUSED_OPS) registerFusedOp(op, native);
    g[REGISTERED] = mode;
  }
  return FUSED_OPS.flatMap((op) => fusedKernelNames(op, native !== null));
}

/** Register the plain-JS fused kernels unless initBackend() already registered them. */
export function ensureFusedOps(): void {
  if ((globalThis as { [REGISTERED]?: string })[REGISTERED] === undefined) registerFusedOps(null);
}
