/**
 * Hashed word and character n-gram features of a text: a bag of (bucket, weight) pairs, L2-normalised.
 * Works offline with nothing downloaded; a learned projection of these buckets is the default text encoder.
 */

/** FNV-1a, 32-bit. Stable across runs and platforms (no Math.random, no locale). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Lower-case words: letters and digits, so "MNIST digits 0-4" -> ["mnist", "digits", "0", "4"]. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Sparse features of one text: word unigrams and bigrams, and character 3-grams of each word (with boundaries),
 * hashed into `buckets` buckets; weights are counts, L2-normalised.
 * @example const f = textFeatures('classify digits 0-4', 1 << 14); // Map bucket -> weight
 */
export function textFeatures(text: string, buckets: number): Map<number, number> {
  const w = words(text);
  const f = new Map<number, number>();
  const add = (key: string) => {
    const b = fnv1a(key) % buckets;
    f.set(b, (f.get(b) ?? 0) + 1);
  };
  w.forEach((word, i) => {
    add(`w:${word}`);
    if (i > 0) add(`b:${w[i - 1]} ${word}`);
    const padded = `<${word}>`;
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`);
  });
  let norm = 0;
  for (const v of f.values()) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (const [k, v] of f) f.set(k, v / norm);
  return f;
}

/** Dense (N, buckets) matrix of the hashed features of several texts. */
export function textFeatureMatrix(texts: string[], buckets: number): Float32Array {
  const out = new Float32Array(texts.length * buckets);
  texts.forEach((t, i) => {
    for (const [b, v] of textFeatures(t, buckets)) out[i * buckets + b] = v;
  });
  return out;
}
