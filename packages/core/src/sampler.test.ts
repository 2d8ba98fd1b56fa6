import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { argmax, sample, sampleLogits, samplerOptions } from './sampler';
import { createRng } from './rng';

const V = 8;
// Two rows with distinct, known maxima.
const logits = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0.5]);

function histogram(opts: Parameters<typeof samplerOptions>[0], draws = 4000, seed = 1) {
  const rng = createRng(seed);
  const counts = new Array(V).fill(0);
  const o = samplerOptions(opts);
  for (let i = 0; i < draws; i++) counts[sampleLogits(logits.subarray(0, V), 1, V, o, rng)[0]]++;
  return counts.map((c) => c / draws);
}

describe('sampler', () => {
  it('top-k 1, temperature 0 and a tiny top-p are greedy', () => {
    for (const o of [{ topK: 1 }, { temperature: 0 }, { topP: 1e-6 }]) {
      const codes = sampleLogits(logits, 2, V, samplerOptions(o), createRng(3));
      expect(Array.from(codes)).toEqual([7, 0]);
    }
  });
  it('top-k keeps only the k most likely codes', () => {
    const h = histogram({ topK: 3 });
    expect(h.slice(0, 5).every((x) => x === 0)).toBe(true);
    expect(h[5] + h[6] + h[7]).toBeCloseTo(1);
    expect(h[5]).toBeGreaterThan(0);
  });
  it('matches the softmax at temperature 1 and flattens at high temperature', () => {
    const h = histogram({});
    const z = Array.from(logits.subarray(0, V)).map(Math.exp);
    const s = z.reduce((a, b) => a + b);
    expect(h[7]).toBeCloseTo(z[7] / s, 1);
    const hot = histogram({ temperature: 100 });
    expect(Math.min(...hot)).toBeGreaterThan(0.08);
    const cold = histogram({ temperature: 0.05 });
    expect(cold[7]).toBeGreaterThan(0.99);
  });
  it('top-p keeps the nucleus', () => {
    // p(7) ~ 0.63, p(6) ~ 0.23: top-p 0.8 keeps {7, 6} only.
    const h = histogram({ topP: 0.8 });
    expect(h[7] + h[6]).toBeCloseTo(1);
    expect(h[6]).toBeGreaterThan(0.1);
  });
  it('a seed reproduces, another seed differs', () => {
    expect(histogram({}, 200, 5)).toEqual(histogram({}, 200, 5));
    expect(histogram({}, 200, 5)).not.toEqual(histogram({}, 200, 6));
  });
  it('tensor front end, no leaks, and clear errors on bad options', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const t = tf.tensor2d(logits, [2, V]);
    expect(Array.from(sample(t, { topK: 1 }, createRng(0)))).toEqual([7, 0]);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => samplerOptions({ topP: 0 })).toThrow(/topP/);
    expect(() => samplerOptions({ temprature: 1 } as never)).toThrow(/unknown key "temprature"/);
    expect(argmax([1, 3, 3])).toBe(1);
  });
});
