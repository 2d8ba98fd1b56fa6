import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './init';
import { causalSoftmax, decodeAttention, gelu, layerNorm, linearBias, registerFusedKernel, registerFusedOps, softmaxCrossEntropy, type FusedKernel } from './fused_ops';
import { loadNative } from './native';

// Fused kernels (values and gradients) against the plain tfjs composition on cpu.

const rn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

function reference(f: () => tf.Tensor | tf.Tensor[]): number[][] {
  // The composition: run with the fused kernels hidden from the cpu backend.
  const saved = ['IgpgGelu', 'IgpgLayerNorm', 'IgpgCausalSoftmax', 'IgpgSoftmaxXent'].map((n) => tf.getKernel(n, 'cpu')!);
  saved.forEach((k) => tf.unregisterKernel(k.kernelName, 'cpu'));
  try {
    return values(f);
  } finally {
    saved.forEach((k) => tf.registerKernel(k));
  }
}

function values(f: () => tf.Tensor | tf.Tensor[]): number[][] {
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const v = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return v;
}

function expectClose(a: number[][], b: number[][], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((arr, i) => {
    expect(arr.length).toBe(b[i].length);
    arr.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(tol * Math.max(1, Math.abs(b[i][j]))));
  });
}

// Each case: values and the gradients w.r.t. every input of a weighted sum of the output.
const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
  ['gelu', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(gelu(x), rn([3, 5, 8], 2))))([tf.mul(rn([3, 5, 8], 1), 2)]).concat([gelu(tf.mul(rn([3, 5, 8], 1), 2))])],
  ['layerNorm', () => {
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D);
    const args = [rn([4, 3, 16], 3), tf.add(rn([16], 4), 1), rn([16], 5)];
    return [f(args[0], args[1], args[2]), ...tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, g, b), rn([4, 3, 16], 6))))(args)];
  }],
  ['causalSoftmax', () => {
    const s = tf.mul(rn([2, 3, 6, 6], 7), 3);
    return [causalSoftmax(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x), rn([2, 3, 6, 6], 8))))(s)];
  }],
  ['causalSoftmax, long rows (vector loops)', () => {
    const s = tf.mul(rn([2, 2, 37, 37], 11), 4);
    return [causalSoftmax(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x), rn([2, 2, 37, 37], 12))))(s)];
  }],
  ['gelu and layerNorm, wide rows', () => {
    const x = tf.mul(rn([5, 131], 13), 3);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => gelu(layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D));
    const args = [x, tf.add(rn([131], 14), 1), rn([131], 15)];
    return [f(args[0], args[1], args[2]), ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), rn([5, 131], 16))))(args)];
  }],
  ['softmaxCrossEntropy (value and logits gradient; a target out of range counts zero)', () => {
    const logits = tf.mul(rn([9, 37], 17), 3);
    const targets = tf.tensor1d([0, 36, 5, 5, 12, -1, 37, 20, 1], 'int32');
    const w = tf.div(tf.abs(rn([9], 18)), 9) as tf.Tensor1D;
    const f = (l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, targets as tf.Tensor1D, w);
    return [f(logits), tf.grad((l: tf.Tensor) => tf.mul(f(l), 1.7))(logits)];
  }],
  ['linearBias (x·w + b; fused on wasm with the native addon), values and gradients', () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => linearBias(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D);
    const args = [rn([37, 19], 19), tf.mul(rn([19, 23], 20), 0.3), rn([23], 21)];
    return [f(args[0], args[1], args[2]), ...tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, w, b), rn([37, 23], 22))))(args)];
  }],
  ['causalSoftmax with a KV-cache offset', () => {
    const s = rn([2, 2, 7], 9); // 2 new queries at positions 5, 6 over 7 keys
    return [causalSoftmax(s, 5), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(x, 5), rn([2, 2, 7], 10))))(s)];
  }],
];

// ---- A toy fused op, as a contributor would add one: the kernel entry (for both backends), its gradient, the op. ----
/** y = x³ in one kernel; dy/dx = 3x². */
const TOY_CUBE: FusedKernel = { name: 'IgpgToyCube', inputs: ['x'], outShapes: ([x]) => [x], run: ([x], [y]) => { for (let i = 0; i < x.length; i++) y[i] = x[i] * x[i] * x[i]; } };
const TOY_CUBE_GRAD: tf.GradConfig = { kernelName: TOY_CUBE.name, inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.square(x), 3)) }) };
const toyCube = (x: tf.Tensor) => tf.engine().runKernel(TOY_CUBE.name, { x }, {}) as tf.Tensor;

describe('fused ops', () => {
  beforeAll(() => registerFusedOps(loadNative()?.addon ?? null));
  afterAll(() => shutdownBackend());

  for (const [name, f] of cases) {
    it(`${name}: cpu kernel == tfjs composition, no leaks`, async () => {
      await tf.setBackend('cpu');
      const before = tf.memory().numTensors;
      expectClose(values(f), reference(f));
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a toy fused op registers for cpu and wasm, matches its tfjs composition with gradients, and trains; no leaks', async () => {
    registerFusedKernel(TOY_CUBE, null, TOY_CUBE_GRAD);
    const f = () => {
      const x = rn([5, 7], 31);
      return [toyCube(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(toyCube(t), rn([5, 7], 32))))(x)];
    };
    const composed = () => {
      const x = rn([5, 7], 31);
      const cube = (t: tf.Tensor) => tf.mul(tf.mul(t, t), t);
      return [cube(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(cube(t), rn([5, 7], 32))))(x)];
    };
    await initBackend({ backend: 'wasm', threads: 1 });
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      expect(tf.getKernel(TOY_CUBE.name, backend)).toBeDefined();
      const opt = tf.train.sgd(0.05); // its learning-rate scalar lives as long as it does
      const before = tf.memory().numTensors;
      expectClose(values(f), values(composed));
      // a few SGD steps through the op: w -> w - lr * d/dw mean((x w)^3 - t)^2 lowers the loss
      const w = tf.tidy(() => tf.variable(tf.mul(rn([7, 1], 33), 0.3)));
      const x = rn([16, 7], 34), t = rn([16, 1], 35);
      const loss = () => tf.mean(tf.square(tf.sub(toyCube(tf.matMul(x, w)), t))) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0]);
      for (let s = 0; s < 20; s++) tf.dispose(opt.minimize(loss, true, [w]));
      expect(tf.tidy(() => loss().dataSync()[0])).toBeLessThan(first);
      tf.dispose([w, x, t]);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
    }
  });

  it('wasm kernels (native where built) == cpu kernels, no leaks', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    for (const [, f] of cases) {
      await tf.setBackend('cpu');
      const c = values(f);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      expectClose(values(f), c);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('decodeAttention (cpu, and wasm with native where built) == softmax(q·Kᵀ)·V over the cache plus the new row, written in place', async () => {
    const [B, nh, C, hs, pos] = [2, 3, 7, 4, 4], d = nh * hs;
    const expected = () => tf.tidy(() => {
      const qkv = rn([B, 3 * d], 30), kb = rn([B, nh, C, hs], 31), vb = rn([B, nh, C, hs], 32);
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [B, nh, 1, hs]));
      const K = tf.concat([tf.slice(kb, [0, 0, 0, 0], [B, nh, pos, hs]), k], 2), V = tf.concat([tf.slice(vb, [0, 0, 0, 0], [B, nh, pos, hs]), v], 2);
      const y = tf.reshape(tf.matMul(tf.softmax(tf.matMul(q, K, false, true)), V), [B, d]);
      return [y, K, V].map((t) => Array.from(t.dataSync()));
    });
    for (const backend of ['cpu', 'wasm']) {
      if (backend === 'wasm') await initBackend({ backend: 'wasm', threads: 1 });
      await tf.setBackend(backend);
      const want = expected();
      const before = tf.memory().numTensors;
      const qkv = rn([B, 3 * d], 30), kb = rn([B, nh, C, hs], 31), vb = rn([B, nh, C, hs], 32);
      const y = decodeAttention(qkv as tf.Tensor2D, kb as tf.Tensor4D, vb as tf.Tensor4D, pos);
      const filled = (t: tf.Tensor) => tf.tidy(() => Array.from(tf.slice(t, [0, 0, 0, 0], [B, nh, pos + 1, hs]).dataSync()));
      expectClose([Array.from(y.dataSync()), filled(kb), filled(vb)], want, 1e-4);
      tf.dispose([qkv, kb, vb, y]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => decodeAttention(tf.zeros([B, 3 * d]) as tf.Tensor2D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, C)).toThrow(/outside the cache/);
      expect(() => decodeAttention(tf.zeros([B, d]) as tf.Tensor2D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, tf.zeros([B, nh, C, hs]) as tf.Tensor4D, 0)).toThrow(/do not fit/);
    }
  });

  it('rejects mismatched shapes with a clear error', () => {
    expect(() => layerNorm(tf.zeros([2, 4]), tf.ones([3]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D)).toThrow(/gamma \[3\]/);
    expect(() => causalSoftmax(tf.zeros([3, 2]), 1)).toThrow(/exceeds/);
    expect(() => softmaxCrossEntropy(tf.zeros([3, 2]), tf.zeros([3]) as tf.Tensor1D, tf.ones([3]))).toThrow(/int32/);
    expect(() => softmaxCrossEntropy(tf.zeros([3, 2]), tf.zeros([2], 'int32') as tf.Tensor1D, tf.ones([3]))).toThrow(/must be \[3\]/);
  });
});
