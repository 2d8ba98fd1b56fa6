import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Network, type ParamInfo } from '@igpg/core';

/** How a parameter starts. Uniform ±1/sqrt(fanIn) is PyTorch's default for Linear and Conv2d (weights and biases). */
export type Init =
  | { kind: 'uniform'; fanIn: number }
  | { kind: 'normal'; std: number } // truncated at 2 std, as timm's trunc_normal_
  | { kind: 'zeros' }
  | { kind: 'ones' };

/** A parameter in an architecture's plan: its description plus how to initialise it. */
export type Planned = ParamInfo & { init: Init };

/** The activations the built-in architectures offer. */
export const ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Strip the init field: the public canonical description. */
export function describePlan(plan: Planned[]): ParamInfo[] {
  return plan.map(({ init: _init, ...info }) => info);
}

/** Weight + bias of a dense layer [in, out] or a conv layer [kh, kw, in, out], PyTorch-initialised. */
export function weightAndBias(prefix: string, shape: number[], layer: number, extra: Partial<ParamInfo> = {}): Planned[] {
  const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = shape[shape.length - 1];
  return [
    { name: `${prefix}.weight`, role: 'kernel', shape, layer, init: { kind: 'uniform', fanIn }, ...extra },
    { name: `${prefix}.bias`, role: 'bias', shape: [out], layer, init: { kind: 'uniform', fanIn } },
  ];
}

function initTensor(p: Planned, seed: number): tf.Tensor {
  const { init, shape } = p;
  switch (init.kind) {
    case 'uniform': {
      const bound = 1 / Math.sqrt(init.fanIn);
      return tf.randomUniform(shape, -bound, bound, 'float32', seed);
    }
    case 'normal':
      return tf.truncatedNormal(shape, 0, init.std, 'float32', seed);
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
  }
}

/**
 * Build a Network from a plan and a forward function that reads parameters by name.
 * Each parameter gets its own tfjs seed drawn from `seed` (never 0, which tfjs reads as "unseeded").
 */
export function buildNetwork(
  arch: string,
  spec: object,
  plan: Planned[],
  seed: number,
  forward: (p: Record<string, tf.Variable>, x: tf.Tensor, training: boolean) => tf.Tensor2D,
): Network {
  const rng = createRng(`${arch}/${seed}`);
  const params = plan.map((p) => {
    const t = initTensor(p, rng.tfSeed());
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  });
  const byName: Record<string, tf.Variable> = {};
  plan.forEach((p, i) => (byName[p.name] = params[i]));
  return {
    arch,
    spec: spec as Record<string, unknown>,
    params,
    apply: (x, options) => tf.tidy(() => forward(byName, x, options?.training ?? false)),
    dispose: () => params.forEach((v) => v.dispose()),
  };
}

/** Elementwise activation. GELU is the exact erf form (PyTorch nn.GELU default). */
export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/** Dense layer x (N, in) @ w (in, out) + b; ReLU is fused into the matmul (it has a fused gradient). */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, act: Activation | 'linear' = 'linear'): tf.Tensor2D {
  const fused = act === 'relu' ? 'relu' : 'linear';
  const y = tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation: fused }); // (N, out)
  return (act === 'linear' || act === 'relu' ? y : activate(y, act)) as tf.Tensor2D;
}

/**
 * S dense layers at once: x (S, N, in) @ w (S, in, out) + b (S, out), network s using slice s of each (a batched
 * matmul: one op for all S). The activation as in dense().
 */
export function denseBatched(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, act: Activation | 'linear' = 'linear'): tf.Tensor3D {
  const [S, out] = b.shape;
  // a plain batched matmul: wasm's fused matmul takes only a rank-1 bias, and igpg's BatchMatMul kernel is the fast one
  const y = tf.add(tf.matMul(x, w as tf.Tensor3D), tf.reshape(b, [S, 1, out])); // (S, N, out)
  return (act === 'linear' ? y : activate(y, act)) as tf.Tensor3D;
}

/** NHWC conv2d with bias (fused), then the activation. `pad` is a number (PyTorch-style symmetric) or 'valid'. */
export function conv(
  x: tf.Tensor4D,
  w: tf.Tensor,
  b: tf.Tensor,
  options: { stride?: number; pad?: number | 'valid'; act?: Activation | 'linear' } = {},
): tf.Tensor4D {
  const act = options.act ?? 'linear';
  const fused = act === 'relu' ? 'relu' : 'linear';
  const pad = options.pad === undefined || options.pad === 0 ? 'valid' : options.pad;
  const stride = options.stride ?? 1;
  const y = tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation: fused });
  return (act === 'linear' || act === 'relu' ? y : activate(y, act)) as tf.Tensor4D;
}

/** LayerNorm over the last axis (eps 1e-6 as timm's ViT). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-6): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** Format a number with thousands separators, e.g. 2,464. */
export const fmt = (n: number) => n.toLocaleString('en-US');

/** "8, 6 and 4" */
export function listWords(items: (string | number)[]): string {
  const s = items.map(String);
  return s.length <= 1 ? s.join('') : `${s.slice(0, -1).join(', ')} and ${s[s.length - 1]}`;
}

/** "28×28×1 inputs" */
export const shapeWords = (shape: number[]) => `${shape.join('×')} inputs`;
