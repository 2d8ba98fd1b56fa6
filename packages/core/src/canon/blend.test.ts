import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend/init';
import { createRng } from '../rng';
import type { ParamInfo } from '../sdk/types';
import type { KerasLayer } from '../sdk/keras';
import { applyPermutations, type PermutationGroup } from '../sdk/permutations';
import { unflattenWeights } from '../sdk/weights';
import { blendNetworks, imagesLoss, matchParents, matchParentsByActivations } from './blend';

// A 6-5-4-3 MLP (tanh, relu, logits) as Keras layers, and random weights for it.
const infos: ParamInfo[] = [
  { name: 'a.weight', role: 'kernel', shape: [6, 5], layer: 0 }, { name: 'a.bias', role: 'bias', shape: [5], layer: 0 },
  { name: 'b.weight', role: 'kernel', shape: [5, 4], layer: 1 }, { name: 'b.bias', role: 'bias', shape: [4], layer: 1 },
  { name: 'c.weight', role: 'kernel', shape: [4, 3], layer: 2 }, { name: 'c.bias', role: 'bias', shape: [3], layer: 2 },
];
const layers: KerasLayer[] = [
  { type: 'dense', name: 'a', units: 5, activation: 'tanh', kernel: 'a.weight', bias: 'a.bias' },
  { type: 'dense', name: 'b', units: 4, activation: 'relu', kernel: 'b.weight', bias: 'b.bias' },
  { type: 'dense', name: 'c', units: 3, activation: 'linear', kernel: 'c.weight', bias: 'c.bias' },
];
const groups: PermutationGroup[] = [
  { name: 'a', size: 5, axes: [{ param: 'a.weight', axis: 1 }, { param: 'a.bias', axis: 0 }, { param: 'b.weight', axis: 0 }] },
  { name: 'b', size: 4, axes: [{ param: 'b.weight', axis: 1 }, { param: 'b.bias', axis: 0 }, { param: 'c.weight', axis: 0 }] },
];
const size = 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3;
const randomFlat = (seed: number) => { const r = createRng(seed); return Float32Array.from({ length: size }, () => r.normal() * 0.7); };

/** Pre-activation mean and std per unit of the first two layers, computed independently of blend.ts. */
function hiddenStats(flat: Float32Array, x: tf.Tensor2D): { mean: number[]; std: number[] }[] {
  return tf.tidy(() => {
    const w = (o: number, r: number, c: number) => tf.tensor2d(flat.subarray(o, o + r * c), [r, c]);
    const b = (o: number, n: number) => tf.tensor1d(flat.subarray(o, o + n));
    const z1 = tf.add(tf.matMul(x, w(0, 6, 5)), b(30, 5));
    const z2 = tf.add(tf.matMul(tf.tanh(z1), w(35, 5, 4)), b(55, 4));
    return [z1, z2].map((z) => {
      const { mean, variance } = tf.moments(z, 0);
      return { mean: Array.from(mean.dataSync()), std: Array.from(tf.sqrt(variance).dataSync()) };
    });
  });
}

beforeAll(async () => { await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} }); });
afterAll(() => shutdownBackend());

describe('blendNetworks', () => {
  const r = createRng('blend-images');
  const x = () => tf.tensor2d(Float32Array.from({ length: 40 * 6 }, () => r.normal()), [40, 6]);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);

  it('is the plain mean without images, and leaves the parents alone', () => {
    const [a, b, c] = [randomFlat(1), randomFlat(2), randomFlat(3)];
    const keep = Float32Array.from(a);
    const child = blendNetworks([a, b, c]);
    child.forEach((v, j) => expect(v).toBeCloseTo((a[j] + b[j] + c[j]) / 3, 6));
    expect(Array.from(a)).toEqual(Array.from(keep));
    expect(() => blendNetworks([])).toThrow(/no parents/);
    expect(() => blendNetworks([a, a.subarray(1)])).toThrow(/differ in length/);
    blendNetworks([a, b], undefined, [3, 1]).forEach((v, j) => expect(v).toBeCloseTo(0.75 * a[j] + 0.25 * b[j], 6));
    expect(() => blendNetworks([a, b], undefined, [1])).toThrow(/shares must be 2 non-negative numbers/);
    expect(() => blendNetworks([a, b], undefined, [0, 0])).toThrow(/not all 0/);
  });

  it('REPAIR: every hidden unit gets the average of the parents\' pre-activation mean and std; the output layer is the mean; no leaks', () => {
    const images = { x: x(), labels };
    const before = tf.memory().numTensors;
    const [a, b] = [randomFlat(4), randomFlat(5)];
    const child = blendNetworks([a, b], { layers, infos, images });
    expect(tf.memory().numTensors).toBe(before);
    const [sa, sb, sc] = [a, b, child].map((f) => hiddenStats(f, images.x as tf.Tensor2D));
    for (let l = 0; l < 2; l++) {
      sc[l].mean.forEach((m, u) => expect(m).toBeCloseTo((sa[l].mean[u] + sb[l].mean[u]) / 2, 4));
      sc[l].std.forEach((s, u) => expect(s).toBeCloseTo((sa[l].std[u] + sb[l].std[u]) / 2, 4));
    }
    // The plain mean shrinks the hidden units' spread; the output layer's weights are not rescaled.
    const plain = hiddenStats(blendNetworks([a, b]), images.x as tf.Tensor2D);
    expect(plain[0].std.some((s, u) => Math.abs(s - sc[0].std[u]) > 1e-3)).toBe(true);
    for (let j = 59; j < size; j++) expect(child[j]).toBeCloseTo((a[j] + b[j]) / 2, 6);
    // Shares weight the targets too: 0.8 / 0.2 of the parents' statistics.
    const near = hiddenStats(blendNetworks([a, b], { layers, infos, images }, [4, 1]), images.x as tf.Tensor2D);
    near[1].std.forEach((s, u) => expect(s).toBeCloseTo(0.8 * sa[1].std[u] + 0.2 * sb[1].std[u], 4));
    // One parent twice: REPAIR has nothing to fix.
    blendNetworks([a, a], { layers, infos, images }).forEach((v, j) => expect(v).toBeCloseTo(a[j], 4));
    images.x.dispose();
  });

  it('imagesLoss is the mean cross-entropy of the logits', () => {
    const images = { x: x(), labels };
    const flat = randomFlat(6);
    const expected = tf.tidy(() => {
      const w = (o: number, rr: number, c: number) => tf.tensor2d(flat.subarray(o, o + rr * c), [rr, c]);
      const bb = (o: number, n: number) => tf.tensor1d(flat.subarray(o, o + n));
      const h1 = tf.tanh(tf.add(tf.matMul(images.x as tf.Tensor2D, w(0, 6, 5)), bb(30, 5)));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w(35, 5, 4)), bb(55, 4)));
      const logits = tf.add(tf.matMul(h2, w(59, 4, 3)), bb(71, 3));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), logits).dataSync()[0];
    });
    expect(imagesLoss(layers, infos, flat, images)).toBeCloseTo(expected, 5);
    images.x.dispose();
  });
});

describe('matchParents', () => {
  it('permutes later parents onto the first, function unchanged: a shuffled copy comes back exactly', () => {
    const a = randomFlat(7);
    const permuted = applyPermutations(infos, unflattenWeights(infos, a), groups, { a: [3, 0, 4, 1, 2], b: [2, 3, 1, 0] });
    const shuffled = Float32Array.from(infos.flatMap((p) => Array.from(permuted.get(p.name)!)));
    expect(Array.from(shuffled)).not.toEqual(Array.from(a));
    const images = { x: tf.tensor2d(Float32Array.from({ length: 8 * 6 }, (_, i) => Math.sin(i)), [8, 6]), labels: Int32Array.from({ length: 8 }, (_, i) => i % 3) };
    expect(imagesLoss(layers, infos, shuffled, images)).toBeCloseTo(imagesLoss(layers, infos, a, images), 5);
    const [first, second] = matchParents([a, shuffled], infos, groups);
    expect(first).toBe(a);
    expect(Array.from(second)).toEqual(Array.from(a));
    expect(matchParents([a], infos, groups)).toEqual([a]);
    // By activations on images: the same copy comes back, tensors left behind none.
    const before = tf.memory().numTensors;
    const [, byActs] = matchParentsByActivations([a, shuffled], infos, groups, layers, images);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(byActs)).toEqual(Array.from(a));
    // A group that is not one layer's output units (here: named on an input axis only): weight matching instead.
    const odd: PermutationGroup[] = [{ name: 'odd', size: 5, axes: [{ param: 'b.weight', axis: 0 }] }];
    const fallback = matchParentsByActivations([a, shuffled], infos, odd, layers, images)[1];
    expect(Array.from(fallback)).toEqual(Array.from(matchParents([a, shuffled], infos, odd)[1]));
    expect(Array.from(fallback)).not.toEqual(Array.from(shuffled));
    images.x.dispose();
  });
});
