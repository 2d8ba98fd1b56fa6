import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { max, mean, median, min, spearman, summary } from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ss = require('simple-statistics') as { mean(xs: number[]): number; median(xs: number[]): number; sampleRankCorrelation(a: number[], b: number[]): number };

describe('eval stats', () => {
  it('median and mean: the plain definitions, input left in order', () => {
    const xs = [0.3, 0.1, 0.2];
    expect(median(xs)).toBe(0.2);
    expect(xs).toEqual([0.3, 0.1, 0.2]);
    expect(median([0.1, 0.2])).toBe((0.1 + 0.2) / 2);
    expect(mean([0.1, 0.2, 0.3])).toBe((0.1 + 0.2 + 0.3) / 3);
    expect(min([3, 1, 2])).toBe(1);
    expect(max([3, 1, 2])).toBe(3);
  });

  it('empty input gives NaN, never a throw', () => {
    for (const f of [mean, median, min, max]) expect(f([])).toBeNaN();
    expect(summary([])).toEqual({ min: NaN, median: NaN, max: NaN, mean: NaN, n: 0 });
    expect(spearman([1, 2], [2, 1])).toBeNaN();
  });

  it('why not simple-statistics: on report-like numbers its median and mean differ in the last bits (the results hash would move)', () => {
    // distances and accuracies as the report has them; count how often the library's value is not the same double
    const rng = createRng('stats-vs-library');
    let medianDiffers = 0, meanDiffers = 0;
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 * (1 + rng.int(20)); // even counts: the median averages two values
      const xs = Array.from({ length: n }, () => (trial % 2 ? rng.int(81) / 80 : Math.abs(rng.normal()) * 7.3));
      if (!Object.is(median(xs), ss.median(xs))) medianDiffers++;
      if (!Object.is(mean(xs), ss.mean(xs))) meanDiffers++;
      expect(median(xs)).toBeCloseTo(ss.median(xs), 12); // the same statistic, only the rounding differs
      expect(mean(xs)).toBeCloseTo(ss.mean(xs), 12);
    }
    expect(medianDiffers).toBeGreaterThan(0);
    expect(meanDiffers).toBeGreaterThan(0);
    // Spearman with ties averaged: the library's value to rounding
    const a = Array.from({ length: 30 }, () => rng.int(10)), b = a.map((x) => x + rng.normal());
    expect(spearman(a, b)).toBeCloseTo(ss.sampleRankCorrelation(a, b), 12);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
  });
});
