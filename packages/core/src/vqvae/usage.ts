import type { ChunkPosition } from '../tokenizer';

/** Counts per code, perplexity exp(H) of the code distribution, and the fraction of the codebook used. */
export function usageStats(codes: ArrayLike<number>, codebookSize: number) {
  const counts = new Int32Array(codebookSize);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c >= codebookSize) throw new Error(`usageStats: code ${c} at ${i} is outside [0, ${codebookSize})`);
    counts[c]++;
  }
  let h = 0, used = 0;
  for (const n of counts) {
    if (!n) continue;
    used++;
    const p = n / codes.length;
    h -= p * Math.log(p);
  }
  return { counts, perplexity: codes.length ? Math.exp(h) : 0, usedFraction: used / codebookSize, used };
}

/**
 * Codebook usage of encoded networks, overall and per layer (for plots of codebook usage).
 * `networks`: each network's codes (chunks*l) and chunk positions (from encodeWeights).
 * @example const u = codeUsage([encodeWeights(vq, tok, infos, flat)], vq.config.codebookSize); u.perLayer[0].counts
 */
export function codeUsage(networks: { codes: ArrayLike<number>; positions: ChunkPosition[] }[], codebookSize: number) {
  const all: number[] = [];
  const byLayer = new Map<number, number[]>();
  for (const [k, n] of networks.entries()) {
    if (!n.positions.length || n.codes.length % n.positions.length !== 0) {
      throw new Error(`codeUsage: network ${k} has ${n.codes.length} codes for ${n.positions.length} chunks`);
    }
    const l = n.codes.length / n.positions.length;
    n.positions.forEach((p, c) => {
      const list = byLayer.get(p.layer) ?? [];
      for (let j = 0; j < l; j++) {
        list.push(n.codes[c * l + j]);
        all.push(n.codes[c * l + j]);
      }
      byLayer.set(p.layer, list);
    });
  }
  const overall = usageStats(all, codebookSize);
  return {
    ...overall,
    /** Codes never used by these networks. */
    deadCodes: codebookSize - overall.used,
    perLayer: [...byLayer.entries()].sort((a, b) => a[0] - b[0]).map(([layer, codes]) => ({ layer, ...usageStats(codes, codebookSize) })),
  };
}
