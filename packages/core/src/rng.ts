import seedrandom from 'seedrandom';

/** A seeded random source. The whole system draws from these; the same seed gives the same stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A fresh seed for tfjs ops. Never 0: tfjs treats a seed of 0 as "unseeded". */
  tfSeed(): number;
  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[];
  /** An independent child stream, e.g. one per worker or per network. */
  fork(label: string | number): Rng;
}

/**
 * Make a seeded random source.
 * @example const rng = createRng(42); rng.int(10); rng.fork('worker-1').next();
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const prng = seedrandom(String(seed));
  const rng: Rng = {
    next: () => prng(),
    int: (n) => Math.floor(prng() * n),
    normal() {
      const u = 1 - prng(); // (0, 1]: log(u) is finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng());
    },
    tfSeed: () => 1 + Math.floor(prng() * 2_147_483_646),
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(prng() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
    fork: (label) => createRng(`${seed}/${label}`),
  };
  return rng;
}
