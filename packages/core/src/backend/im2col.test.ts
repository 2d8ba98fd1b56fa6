import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './init';
import { loadNative } from './native';
import { hasIm2col, im2col } from './im2col';

// A valid stride-1 conv as im2col + matMul equals tf.conv2d, values and gradients (x and w), on cpu (plain JS) and on
// wasm (native im2col/col2im with the addon); no leaks.

afterAll(() => shutdownBackend());
const backends: [string, () => Promise<unknown>][] = [
  ['cpu', () => initBackend({ backend: 'cpu' })],
  ['wasm', () => initBackend({ backend: 'wasm', threads: 1, native: loadNative() !== null })],
];

describe.each(backends)('im2col on %s', (_name, start) => {
  it('conv = im2col · w, and its gradients; no leaks', async () => {
    await start();
    expect(hasIm2col()).toBe(true);
    const before = tf.memory().numTensors;
    for (const [B, H, W, C, k, out] of [[2, 9, 7, 3, 3, 4], [3, 12, 12, 8, 5, 6], [1, 4, 4, 6, 2, 4]]) tf.tidy(() => {
      const x = tf.randomNormal([B, H, W, C], 0, 1, 'float32', 1), w = tf.randomNormal([k, k, C, out], 0, 1, 'float32', 2);
      const viaCols = (a: tf.Tensor, b: tf.Tensor) => tf.reshape(tf.matMul(tf.reshape(im2col(a as tf.Tensor4D, k), [-1, k * k * C]), tf.reshape(b, [k * k * C, out])), [B, H - k + 1, W - k + 1, out]);
      const direct = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid');
      const dy = tf.randomNormal([B, H - k + 1, W - k + 1, out], 0, 1, 'float32', 3);
      const grads = (f: typeof direct) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([x, w]);
      const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
      const [y1, y2] = [viaCols(x, w), direct(x, w)];
      expect(diff(y1, y2)).toBeLessThan(1e-4);
      const [g1, g2] = [grads(viaCols), grads(direct)];
      g1.forEach((g, i) => expect(diff(g, g2[i])).toBeLessThan(1e-3));
      // a ones column: the bias as the filter's last row
      const b = tf.randomNormal([out], 0, 1, 'float32', 4);
      const withBias = tf.matMul(tf.reshape(im2col(x as tf.Tensor4D, k, true), [-1, k * k * C + 1]), tf.concat([tf.reshape(w, [k * k * C, out]), tf.reshape(b, [1, out])]));
      expect(diff(tf.reshape(withBias, y2.shape), tf.add(y2, b))).toBeLessThan(1e-4);
      const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.matMul(tf.reshape(im2col(a as tf.Tensor4D, k, true), [-1, k * k * C + 1]), tf.ones([k * k * C + 1, out])), dy.shape), dy)))(x);
      expect(diff(gx, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(direct(a, tf.ones(w.shape)), dy)))(x))).toBeLessThan(1e-3);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
