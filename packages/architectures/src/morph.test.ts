import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignWeights, countParams, fitCanonicalizer, registerArchitecture, unregisterArchitecture, hasArchitecture, flattenWeights, planMorph, planWidening, type AnyArchitecture } from '@igpg/core';
import { mlp } from './mlp';
import { cnnS } from './cnn';
import { resnet } from './resnet';

/** Logits of flat weights in a spec on a fixed random batch. */
function logits(plugin: AnyArchitecture, spec: Record<string, unknown>, flat: Float32Array, inputShape: number[]): Float32Array {
  const net = plugin.build(spec as never, 1);
  assignWeights(net, flat);
  const x = tf.randomNormal([6, ...inputShape], 0, 1, 'float32', 5);
  const y = net.apply(x);
  const out = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  net.dispose();
  return out;
}
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

let registered = false;
beforeAll(async () => {
  await tf.setBackend('cpu');
  if (!hasArchitecture('mlp')) { registerArchitecture(mlp); registered = true; } // the canonicalizer resolves by name
});
afterAll(() => {
  if (registered) unregisterArchitecture('mlp');
});

describe('function-preserving widening through the permutation groups', () => {
  const cases: [string, AnyArchitecture, Record<string, unknown>, Record<string, unknown>][] = [
    ['mlp, two hidden layers', mlp, { inputShape: [7], classes: 3, hidden: [5, 4], activation: 'relu' }, { inputShape: [7], classes: 3, hidden: [8, 6], activation: 'relu' }],
    ['mlp on images, gelu', mlp, { inputShape: [6, 6, 1], classes: 4, hidden: [5], activation: 'gelu' }, { inputShape: [6, 6, 1], classes: 4, hidden: [9], activation: 'gelu' }],
    ['cnn-s, every conv and fc1 wider', cnnS, { inputShape: [20, 20, 1], classes: 5, channels: [2, 3, 3], hidden: 6 }, { inputShape: [20, 20, 1], classes: 5, channels: [3, 5, 4], hidden: 9 }],
  ];
  for (const [label, plugin, narrow, wide] of cases) {
    it(`${label}: same logits within 1e-5, wide shapes, seeded, no tensors leak`, () => {
      const before = tf.memory().numTensors;
      const net = plugin.build(narrow as never, 3);
      const flat = flattenWeights(net);
      net.dispose();
      const a = planWidening(plugin, narrow, wide, 1).map(flat);
      expect(a.length).toBe(countParams(plugin.describe(wide as never)));
      const inputShape = narrow.inputShape as number[];
      expect(maxDiff(logits(plugin, wide, a, inputShape), logits(plugin, narrow, flat, inputShape))).toBeLessThanOrEqual(1e-5);
      expect(Array.from(planWidening(plugin, narrow, wide, 1).map(flat))).toEqual(Array.from(a));
      expect(Array.from(planWidening(plugin, narrow, wide, 2).map(flat))).not.toEqual(Array.from(a));
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('says why it cannot: another depth, fewer units, a residual stream, a wrong weight count', () => {
    const spec = { inputShape: [7], classes: 3, hidden: [5], activation: 'relu' };
    expect(() => planWidening(mlp, spec, { ...spec, hidden: [5, 5] }, 0)).toThrow(/different parameter lists \(another depth\?\)/);
    expect(() => planWidening(mlp, spec, { ...spec, hidden: [4] }, 0)).toThrow(/group "layers.0" has 4 units in the wide spec and 5 in the narrow one/);
    expect(() => planWidening(mlp, spec, { ...spec, inputShape: [8] }, 0)).toThrow(/changes size along an axis no permutation group covers \(7 -> 8\)/);
    const r = { inputShape: [8, 8, 1], classes: 3, stem: 3, stages: [{ blocks: 2, channels: 4 }], activation: 'relu' };
    expect(() => planWidening(resnet, r, { ...r, stages: [{ blocks: 2, channels: 6 }] }, 0)).toThrow(/spans layers .* \(a residual stream\)/);
    expect(() => planWidening(mlp, spec, { ...spec, hidden: [8] }, 0).map(new Float32Array(3))).toThrow(/got 3 weights, the narrow spec has 58/);
  });
});

describe('function-preserving deepening (mlp: identity layers in a ReLU network)', () => {
  const base = { inputShape: [7], classes: 3, activation: 'relu', inputPool: 1 };
  for (const [shallow, deep] of [[[5], [5, 5]], [[5, 4], [5, 5, 4, 4]], [[6], [6, 6, 6]]]) {
    it(`[${shallow}] -> [${deep}]: same logits within 1e-5`, () => {
      const net = mlp.build({ ...base, hidden: shallow } as never, 4);
      const flat = flattenWeights(net);
      net.dispose();
      const d = mlp.deepen!({ ...base, hidden: shallow } as never, { ...base, hidden: deep } as never)(flat);
      expect(maxDiff(logits(mlp, { ...base, hidden: deep }, d, [7]), logits(mlp, { ...base, hidden: shallow }, flat, [7]))).toBeLessThanOrEqual(1e-5);
    });
  }
  it('says why it cannot', () => {
    const s = { ...base, hidden: [5] } as never;
    expect(() => mlp.deepen!(s, { ...base, hidden: [5, 6] } as never)).toThrow(/is not \[5\] with identity layers inserted/);
    expect(() => mlp.deepen!(s, { ...base, hidden: [] } as never)).toThrow(/drops layers of \[5\]/);
    expect(() => mlp.deepen!({ ...base, activation: 'tanh', hidden: [5] } as never, { ...base, activation: 'tanh', hidden: [5, 5] } as never)).toThrow(/only ReLU layers/);
    expect(() => mlp.deepen!(s, { ...base, classes: 4, hidden: [5, 5] } as never)).toThrow(/deepening keeps classes/);
  });
});

describe('planMorph: what a generator makes for a spec its canonicalizer has no reference for', () => {
  it('widens from the largest narrower reference, deepens where it cannot widen, and leaves known specs alone', () => {
    const before = tf.memory().numTensors;
    const spec = (hidden: number[]) => ({ inputShape: [7], classes: 3, activation: 'relu', inputPool: 1, hidden });
    const nets = [[4], [4], [6], [6]].map((h, i) => {
      const net = mlp.build(spec(h) as never, i + 1);
      const flat = flattenWeights(net);
      net.dispose();
      return { architecture: { name: 'mlp', spec: spec(h) }, flat };
    });
    const { canon } = fitCanonicalizer(nets);
    expect(planMorph(canon, mlp, spec([6]), 0)).toBeUndefined();
    const wide = planMorph(canon, mlp, spec([9]), 0)!;
    expect(wide.how).toBe('widened');
    expect(wide.from.hidden).toEqual([6]);
    const deep = planMorph(canon, mlp, spec([6, 6]), 0)!;
    expect(deep.how).toBe('deepened');
    expect(deep.from.hidden).toEqual([6]);
    expect(maxDiff(logits(mlp, spec([6, 6]), deep.map(nets[2].flat), [7]), logits(mlp, spec([6]), nets[2].flat, [7]))).toBeLessThanOrEqual(1e-5);
    expect(planMorph(canon, mlp, spec([5, 3]), 0)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });
});
