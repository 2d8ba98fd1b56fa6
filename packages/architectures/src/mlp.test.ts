import { describe, expect, it } from 'vitest';
import { countParams, ValidationError } from '@igpg/core';
import { mlp } from './mlp';
import { conformance } from './testing/suite';

describe('mlp', () => {
  conformance(mlp, { inputShape: [4], classes: 3, hidden: [16, 8], activation: 'tanh' });

  describe('on images (flattened)', () => {
    conformance(mlp, { inputShape: [8, 8, 1], classes: 10, hidden: [12], activation: 'gelu' });
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
