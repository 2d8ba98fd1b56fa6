import { describe, expect, it } from 'vitest';
import { plugins } from './builtin';

describe('built-in architectures', () => {
  it('all declare their permutation symmetries (the conformance suite permutes them)', () => {
    expect(plugins.filter((p) => typeof p.symmetry !== 'function').map((p) => p.name)).toEqual([]);
  });
});
