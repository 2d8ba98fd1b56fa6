import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import { dense } from '../nn/init';

/**
 * k samples per class from a dataset: the dataset condition (paper: 5 images per class, mean-pooled features).
 * `x` is (n, featureDim) row-major; any input shape is flattened.
 */
export interface SupportSet {
  /** Dataset name, for messages and caching. */
  name: string;
  x: Float32Array;
  featureDim: number;
  labels: Int32Array;
  classes: number;
}

/**
 * Pick k samples per class (seeded) from a loaded split {x: (N, ...shape), y: (N,)}.
 * @example const support = supportSetFromSplit('mnist', await plugin.load({ split: 'train', limit: 500 }), 5, 0);
 */
export function supportSetFromSplit(name: string, split: { x: tf.Tensor; y: tf.Tensor }, k: number, seed: number): SupportSet {
  const n = split.x.shape[0];
  const featureDim = split.x.size / n;
  const xs = split.x.dataSync() as Float32Array;
  const ys = split.y.dataSync();
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) byClass.set(ys[i], [...(byClass.get(ys[i]) ?? []), i]);
  const rng = createRng(`support/${name}/${seed}`);
  const classIds = [...byClass.keys()].sort((a, b) => a - b);
  const picked: number[] = [];
  const labels: number[] = [];
  classIds.forEach((c, ci) => {
    for (const i of rng.shuffle(byClass.get(c)!).slice(0, k)) { picked.push(i); labels.push(ci); }
  });
  const x = new Float32Array(picked.length * featureDim);
  picked.forEach((i, r) => x.set(xs.subarray(i * featureDim, (i + 1) * featureDim), r * featureDim));
  return { name, x, featureDim, labels: Int32Array.from(labels), classes: classIds.length };
}

export interface DatasetEncoderConfig {
  /** Every sample is resampled to this many values (area averaging of the flattened sample), so any dataset fits. */
  inputDim?: number;
  hidden?: number;
  dim?: number;
  seed?: number;
}

const datasetEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    inputDim: { type: 'integer', minimum: 1, default: 64 },
    hidden: { type: 'integer', minimum: 1, default: 64 },
    dim: { type: 'integer', minimum: 1, default: 64 },
    seed: { type: 'integer', default: 0 },
  },
};

/** Resample a flattened sample of any length to `m` values by averaging (or repeating) equal segments. */
export function resample(v: Float32Array, m: number): Float32Array {
  const out = new Float32Array(m);
  const n = v.length;
  for (let j = 0; j < m; j++) {
    const a = Math.floor((j * n) / m);
    const b = Math.max(a + 1, Math.floor(((j + 1) * n) / m));
    let s = 0;
    for (let i = a; i < b; i++) s += v[i];
    out[j] = s / (b - a);
  }
  return out;
}

/** The set encoder's trainable parts and its `encode`. */
export interface DatasetEncoder {
  readonly dim: number;
  /** support sets -> (N, dim), one vector per set. */
  encode(sets: SupportSet[]): tf.Tensor2D;
  readonly variables: Record<string, tf.Variable>;
  config(): Record<string, unknown>;
  dispose(): void;
}

/**
 * Deep-sets dataset encoder: phi (2-layer MLP) on each resampled, standardised sample, mean-pooled within each
 * class, then over classes, then rho (linear). Permutation-invariant in samples and classes; trained with the prior.
 * @example const enc = datasetEncoder({ dim: 64 }); const v = enc.encode([support]); // (1, 64)
 */
export function datasetEncoder(options: DatasetEncoderConfig = {}, scope?: string): DatasetEncoder {
  const cfg = validate<Required<DatasetEncoderConfig>>(datasetEncoderSchema, options, 'dataset encoder config');
  const rng = createRng(`dataset-encoder/${cfg.seed}`);
  const phi1 = dense(cfg.inputDim, cfg.hidden, rng.tfSeed(), scope && `${scope}/phi1`);
  const phi2 = dense(cfg.hidden, cfg.hidden, rng.tfSeed(), scope && `${scope}/phi2`);
  const rho = dense(cfg.hidden, cfg.dim, rng.tfSeed(), scope && `${scope}/rho`);
  const prepared = new WeakMap<SupportSet, { x: Float32Array; pool: Float32Array; n: number }>();
  const prepare = (s: SupportSet) => {
    let p = prepared.get(s);
    if (p) return p;
    const n = s.labels.length;
    if (n === 0 || s.x.length !== n * s.featureDim) {
      throw new Error(`support set "${s.name}": x has ${s.x.length} values, expected ${n} samples x ${s.featureDim} features`);
    }
    // Standardise the whole set (pixel ranges differ between datasets), then resample each sample.
    let mean = 0, sq = 0;
    for (const v of s.x) { mean += v; sq += v * v; }
    mean /= s.x.length;
    const std = Math.sqrt(Math.max(sq / s.x.length - mean * mean, 1e-12));
    const x = new Float32Array(n * cfg.inputDim);
    for (let i = 0; i < n; i++) {
      const r = resample(s.x.subarray(i * s.featureDim, (i + 1) * s.featureDim), cfg.inputDim);
      for (let j = 0; j < cfg.inputDim; j++) x[i * cfg.inputDim + j] = (r[j] - mean) / std;
    }
    // pool (1, n): weight 1/(classes * count(class)) per sample = mean within class, then mean over classes.
    const counts = new Map<number, number>();
    for (const l of s.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const pool = Float32Array.from(s.labels, (l) => 1 / (counts.size * counts.get(l)!));
    p = { x, pool, n };
    prepared.set(s, p);
    return p;
  };
  return {
    dim: cfg.dim,
    variables: { phi1W: phi1.W, phi1b: phi1.b, phi2W: phi2.W, phi2b: phi2.b, rhoW: rho.W, rhob: rho.b },
    encode(sets) {
      return tf.tidy(() => {
        const pooled = sets.map((s) => {
          const p = prepare(s);
          const h = tf.relu(phi2.apply(tf.relu(phi1.apply(tf.tensor2d(p.x, [p.n, cfg.inputDim]))))); // (n, hidden)
          return tf.matMul(tf.tensor2d(p.pool, [1, p.n]), h); // (1, n) @ (n, hidden) -> (1, hidden)
        });
        return rho.apply(tf.concat(pooled, 0) as tf.Tensor2D); // (N, dim)
      });
    },
    config: () => ({ ...cfg }),
    dispose() {
      for (const l of [phi1, phi2, rho]) { l.W.dispose(); l.b.dispose(); }
    },
  };
}
