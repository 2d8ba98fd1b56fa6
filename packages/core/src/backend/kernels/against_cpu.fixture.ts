import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, Conv2DBackpropInput, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';

// Shared by the kernel tests: each wasm kernel is checked against the cpu backend's kernel
// on the same seeded inputs, within a tolerance, with no leaked tensors.

/** Run f on `backend` with fixed inputs; returns plain arrays (tensors disposed). */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

/** f on wasm equals f on cpu within `tol` (relative, floor 1), and leaks no tensor on wasm. */
export async function expectSame(f: () => tf.Tensor | tf.Tensor[], tol = 1e-5): Promise<void> {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const w = await on('wasm', f);
  await tf.setBackend('wasm');
  expect(tf.memory().numTensors).toBe(before);
  const c = await on('cpu', f);
  expect(w.length).toBe(c.length);
  w.forEach((arr, i) => {
    expect(arr.length).toBe(c[i].length);
    const maxErr = arr.reduce((m, v, j) => Math.max(m, Math.abs(v - c[i][j]) / Math.max(1, Math.abs(c[i][j]))), 0);
    expect(maxErr).toBeLessThan(tol);
  });
}

// Inputs are made on the current backend from seeds, so both backends see the same numbers.
export const rn = (shape: number[], seed: number, scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

/** Register `config`, replacing the kernel registered under its name (to test one path). */
export function use(config: tf.KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/** Largest |a - b| / max(1, |b|). */
export function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

// ---- conv gradients: geometries (CNN-s's three layers, strides, 'same'/explicit pads) ----

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase { name: string; x: number[]; f: number[]; strides: number | [number, number]; pad: Pad }

export const CONV_CASES: ConvCase[] = [
  { name: 'CNN-s conv1 (batch 8)', x: [8, 28, 28, 1], f: [5, 5, 1, 8], strides: 1, pad: 'valid' },
  { name: 'CNN-s conv2 (batch 8)', x: [8, 12, 12, 8], f: [5, 5, 8, 6], strides: 1, pad: 'valid' },
  { name: 'CNN-s conv3 (batch 8)', x: [8, 4, 4, 6], f: [2, 2, 6, 4], strides: 1, pad: 'valid' },
  { name: "stride 2 'same'", x: [3, 9, 10, 5], f: [3, 3, 5, 7], strides: 2, pad: 'same' },
  { name: "strides [1, 2] 'same', even kernel", x: [2, 7, 8, 17], f: [4, 2, 17, 3], strides: [1, 2], pad: 'same' },
  { name: 'stride 3 valid', x: [2, 11, 11, 3], f: [3, 3, 3, 4], strides: 3, pad: 'valid' },
  { name: 'explicit pads', x: [2, 6, 5, 2], f: [3, 2, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
];

const rnUnscaled = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** dW (`which` 'filter') or dx ('input') through the conv gradient kernel on `backend`, from seeded inputs made there. */
async function convGrad(backend: 'cpu' | 'wasm', c: ConvCase, which: 'filter' | 'input'): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
    if (which === 'filter') {
      const x = rnUnscaled(c.x, 1) as tf.Tensor4D;
      const dy = rnUnscaled(tf.conv2d(x, tf.zeros(c.f) as tf.Tensor4D, c.strides, c.pad).shape, 2);
      return tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.f } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }
    const filter = rnUnscaled(c.f, 3);
    const dy = rnUnscaled(tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad).shape, 4);
    return tf.engine().runKernel(Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
  expect(out.shape).toEqual(which === 'filter' ? c.f : c.x);
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** dW through the Conv2DBackpropFilter kernel on `backend`. */
export const filterGrad = (backend: 'cpu' | 'wasm', c: ConvCase) => convGrad(backend, c, 'filter');
/** dx through the Conv2DBackpropInput kernel on `backend`. */
export const inputGrad = (backend: 'cpu' | 'wasm', c: ConvCase) => convGrad(backend, c, 'input');
