import { describe, expect, it } from 'vitest';
import { copyVerdict, l2Distance, medianPairwiseDistance, nearestCheckpoint, noiseAtDistance } from './memorization';
import { heldOutParaphrases } from './paraphrases';
import { median, spearman, summary } from './stats';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('memorization metrics', () => {
  it('l2Distance and nearestCheckpoint on hand-made vectors', () => {
    expect(l2Distance(v(0, 0), v(3, 4))).toBe(5);
    const refs = [v(10, 10), v(1, 1), v(-3, 0)];
    expect(nearestCheckpoint(v(1, 2), refs)).toEqual({ index: 1, distance: 1 });
    expect(nearestCheckpoint(v(-3, 0), refs)).toEqual({ index: 2, distance: 0 }); // an exact copy sits at 0
    expect(() => nearestCheckpoint(v(1), [])).toThrow(/no reference checkpoints/);
    expect(() => l2Distance(v(1, 2), v(1))).toThrow(/differ in length \(2 vs 1\)/);
  });

  it('medianPairwiseDistance: the median of all pairs, NaN for fewer than two', () => {
    // pairs: (0,0)-(3,4)=5, (0,0)-(6,8)=10, (3,4)-(6,8)=5 -> median 5
    expect(medianPairwiseDistance([v(0, 0), v(3, 4), v(6, 8)])).toBe(5);
    expect(medianPairwiseDistance([v(0, 0), v(3, 4)])).toBe(5);
    expect(medianPairwiseDistance([v(1, 1)])).toBeNaN();
  });

  it('noiseAtDistance lands at exactly the asked distance, in a seeded random direction', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    for (const d of [0, 0.01, 2.5, 40]) expect(l2Distance(noiseAtDistance(x, d, 1), x)).toBeCloseTo(d, 3);
    expect(Array.from(noiseAtDistance(x, 1, 7))).toEqual(Array.from(noiseAtDistance(x, 1, 7)));
    expect(Array.from(noiseAtDistance(x, 1, 7))).not.toEqual(Array.from(noiseAtDistance(x, 1, 8)));
    // isotropic: the noise is spread over all coordinates, not put on one
    const diff = Array.from(noiseAtDistance(x, 1, 3), (y, i) => Math.abs(y - x[i]));
    expect(Math.max(...diff)).toBeLessThan(0.2);
    expect(() => noiseAtDistance(x, -1, 0)).toThrow(/distance must be/);
  });

  it('copyVerdict says plainly when the generator copies', () => {
    expect(copyVerdict([0, 0.001, 0.002], 3, 0.001, 0.05)).toMatchObject({ copies: true });
    expect(copyVerdict([0, 0.001, 0.002], 3, 0.001, 0.05).sentence).toMatch(/^The generator mostly COPIES/);
    expect(copyVerdict([0.4, 0.5, 0.6], 0, 0.02, 0.05)).toMatchObject({ copies: false });
    expect(copyVerdict([0.4, 0.5, 0.6], 0, 0.02, 0.05).sentence).toMatch(/does not merely copy.*median relative nearest-checkpoint distance 0\.500.*0 of 3/);
    expect(copyVerdict([0.4, 0.5, 0.6], 2, 0.02, 0.05).copies).toBe(true); // most are exact code copies
  });
});

describe('stats and paraphrases', () => {
  it('median, spearman, summary', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2], [1, 2])).toBeNaN();
    expect(summary([0.5, 1])).toEqual({ min: 0.5, median: 0.75, max: 1, mean: 0.75, n: 2 });
  });

  it('held-out paraphrases avoid the manifest instructions and are deterministic', () => {
    const task = { dataset: 'blobs-4', classes: ['blob-0', 'blob-1'] };
    const all = heldOutParaphrases(task, [], 5);
    expect(all).toHaveLength(5);
    const some = heldOutParaphrases(task, [all[0].toUpperCase(), 'Classify blobs'], 3);
    expect(some).not.toContain(all[0]);
    expect(some).toEqual(all.slice(1, 4));
    expect(new Set(all).size).toBe(5);
    expect(all.every((p) => p.includes('blob-0') && p.includes('blob-1'))).toBe(true);
  });
});
