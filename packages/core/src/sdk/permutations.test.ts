import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPermutations, axisRows, checkPermutationGroups, invertPermutation, isPermutation, permuteAxis, type PermutationGroup } from './permutations';
import { defineArchitecture } from './architecture';
import { linearArch } from './testing-arch.fixture';
import { createRng } from '../rng';
import type { ParamInfo } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const range = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

// a 2-layer MLP 3 -> 4 -> 2, its hidden units as one group
const infos: ParamInfo[] = [
  { name: 'a.weight', role: 'kernel', shape: [3, 4], layer: 0 },
  { name: 'a.bias', role: 'bias', shape: [4], layer: 0 },
  { name: 'b.weight', role: 'kernel', shape: [4, 2], layer: 1 },
];
const hidden: PermutationGroup = { name: 'a', size: 4, axes: [{ param: 'a.weight', axis: 1 }, { param: 'a.bias', axis: 0 }, { param: 'b.weight', axis: 0 }] };

describe('permuteAxis', () => {
  it('reorders so that new unit u is old unit perm[u] (the doc example)', () => {
    expect(Array.from(permuteAxis(Float32Array.from([1, 2, 3, 4]), [2, 2], 1, [1, 0]))).toEqual([2, 1, 4, 3]);
    expect(Array.from(permuteAxis(Float32Array.from([1, 2, 3, 4]), [2, 2], 0, [1, 0]))).toEqual([3, 4, 1, 2]);
  });

  it('agrees with tf.gather on every axis of random views, and leaves its input alone', () => {
    const rng = createRng('permuteAxis');
    for (const view of [[5], [3, 4], [2, 3, 4], [2, 1, 3, 2, 2]]) {
      const n = view.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, () => rng.normal());
      const copy = data.slice();
      view.forEach((len, axis) => {
        const perm = rng.shuffle(Array.from({ length: len }, (_, i) => i));
        const expected = tf.tidy(() => Array.from(tf.gather(tf.tensor(data, view), perm, axis).dataSync()));
        expect(Array.from(permuteAxis(data, view, axis, perm))).toEqual(expected);
      });
      expect(data).toEqual(copy);
    }
  });

  it('rejects a permutation of the wrong length', () => {
    expect(() => permuteAxis(range(6), [2, 3], 1, [0, 1])).toThrow(/a permutation of 2 for an axis of 3/);
  });
});

describe('axisRows', () => {
  it('gives one row per unit: a matrix column per unit on axis 1, the matrix itself on axis 0', () => {
    expect(Array.from(axisRows(range(6), [2, 3], 1))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(axisRows(range(6), [2, 3], 0))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes the other axes in row-major order (a [2, 3, 2] view on axis 1)', () => {
    // unit u holds [a=0, u, 0..1] then [a=1, u, 0..1]
    expect(Array.from(axisRows(range(12), [2, 3, 2], 1))).toEqual([0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
  });

  it('follows permuteAxis: the rows of the permuted tensor are the rows reordered', () => {
    const data = range(24), view = [2, 3, 4], perm = [2, 0, 3, 1];
    const rows = axisRows(data, view, 2), permuted = axisRows(permuteAxis(data, view, 2, perm), view, 2);
    const rest = 6;
    perm.forEach((old, u) => expect(Array.from(permuted.subarray(u * rest, (u + 1) * rest))).toEqual(Array.from(rows.subarray(old * rest, (old + 1) * rest))));
  });
});

describe('applyPermutations', () => {
  const tensors = () => new Map(infos.map((p) => [p.name, range(p.shape.reduce((a, b) => a * b, 1))]));

  it('permutes every axis of a group, leaves the input unchanged, and the inverse restores it', () => {
    const input = tensors();
    const out = applyPermutations(infos, input, [hidden], { a: [3, 2, 1, 0] });
    expect(Array.from(out.get('a.bias')!)).toEqual([3, 2, 1, 0]);
    expect(Array.from(out.get('a.weight')!)).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
    expect(Array.from(out.get('b.weight')!)).toEqual([6, 7, 4, 5, 2, 3, 0, 1]);
    expect(Array.from(input.get('a.bias')!)).toEqual([0, 1, 2, 3]);
    const back = applyPermutations(infos, out, [hidden], { a: invertPermutation([3, 2, 1, 0]) });
    for (const [name, data] of input) expect(back.get(name)).toEqual(data);
  });

  it('keeps the function of a real network (x @ A + a -> relu -> @ B)', () => {
    const rng = createRng('apply');
    const t = new Map(infos.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => rng.normal())]));
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
    const f = (w: Map<string, Float32Array>) => tf.tidy(() => {
      const h = tf.relu(tf.add(tf.matMul(x, tf.tensor2d(w.get('a.weight')!, [3, 4])), tf.tensor1d(w.get('a.bias')!)));
      return Array.from(tf.matMul(h, tf.tensor2d(w.get('b.weight')!, [4, 2])).dataSync());
    });
    const before = f(t), after = f(applyPermutations(infos, t, [hidden], { a: [1, 3, 0, 2] }));
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i], 5));
    x.dispose();
  });

  it('leaves a group without a permutation as it is, and rejects one that is not a permutation', () => {
    const input = tensors();
    const out = applyPermutations(infos, input, [hidden], {});
    for (const [name, data] of input) expect(out.get(name)).toEqual(data);
    expect(() => applyPermutations(infos, input, [hidden], { a: [0, 0, 1, 2] })).toThrow(/group "a" is not a permutation of 0..3/);
    expect(() => applyPermutations(infos, input, [hidden], { a: [0, 1, 2] })).toThrow(/not a permutation/);
  });
});

describe('isPermutation and invertPermutation', () => {
  it('accept exactly the permutations of 0..n-1', () => {
    expect(isPermutation([2, 0, 1], 3)).toBe(true);
    expect(isPermutation([2, 0, 0], 3)).toBe(false);
    expect(isPermutation([0, 1, 3], 3)).toBe(false);
    expect(isPermutation([0, 1.5, 2], 3)).toBe(false);
    expect(isPermutation([0, 1], 3)).toBe(false);
    expect(invertPermutation([2, 0, 1])).toEqual([1, 2, 0]);
  });
});

describe('checkPermutationGroups', () => {
  const check = (groups: PermutationGroup[]) => () => checkPermutationGroups('toy', infos, groups);
  const withAxis = (axis: PermutationGroup['axes'][number], size = 4): PermutationGroup[] => [{ name: 'g', size, axes: [axis] }];

  it('accepts good groups, views included', () => {
    expect(check([hidden, { name: 'rows', size: 3, axes: [{ param: 'a.weight', axis: 0 }] }, { name: 'pairs', size: 2, axes: [{ param: 'b.weight', axis: 1, view: [2, 2, 2] }] }])).not.toThrow();
  });

  it('names the architecture, the group and the rule it breaks', () => {
    expect(check([hidden, hidden])).toThrow('architecture "toy", permutation group "a": the name is used twice');
    expect(check([{ ...hidden, size: 0 }])).toThrow(/group "a": size must be a positive integer, got 0/);
    expect(check([{ ...hidden, size: 2.5 }])).toThrow(/size must be a positive integer, got 2.5/);
    expect(check([{ ...hidden, axes: [] }])).toThrow(/group "a": lists no axes/);
    expect(check(withAxis({ param: 'c.weight', axis: 0 }))).toThrow(/unknown parameter "c.weight" \(known: a.weight, a.bias, b.weight\)/);
    expect(check(withAxis({ param: 'a.weight', axis: 0, view: [4, 4] }))).toThrow(/view \[4,4\] of "a.weight" has 16 values, the tensor \[3,4\] has 12/);
    expect(check(withAxis({ param: 'a.weight', axis: 2 }))).toThrow(/axis 2 is outside the view \[3,4\] of "a.weight"/);
    expect(check(withAxis({ param: 'a.weight', axis: -1 }))).toThrow(/axis -1 is outside/);
    expect(check(withAxis({ param: 'a.weight', axis: 0 }))).toThrow(/axis 0 of "a.weight" \(view \[3,4\]\) has 3 entries, the group permutes 4/);
  });

  it('runs whenever a plugin declares its symmetry (defineArchitecture)', () => {
    const base = linearArch('toy-linear');
    const spec = { inputShape: [3], classes: 2 };
    const bad = defineArchitecture({ ...base, symmetry: () => ({ groups: [{ name: 'in', size: 4, axes: [{ param: 'fc.weight', axis: 0 }] }] }) });
    expect(() => bad.symmetry!(spec)).toThrow(/architecture "toy-linear", permutation group "in": axis 0 of "fc.weight" \(view \[3,2\]\) has 3 entries, the group permutes 4/);
    const good = defineArchitecture({ ...base, symmetry: (s) => ({ groups: [{ name: 'in', size: s.inputShape[0], axes: [{ param: 'fc.weight', axis: 0 }] }] }) });
    expect(good.symmetry!(spec).groups[0].size).toBe(3);
  });
});
