import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

describe('createRng', () => {
  it('reproduces a stream from the same seed and differs across seeds', () => {
    const a = createRng(7), b = createRng(7), c = createRng(8);
    const draw = (r: typeof a) => Array.from({ length: 5 }, () => r.next());
    const sa = draw(a);
    expect(draw(b)).toEqual(sa);
    expect(draw(c)).not.toEqual(sa);
  });
  it('never hands tfjs a zero seed and forks independent streams', () => {
    const r = createRng(0);
    for (let i = 0; i < 1000; i++) expect(r.tfSeed()).toBeGreaterThan(0);
    expect(createRng(1).fork('a').next()).not.toEqual(createRng(1).fork('b').next());
    expect(createRng(1).fork('a').next()).toEqual(createRng(1).fork('a').next());
  });
  it('rejects a non-finite seed', () => {
    expect(() => createRng(NaN)).toThrow(/finite/);
  });
});
