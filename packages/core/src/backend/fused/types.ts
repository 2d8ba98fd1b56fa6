import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native';

/** One fused kernel, described once and registered for both wasm and cpu (registerFusedKernel). */
export interface FusedKernel {
  name: string;
  inputs: string[];
  /** Input dtypes (default all float32); int32 inputs are passed as Int32Array views. */
  dtypes?: ('float32' | 'int32')[];
  /** Output shapes from input shapes. */
  outShapes(shapes: number[][], attrs: NamedAttrMap): number[][];
  /** Compute outputs from inputs (all Float32Array views). */
  run(ins: Float32Array[], outs: Float32Array[], shapes: number[][], attrs: NamedAttrMap): void;
  /** Optional native version on the wasm heap: element offsets of inputs then outputs. */
  native?(addon: NativeAddon, heap: Float32Array, offs: number[], shapes: number[][], attrs: NamedAttrMap): void;
}

/** A kernel registered for wasm only, and only with the native addon (elsewhere its op runs the tfjs composition). */
export interface NativeOnlyKernel {
  kernelName: string;
  make(native: NativeAddon): KernelConfig;
}

/**
 * One fused op: a plain object, one per file in this folder (with the op function and its test beside it), listed
 * once in `index.ts`, whose loop registers its kernels and gradients. The op function runs its kernel where one is
 * registered on the current backend, else the plain tfjs composition; the shared test
 * (`against_composition.fixture.ts`) checks the two agree, values and gradients, on cpu and wasm.
 */
export interface FusedOp {
  /** The op function's name, e.g. 'gelu'. */
  name: string;
  /** Kernels for wasm (native where the addon has them) and cpu: the forward one, then its backward ones. */
  kernels: FusedKernel[];
  nativeOnly?: NativeOnlyKernel[];
  /** Gradients of the forward kernels (registered once, unless tfjs has one already). */
  gradients: tf.GradConfig[];
}
