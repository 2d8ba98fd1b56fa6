// Small summary statistics on plain number arrays (no tensors). Empty input gives NaN, never a throw:
// a report column with nothing to summarise shows "n/a".
// Written out rather than taken from simple-statistics (issue #14 asked): its median interpolates (type 7,
// lo + (hi - lo) / 2) and its mean sums with Kahan-Babuska compensation, and both round differently from these in
// the last bits (stats.test.ts finds such cases). Every number of the evaluation report feeds its results hash,
// so reports made before would stop reproducing. These are the project's one median and mean: core exports them
// for the CLI's summaries and the scripts/ checks.

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
export const min = (xs: number[]): number => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);

/** Median (mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Ranks 1..n with ties averaged (for Spearman's rho). */
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation in [-1, 1]; NaN with fewer than 3 points or a constant input. */
export function spearman(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} vs ${b.length} values`);
  if (a.length < 3) return NaN;
  const ra = ranks(a), rb = ranks(b);
  const ma = mean(ra), mb = mean(rb);
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : NaN;
}

/** min / median / max / mean of a list, NaN-safe for empty lists. */
export function summary(xs: number[]): { min: number; median: number; max: number; mean: number; n: number } {
  return { min: min(xs), median: median(xs), max: max(xs), mean: mean(xs), n: xs.length };
}
