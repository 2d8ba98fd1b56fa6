import { describe, expect, it } from 'vitest';
import { countParams, ValidationError } from '@igpg/core';
import { mlp } from './mlp';
import { conformance } from './testing/suite';

describe('mlp', () => {
  conformance(mlp, { inputShape: [4], classes: 3, hidden: [16, 8], activation: 'tanh' });

  describe('on images (flattened)', () => {
    conformance(mlp, { inputShape: [8, 8, 1], classes: 10, hidden: [12], activation: 'gelu' });
  });

  describe('on average-pooled images', () => {
    conformance(mlp, { inputShape: [8, 8, 1], classes: 10, hidden: [6], activation: 'relu', inputPool: 2 });
  });

  it('pools an image input before the first layer: 28x28 by 4 gives 49 inputs', () => {
    const spec = { inputShape: [28, 28, 1], classes: 10, hidden: [16], activation: 'relu' as const, inputPool: 4 };
    expect(countParams(mlp.describe(spec))).toBe(49 * 16 + 16 + 16 * 10 + 10);
    expect(mlp.summary(spec)).toMatch(/average-pooled by 4/);
    expect(() => mlp.describe({ inputShape: [4], classes: 3, inputPool: 2 } as never)).toThrow(/inputPool needs an image input/);
  });

  it('counts any depth: 4 -> 16 -> 8 -> 3 has 80 + 136 + 27 = 243 parameters', () => {
    expect(countParams(mlp.describe({ inputShape: [4], classes: 3, hidden: [16, 8], activation: 'relu' }))).toBe(243);
    expect(countParams(mlp.describe({ inputShape: [4], classes: 3, hidden: [], activation: 'relu' }))).toBe(15);
  });

  it('fills defaults and describes itself', () => {
    expect(mlp.summary({ inputShape: [4], classes: 3 } as never)).toBe('a 2-layer MLP with a 32-unit hidden layer (relu), 259 parameters, on 4 inputs with 3 classes');
  });

  it('rejects a bad spec naming the path and the rule', () => {
    expect(() => mlp.describe({ inputShape: [4], classes: 3, hidden: [0] } as never)).toThrow(ValidationError);
    expect(() => mlp.describe({ inputShape: [4], classes: 3, hidden: [0] } as never)).toThrow(/\/hidden\/0: must be >= 1/);
    expect(() => mlp.describe({ inputShape: [4], classes: 3, depth: 2 } as never)).toThrow(/unknown key "depth"/);
  });
});
