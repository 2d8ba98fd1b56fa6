import { createRng } from '@igpg/core';
import { materialize, type ArraySource } from './select';
import type { DatasetPlugin } from './types';

/** Options of a synthetic 2-D task family. */
export interface SyntheticOptions {
  /** 'spirals': k interleaved arms (hard for linear models); 'blobs': k Gaussian clusters on a circle (easy). */
  kind: 'spirals' | 'blobs';
  /** Number of classes, 2..26. */
  classes: number;
  /** Generator seed (default 0). The registered built-ins use 0. */
  seed?: number;
  /** Samples per class in the train / test split (defaults 300 / 100). */
  trainPerClass?: number;
  testPerClass?: number;
  /** Noise std in the [0, 1] square (defaults: spirals 0.02, blobs 0.07). */
  noise?: number;
}

// One point of class c at position t in [0, 1) along its arm / cluster, in the [0, 1] square.
function point(o: Required<SyntheticOptions>, c: number, t: number, rng: ReturnType<typeof createRng>): [number, number] {
  if (o.kind === 'spirals') {
    const r = 0.05 + 0.4 * t; // radius grows along the arm
    const a = (2 * Math.PI * c) / o.classes + 3 * Math.PI * t; // one and a half turns
    return [0.5 + r * Math.cos(a) + o.noise * rng.normal(), 0.5 + r * Math.sin(a) + o.noise * rng.normal()];
  }
  const a = (2 * Math.PI * c) / o.classes;
  return [0.5 + 0.32 * Math.cos(a) + o.noise * rng.normal(), 0.5 + 0.32 * Math.sin(a) + o.noise * rng.normal()];
}

function generate(o: Required<SyntheticOptions>, split: 'train' | 'test'): ArraySource {
  const per = split === 'train' ? o.trainPerClass : o.testPerClass;
  const rng = createRng(`synthetic/${o.kind}/${o.classes}/${o.seed}/${split}`);
  const pixels = new Float32Array(per * o.classes * 2);
  const labels = new Int32Array(per * o.classes);
  for (let c = 0, i = 0; c < o.classes; c++) {
    for (let s = 0; s < per; s++, i++) {
      const [u, v] = point(o, c, rng.next(), rng);
      pixels[2 * i] = Math.min(1, Math.max(0, u));
      pixels[2 * i + 1] = Math.min(1, Math.max(0, v));
      labels[i] = c;
    }
  }
  return { name: `${o.kind}-${o.classes}`, pixels, scale: 1, labels, numClasses: o.classes, inputShape: [2] };
}

/**
 * A synthetic 2-D classification task family, fast to train on (quick tests, tiny zoos).
 * Named `<kind>-<classes>` (e.g. `spirals-3`), classes named `arm-0`.. / `blob-0`..; inputs (N, 2) in [0, 1].
 * @example const ds = syntheticDataset({ kind: 'blobs', classes: 4 }); await ds.load({ split: 'train' });
 */
export function syntheticDataset(options: SyntheticOptions): DatasetPlugin {
  const { kind, classes } = options;
  if (kind !== 'spirals' && kind !== 'blobs') throw new Error(`syntheticDataset: unknown kind "${kind}" (allowed: spirals, blobs)`);
  if (!Number.isInteger(classes) || classes < 2 || classes > 26) throw new Error(`syntheticDataset: classes must be an integer in 2..26, got ${classes}`);
  const o: Required<SyntheticOptions> = {
    seed: 0, trainPerClass: 300, testPerClass: 100, noise: kind === 'spirals' ? 0.02 : 0.07, ...options,
  };
  const cache: Partial<Record<'train' | 'test', { src: ArraySource; order: number[] }>> = {};
  const noun = kind === 'spirals' ? 'arm' : 'blob';
  return {
    name: `${kind}-${classes}`,
    description: `Synthetic 2-D ${kind}: ${classes} classes (${kind === 'spirals' ? 'interleaved spiral arms' : 'Gaussian clusters'}), ${o.trainPerClass}/${o.testPerClass} points per class, seed ${o.seed}`,
    classes: Array.from({ length: classes }, (_, c) => `${noun}-${c}`),
    inputShape: [2],
    async load(opts) {
      // Points are generated class by class; a fixed shuffle makes the default order mixed.
      const { src, order } = (cache[opts.split] ??= (() => {
        const src = generate(o, opts.split);
        const order = createRng(`${src.name}/${o.seed}/${opts.split}/order`).shuffle(Array.from({ length: src.labels.length }, (_, i) => i));
        return { src, order };
      })());
      return materialize(src, order, opts);
    },
  };
}
