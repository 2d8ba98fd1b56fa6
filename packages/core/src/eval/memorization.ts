// Memorization audit (weight space). A generator that only copies its training checkpoints produces networks at
// (almost) zero distance from one of them. We measure, for each generated network, the L2 distance of its flat
// weights to the nearest training checkpoint of the same architecture, relative to the typical (median pairwise)
// distance between two independently trained zoo networks; and we build the fair baseline of the same distance:
// that nearest checkpoint plus Gaussian noise scaled to exactly that distance. If the generator is better than a
// noised copy at the same distance, what it adds is not noise.
import { createRng } from '../rng';
import { median } from './stats';

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: weight vectors differ in length (${a.length} vs ${b.length}); compare networks of the same architecture`);
}

/** Euclidean (L2) distance between two flat weight vectors of the same length. */
export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b, 'l2Distance');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** L2 norm of a flat weight vector. */
export function l2Norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/**
 * The reference vector nearest to `x` (L2) and its distance.
 * @example nearestCheckpoint(generated, zooFlats) // { index: 3, distance: 1.7 }
 */
export function nearestCheckpoint(x: ArrayLike<number>, references: ArrayLike<number>[]): { index: number; distance: number } {
  if (!references.length) throw new Error('nearestCheckpoint: no reference checkpoints to compare with');
  let index = -1, distance = Infinity;
  references.forEach((r, i) => {
    const d = l2Distance(x, r);
    if (d < distance) { distance = d; index = i; }
  });
  return { index, distance };
}

/** Median L2 distance over all pairs of vectors (the "typical distance between two zoo networks"); NaN for < 2. */
export function medianPairwiseDistance(vectors: ArrayLike<number>[]): number {
  const d: number[] = [];
  for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) d.push(l2Distance(vectors[i], vectors[j]));
  return median(d);
}

/**
 * `x` plus isotropic Gaussian noise whose L2 norm is exactly `distance` (the direction is random, the length is not),
 * so l2Distance(result, x) === distance up to float32 rounding. Deterministic in `seed`.
 * @example const noisy = noiseAtDistance(checkpoint, 2.5, 7); // l2Distance(noisy, checkpoint) ≈ 2.5
 */
export function noiseAtDistance(x: Float32Array, distance: number, seed: number | string): Float32Array {
  if (!(distance >= 0) || !Number.isFinite(distance)) throw new Error(`noiseAtDistance: distance must be a finite number >= 0, got ${distance}`);
  const rng = createRng(`noise-at-distance/${seed}`);
  const noise = Float64Array.from({ length: x.length }, () => rng.normal());
  const norm = l2Norm(noise) || 1;
  return Float32Array.from(x, (v, i) => v + (noise[i] * distance) / norm);
}

/** How the audit reads: "copies" when generated networks sit at (relative) distance below `margin` from the zoo. */
interface CopyVerdict {
  copies: boolean;
  sentence: string;
}

/**
 * Plain-words verdict of the memorization audit.
 * relNearest: relative nearest-checkpoint distances of the generated networks; exactCopies: how many of them have
 * exactly the code stream of a training checkpoint; copyFloor: relative distance of a checkpoint rebuilt from its own
 * codes (what an exact code copy would show).
 */
export function copyVerdict(relNearest: number[], exactCopies: number, copyFloor: number, margin: number): CopyVerdict {
  const n = relNearest.length;
  if (!n) return { copies: false, sentence: 'No generated networks were audited.' };
  const med = median(relNearest);
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const facts = `median relative nearest-checkpoint distance ${fmt(med)} (margin ${margin}; an exact code copy would sit at ${fmt(copyFloor)}), ${exactCopies} of ${n} generated networks are exact code copies of a training checkpoint`;
  const copies = exactCopies >= n / 2 || med < margin;
  return {
    copies,
    sentence: copies
      ? `The generator mostly COPIES its training checkpoints: ${facts}.`
      : `The generator does not merely copy its training checkpoints: ${facts}.`,
  };
}
