import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GPT, type GPTConfig } from './gpt';
import { ensureFusedOps } from '../backend/fused';
import { DECODE_ATTENTION } from '../backend/fused/decode_attention';

const config: GPTConfig = { vocabSize: 11, dModel: 16, nLayers: 2, nHeads: 4, contextLength: 8 };
const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');

describe('GPT', () => {
  it('has the right shapes and named, ordered variables', async () => {
    await tf.setBackend('cpu');
    const gpt = new GPT(config, 1);
    const before = tf.memory().numTensors;
    const seq = ids([[1, 2, 3], [4, 5, 6]]);
    const x = gpt.embed(seq);
    expect(x.shape).toEqual([2, 3, 16]);
    const logits = gpt.forward(x);
    expect(logits.shape).toEqual([2, 3, 11]);
    tf.dispose([seq, x, logits]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(gpt.named).slice(0, 3)).toEqual(['wte', 'wpe', 'h.0.ln_1.g']);
    expect(gpt.variables.length).toBe(2 + 2 * 16 + 3);
    // 12·d² + 13·d per block, plus embeddings, positions, final LN and head.
    const count = gpt.variables.reduce((n, v) => n + v.size, 0);
    expect(count).toBe(11 * 16 + 8 * 16 + 2 * (12 * 16 * 16 + 13 * 16) + 2 * 16 + 16 * 11);
    gpt.dispose();
  });

  it('is causal: changing a future token leaves earlier logits unchanged', async () => {
    await tf.setBackend('cpu');
    const gpt = new GPT(config, 2);
    const a = tf.tidy(() => gpt.forward(gpt.embed(ids([[1, 2, 3, 4, 5]]))).arraySync()[0]);
    const b = tf.tidy(() => gpt.forward(gpt.embed(ids([[1, 2, 3, 9, 0]]))).arraySync()[0]);
    for (let t = 0; t < 3; t++) a[t].forEach((v, j) => expect(v).toBeCloseTo(b[t][j], 6));
    expect(Math.abs(a[3][0] - b[3][0]) + Math.abs(a[4][0] - b[4][0])).toBeGreaterThan(1e-6);
    gpt.dispose();
  });

  it.each([true, false])('KV-cached steps agree with the full forward pass (in-place decode attention: %s)', async (inPlace) => {
    await tf.setBackend('cpu');
    // without the kernel (as on tfjs-node) one-token steps take the concat path
    ensureFusedOps();
    const saved = tf.getKernel(DECODE_ATTENTION, 'cpu')!;
    if (!inPlace) tf.unregisterKernel(DECODE_ATTENTION, 'cpu');
    const gpt = new GPT(config, 3);
    const before = tf.memory().numTensors;
    const seq = ids([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]]);
    const x = gpt.embed(seq);
    const full = tf.tidy(() => gpt.forward(x).arraySync());
    const cache = gpt.createCache(2);
    // one-token steps take their own path (runOne); mix them with multi-token steps
    const parts = [tf.slice(x, [0, 0, 0], [2, 2, 16]), tf.slice(x, [0, 2, 0], [2, 1, 16]), tf.slice(x, [0, 3, 0], [2, 1, 16]), tf.slice(x, [0, 4, 0], [2, 2, 16])];
    const stepped = parts.map((p) => gpt.forwardStep(p as tf.Tensor3D, cache));
    expect(cache.pos).toBe(6);
    const joined = tf.tidy(() => tf.concat(stepped, 1).arraySync() as number[][][]);
    joined.forEach((row, b) => row.forEach((r, t) => r.forEach((v, j) => expect(v).toBeCloseTo(full[b][t][j], 5))));
    cache.dispose();
    tf.dispose([seq, x, ...parts, ...stepped]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => gpt.forwardStep(tf.zeros([2, 9, 16]) as tf.Tensor3D, gpt.createCache(2))).toThrow(/contextLength 8/);
    gpt.dispose();
    if (!inPlace) tf.registerKernel(saved);
  });

  it('overfits a tiny sequence (masked loss), without leaking tensors', async () => {
    await tf.setBackend('cpu');
    const gpt = new GPT({ ...config, dropout: 0.1 }, 4);
    const input = ids([[1, 2, 3, 4, 5, 6, 7]]), target = ids([[2, 3, 4, 5, 6, 7, 8]]);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0]]);
    const opt = tf.train.adam(1e-2);
    const lossOf = (training: boolean, seed?: number) => gpt.loss(gpt.forward(gpt.embed(input), { training, seed }), target, mask);
    const first = tf.tidy(() => lossOf(false).dataSync()[0]);
    expect(first).toBeCloseTo(Math.log(11), 0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 60; i++) tf.dispose(opt.minimize(() => lossOf(true, i + 1), false, gpt.variables));
    const slots = tf.memory().numTensors - before; // Adam's moments: 2 per variable
    expect(slots).toBe(2 * gpt.variables.length);
    const last = tf.tidy(() => lossOf(false).dataSync()[0]);
    expect(last).toBeLessThan(0.1);
    // The masked position (target 8) does not count: predicting it is not learnt.
    opt.dispose();
    gpt.dispose();
    tf.dispose([input, target, mask]);
  });

  it('rejects bad configs and inputs clearly', () => {
    expect(() => new GPT({ ...config, nHeads: 3 }, 1)).toThrow(/divisible by nHeads/);
    expect(() => new GPT({ ...config, vocab: 3 } as unknown as GPTConfig, 1)).toThrow(/unknown key 'vocab'/);
    const gpt = new GPT(config, 5);
    expect(() => gpt.embed(tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(/int32/);
    expect(() => gpt.loss(tf.zeros([1, 2, 11]) as tf.Tensor3D, tf.zeros([1, 3], 'int32') as tf.Tensor2D)).toThrow(/targets shape/);
    gpt.dispose();
  });
});
