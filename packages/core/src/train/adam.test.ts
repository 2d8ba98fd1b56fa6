import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createAdam } from './adam';
import { initBackend, shutdownBackend } from '../backend/init';
import { loadNative } from '../backend/native';

// The fused Adam (native on wasm when the addon is built) against tf.train.adam on cpu.

/** Train a tiny least-squares model for `steps` steps; returns the final variables and moments. */
async function train(backend: 'cpu' | 'wasm', fused: boolean, steps = 5): Promise<{ values: number[][]; native: boolean; leaked: number }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([16, 7], 0, 1, 'float32', 1), y = tf.randomNormal([16, 3], 0, 1, 'float32', 2);
  const init = tf.randomNormal([7, 3], 0, 0.5, 'float32', 3);
  const w = tf.variable(init); // shares init's data while init lives: must not be updated in place
  const b = tf.tidy(() => tf.variable(tf.zeros([3])));
  const opt = fused ? createAdam(0.05) : tf.train.adam(0.05);
  for (let i = 0; i < steps; i++) {
    tf.dispose(opt.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))), false, [w, b]));
  }
  const weights = await opt.getWeights();
  const values = [w, b, ...weights.slice(1).map((t) => t.tensor)].map((t) => Array.from(t.dataSync()));
  const native = fused && (opt as ReturnType<typeof createAdam>).lastUpdateNative;
  const initUntouched = tf.tidy(() => tf.max(tf.abs(tf.sub(init, tf.randomNormal([7, 3], 0, 0.5, 'float32', 3)))).dataSync()[0]);
  expect(initUntouched).toBe(0);
  opt.dispose();
  tf.dispose([x, y, init, w, b, weights[0].tensor]); // weights[0]: the iteration count
  return { values, native, leaked: tf.memory().numTensors - before };
}

function expectClose(a: number[][], b: number[][], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((arr, i) => arr.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i][j])))));
}

describe('createAdam', () => {
  afterAll(() => shutdownBackend());

  it('matches tf.train.adam on cpu (values, moments), native on wasm when built, no leaks', async () => {
    const ref = await train('cpu', false);
    expect(ref.leaked).toBe(0);
    const cpuFused = await train('cpu', true);
    expect(cpuFused.native).toBe(false);
    expectClose(cpuFused.values, ref.values, 0);
    for (const native of [true, false]) {
      await initBackend({ backend: 'wasm', threads: 1, native });
      const w = await train('wasm', true);
      expect(w.native).toBe(native && loadNative() !== null);
      expect(w.leaked).toBe(0);
      expectClose(w.values, ref.values);
    }
  });

  it('rejects bad hyper-parameters', () => {
    expect(() => createAdam(-1)).toThrow(/learningRate/);
    expect(() => createAdam(0.1, 1)).toThrow(/beta1/);
  });
});
