import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_OPS } from '.';
import type { FusedOp } from './types';

// Shared by the fused-op tests: every op, built-in or new, passes the same checks on seeded inputs, with no leaks.
//   checkFusedOp: the op is well formed.
//   expectMatchesComposition: values and gradients with its fused kernels equal those of the op's plain tfjs
//   composition (the fused kernels hidden from cpu), and wasm (native where built) equals cpu. The test calls
//   initBackend({ backend: 'wasm' }) first.

export const rn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Kernel names unique, int32 inputs declared for every input, gradients only for the op's own kernels. */
export function checkFusedOp(op: FusedOp): void {
  const names = [...op.kernels.map((k) => k.name), ...(op.nativeOnly ?? []).map((k) => k.kernelName)];
  expect(names.length, op.name).toBeGreaterThan(0);
  expect(new Set(names).size, op.name).toBe(names.length);
  for (const k of op.kernels) if (k.dtypes) expect(k.dtypes.length, k.name).toBe(k.inputs.length);
  for (const g of op.gradients) expect(names, `${op.name}: gradient of ${g.kernelName}`).toContain(g.kernelName);
}

function values(f: () => tf.Tensor | tf.Tensor[]): number[][] {
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const v = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return v;
}

/** f run as the composition: every fused kernel (FUSED_OPS' and `op`'s) hidden from the cpu backend. */
function composition(op: FusedOp, f: () => tf.Tensor | tf.Tensor[]): number[][] {
  const names = new Set([...FUSED_OPS, op].flatMap((o) => o.kernels.map((k) => k.name)));
  const saved = [...names].map((n) => tf.getKernel(n, 'cpu')).filter((k) => k !== undefined);
  saved.forEach((k) => tf.unregisterKernel(k.kernelName, 'cpu'));
  try {
    return values(f);
  } finally {
    saved.forEach((k) => tf.registerKernel(k));
  }
}

export function expectClose(a: number[][], b: number[][], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((arr, i) => {
    expect(arr.length).toBe(b[i].length);
    arr.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(tol * Math.max(1, Math.abs(b[i][j]))));
  });
}

/** f (the op and its gradients on seeded inputs): cpu kernels == tfjs composition, then wasm == cpu; no leaks. */
export async function expectMatchesComposition(op: FusedOp, f: () => tf.Tensor | tf.Tensor[], tol = 1e-5): Promise<void> {
  await tf.setBackend('cpu');
  for (const k of op.kernels) expect(tf.getKernel(k.name, 'cpu'), k.name).toBeDefined();
  let before = tf.memory().numTensors;
  const cpu = values(f);
  expectClose(cpu, composition(op, f), tol);
  expect(tf.memory().numTensors).toBe(before);
  await tf.setBackend('wasm');
  for (const k of op.kernels) expect(tf.getKernel(k.name, 'wasm'), k.name).toBeDefined();
  before = tf.memory().numTensors;
  expectClose(values(f), cpu, tol);
  expect(tf.memory().numTensors).toBe(before);
}
