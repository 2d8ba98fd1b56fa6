import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { emaQuantizer } from './quantizer-ema';
import { gumbelQuantizer, gumbelTemperature } from './quantizer-gumbel';
import { residualQuantizer } from './quantizer-residual';
import { stopGradient } from './ops';

const data = (m: number, d: number, seed: number) => tf.randomNormal([m, d], 0, 1, 'float32', seed) as tf.Tensor2D;

describe('quantizers', () => {
  it('EMA: straight-through gradient reaches z; commitment gradient pulls z towards its code', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const q = emaQuantizer({ codebookSize: 16, dim: 4, seed: 3, scope: 'tq1' });
    const z = data(32, 4, 1);
    const w = data(32, 4, 2);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(q.quantize(x as tf.Tensor2D).quantized, w)))(z);
    expect(Array.from(g.dataSync())).toEqual(Array.from(w.dataSync())); // identity through the quantizer
    const gc = tf.grad((x: tf.Tensor) => q.quantize(x as tf.Tensor2D).commitLoss)(z);
    tf.tidy(() => {
      expect(tf.max(tf.abs(gc)).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.sum(stopGradient(z)).dataSync()[0]).toBeCloseTo(tf.sum(z).dataSync()[0], 4);
    });
    tf.dispose([z, w, g, gc]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('EMA: updates move used codes to their data, and dead codes restart from batch rows', () => {
    const before = tf.memory().numTensors;
    const q = emaQuantizer({ codebookSize: 8, dim: 2, decay: 0.5, deadCodeThreshold: 0.5, seed: 1, scope: 'tq2' });
    const z = tf.tensor2d([[10, 10], [10.2, 9.8], [-10, 5], [-9.8, 5.2]]); // far from the N(0,1) codebook
    const e0 = q.codebook().arraySync();
    let dead = 0;
    for (let s = 0; s < 6; s++) {
      const { indices, quantized, commitLoss } = q.quantize(z);
      dead += q.update(z, indices, s).deadCodes;
      tf.dispose([indices, quantized, commitLoss]);
    }
    expect(dead).toBeGreaterThan(0);
    const e = q.codebook().arraySync();
    expect(e).not.toEqual(e0);
    // every data row now has a code within 0.5 of it
    const d = tf.tidy(() => tf.min(tf.sum(tf.square(tf.sub(tf.expandDims(z, 1), tf.expandDims(q.codebook(), 0))), 2), 1).arraySync());
    for (const x of d) expect(x).toBeLessThan(0.25);
    z.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('residual: each level lowers the error; codes decode by lookup', () => {
    const before = tf.memory().numTensors;
    const z = data(512, 4, 5);
    const errs = [1, 2, 4].map((levels) => {
      const q = residualQuantizer({ levels, codebookSize: 32, dim: 4, seed: 2, scope: `tq3_${levels}` });
      q.initFrom(z, 0);
      const e = tf.tidy(() => {
        const { quantized, indices } = q.quantize(z);
        expect(indices.shape).toEqual([512 * levels]);
        expect(tf.max(tf.abs(tf.sub(q.lookup(indices), quantized))).dataSync()[0]).toBeLessThan(1e-5);
        return tf.mean(tf.square(tf.sub(quantized, z))).dataSync()[0];
      });
      q.dispose();
      return e;
    });
    expect(errs[1]).toBeLessThan(errs[0] * 0.8);
    expect(errs[2]).toBeLessThan(errs[1] * 0.8);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Gumbel: gradients reach projection and codebook; temperature anneals to its floor; seeded', () => {
    const before = tf.memory().numTensors;
    const q = gumbelQuantizer({ codebookSize: 16, dim: 4, seed: 1, scope: 'tq4' });
    const z = data(32, 4, 9);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(q.quantize(z, { training: true, seed: 11, step: 0 }).quantized)) as tf.Scalar, q.trainable);
    tf.tidy(() => { for (const v of q.trainable) expect(tf.max(tf.abs(grads[v.name])).dataSync()[0]).toBeGreaterThan(0); });
    const a = tf.tidy(() => q.quantize(z, { training: true, seed: 5, step: 3 }).quantized.arraySync());
    const b = tf.tidy(() => q.quantize(z, { training: true, seed: 5, step: 3 }).quantized.arraySync());
    expect(a).toEqual(b);
    expect(gumbelTemperature({ temperature: 1, anneal: 1e-2, minTemperature: 1e-4 }, 0)).toBe(1);
    expect(gumbelTemperature({ temperature: 1, anneal: 1e-2, minTemperature: 1e-4 }, 1e5)).toBe(1e-4);
    tf.dispose([z, value, ...Object.values(grads)]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
