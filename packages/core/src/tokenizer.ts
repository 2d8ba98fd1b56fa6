import type { ParamInfo, ParamRole } from './sdk/types';
import { validate } from './util/config';
import { fromLayout, toLayout, type WeightLayout } from './sdk/layout';

/**
 * The weight tokenizer: a network's flat parameters (canonical order) <-> normalised chunks of K values.
 *
 * Chunking: PER LAYER. A layer's tensors (kernel then bias, in canonical order) are concatenated and split into
 * chunks of K; only the layer's last chunk is padded. Why: the zoo's networks are tiny and their bias tensors have
 * 4-20 values, so padding every tensor to K would waste a chunk per bias; letting chunks cross layers would mix
 * two layers' statistics and make a chunk's position ambiguous. A chunk that holds a kernel's tail and the bias
 * reports the kernel (its first value) as its tensor/role; `tensorSize` and `offset` still locate it exactly.
 *
 * Value order: 'torch' layout by default (sdk/layout.ts): kernels are chunked unit-major, so a chunk holds K inputs
 * of ONE output unit (a row of a PyTorch [out, in] weight, a slice of one filter). In tfjs's [in, out] order a chunk
 * holds one input's weights to K different units: its values are unrelated, and the prior would have to tie each unit
 * together across the whole layer. Unit-major chunks are smoother (neighbouring pixels, neighbouring taps), which the
 * VQ-VAE reconstructs better, and each unit is written in one run of tokens. 'tfjs' keeps the stored order (the
 * only order of tokenizer format version 1).
 *
 * Normalisation: PER TENSOR, with one mean/std per tensor of the architecture, fitted over the whole zoo (not per
 * network: decoding generated codes must not need the network's own statistics). Stats are stored in the
 * tokenizer JSON, so unchunk is the exact inverse. Unseen tensors (new depth or width: cross-architecture
 * generation) fall back to the fitted tensor with the same role and the nearest fan-in, its std rescaled by
 * sqrt(fanIn_ref / fanIn) (the 1/sqrt(fan-in) scaling of trained and initialised weights); with no tensor of that
 * role, mean 0 and std 1/sqrt(fan-in).
 */

/** Where a chunk sits in its network. The prior conditions on this (see encoders/architecture ChunkPlace). */
export interface ChunkPosition {
  /** Layer index, 0 = input side. */
  layer: number;
  /** The network's number of layers. */
  layers: number;
  /** Role of the chunk's first value's tensor. */
  role: ParamRole;
  /** Index of that tensor in canonical order, and its name and number of values. */
  tensor: number;
  tensorName: string;
  tensorSize: number;
  /** Offset of the chunk's first value inside that tensor. */
  offset: number;
  /** Chunk index in the network, and index of the chunk inside its layer. */
  chunk: number;
  chunkInLayer: number;
  /** Real (unpadded) values in the chunk, <= K. */
  length: number;
  /** Offset of the chunk's first value in the flat parameter vector. */
  start: number;
}

/** The chunk layout of one architecture (a function of its ParamInfo[] and K only). */
export interface ChunkLayout {
  chunkSize: number;
  params: number;
  positions: ChunkPosition[];
}

/** Fitted statistics of one tensor, keyed by `name|shape`. */
export interface TensorStats {
  key: string;
  role: ParamRole;
  fanIn: number;
  mean: number;
  std: number;
  count: number;
}

export interface TokenizerConfig {
  /** K: values per chunk. */
  chunkSize: number;
  /** 'tensor': per-tensor mean/std fitted on a zoo; 'none': raw values. */
  normalize: 'tensor' | 'none';
  /** Value order inside each tensor before chunking: 'torch' (unit-major, default) or 'tfjs' (as stored). */
  layout: WeightLayout;
}

export const tokenizerConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chunkSize: { type: 'integer', minimum: 1, maximum: 65536, default: 8 }, // K=8 with 10 residual codes of 256: 97% of the default zoo within 0.5 points (README, configs/vq-sweep)
    normalize: { enum: ['tensor', 'none'], default: 'tensor' },
    layout: { enum: ['torch', 'tfjs'], default: 'torch' },
  },
};

export const TOKENIZER_FORMAT = 'igpg-tokenizer';
export const TOKENIZER_VERSION = 2; // 2: config.layout (version 1 chunked in 'tfjs' order)

/** The tokenizer's JSON form (saved with the VQ-VAE checkpoint). */
export interface TokenizerJSON {
  format: typeof TOKENIZER_FORMAT;
  version: number;
  config: TokenizerConfig;
  stats: TensorStats[];
}

/** Chunks of one network: values (N*K, normalised, padding 0), mask (N*K, 1 = real value), positions (N). */
export interface Chunks {
  values: Float32Array;
  mask: Float32Array;
  positions: ChunkPosition[];
  chunkSize: number;
}

export const tensorKey = (info: ParamInfo) => `${info.name}|${info.shape.join('x')}`;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Fan-in of each tensor: a kernel's product of all but its last dim (tfjs layout); others take their layer kernel's. */
export function fanIns(infos: ParamInfo[]): number[] {
  const kernelFanIn = new Map<number, number>();
  for (const p of infos) if (p.role === 'kernel' && !kernelFanIn.has(p.layer)) kernelFanIn.set(p.layer, Math.max(1, size(p.shape.slice(0, -1))));
  return infos.map((p) => (p.role === 'kernel' ? Math.max(1, size(p.shape.slice(0, -1))) : kernelFanIn.get(p.layer) ?? 1));
}

/**
 * The chunk layout of an architecture: per-layer chunks of K (see the file comment).
 * @example encodeLayout(describe(spec), 16).positions.length // number of chunks
 */
export function encodeLayout(infos: ParamInfo[], chunkSize: number): ChunkLayout {
  if (!infos.length) throw new Error('encodeLayout: the architecture has no parameters');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`encodeLayout: chunk size must be a positive integer, got ${chunkSize}`);
  const layers = Math.max(...infos.map((p) => p.layer)) + 1;
  const positions: ChunkPosition[] = [];
  const starts: number[] = [];
  let flat = 0;
  for (const p of infos) {
    starts.push(flat);
    flat += size(p.shape);
  }
  // group consecutive tensors of one layer; a layer must be contiguous in canonical order
  let t = 0;
  const seen = new Set<number>();
  while (t < infos.length) {
    const layer = infos[t].layer;
    if (seen.has(layer)) throw new Error(`encodeLayout: layer ${layer}'s tensors are not contiguous in canonical order (at "${infos[t].name}")`);
    seen.add(layer);
    let end = t;
    while (end < infos.length && infos[end].layer === layer) end++;
    const layerStart = starts[t];
    const layerSize = starts[end - 1] + size(infos[end - 1].shape) - layerStart;
    for (let c = 0, off = 0; off < layerSize; c++, off += chunkSize) {
      const start = layerStart + off;
      let ti = t;
      while (ti + 1 < end && starts[ti + 1] <= start) ti++;
      positions.push({
        layer, layers, role: infos[ti].role, tensor: ti, tensorName: infos[ti].name, tensorSize: size(infos[ti].shape),
        offset: start - starts[ti], chunk: positions.length, chunkInLayer: c, length: Math.min(chunkSize, layerSize - off), start,
      });
    }
    t = end;
  }
  return { chunkSize, params: flat, positions };
}

/** A weight tokenizer with fitted normalisation stats. Create with `createTokenizer` or `fitTokenizer`. */
export interface Tokenizer {
  readonly config: TokenizerConfig;
  readonly chunkSize: number;
  /** The chunk layout (positions) of an architecture. */
  encodeLayout(infos: ParamInfo[]): ChunkLayout;
  /** Per-tensor mean/std used for an architecture (fitted or fallback). */
  statsFor(infos: ParamInfo[]): { mean: number; std: number; fitted: boolean }[];
  /** Flat canonical weights -> normalised, padded chunks with mask and positions. */
  chunk(infos: ParamInfo[], flat: Float32Array): Chunks;
  /** Chunks (N*K values, padding ignored) -> flat canonical weights: the exact inverse of `chunk`. */
  unchunk(infos: ParamInfo[], values: Float32Array): Float32Array;
  toJSON(): TokenizerJSON;
}

/**
 * Make a tokenizer from a config and (optionally) fitted stats.
 * @example const tok = createTokenizer({ chunkSize: 16 }); const { values, mask, positions } = tok.chunk(infos, flat);
 */
export function createTokenizer(config: Partial<TokenizerConfig> = {}, stats: TensorStats[] = []): Tokenizer {
  const cfg = validate<TokenizerConfig>(tokenizerConfigSchema, config, 'tokenizer config');
  const K = cfg.chunkSize;
  const byKey = new Map(stats.map((s) => [s.key, s]));
  const byRole = new Map<ParamRole, TensorStats[]>();
  for (const s of stats) byRole.set(s.role, [...(byRole.get(s.role) ?? []), s]);

  function statsFor(infos: ParamInfo[]) {
    const fans = fanIns(infos);
    return infos.map((p, i) => {
      if (cfg.normalize === 'none') return { mean: 0, std: 1, fitted: true };
      const s = byKey.get(tensorKey(p));
      if (s) return { mean: s.mean, std: s.std, fitted: true };
      const same = byRole.get(p.role);
      if (!same?.length) return { mean: 0, std: 1 / Math.sqrt(fans[i]), fitted: false };
      const ref = same.reduce((a, b) => (Math.abs(Math.log(b.fanIn / fans[i])) < Math.abs(Math.log(a.fanIn / fans[i])) ? b : a));
      return { mean: ref.mean, std: ref.std * Math.sqrt(ref.fanIn / fans[i]), fitted: false };
    });
  }

  function check(infos: ParamInfo[], n: number, what: string, layout: ChunkLayout) {
    const expected = what === 'flat' ? layout.params : layout.positions.length * K;
    if (n !== expected) {
      throw new Error(`tokenizer.${what === 'flat' ? 'chunk' : 'unchunk'}: got ${n} values, the architecture (${infos.length} tensors, ${layout.params} params, ` +
        `${layout.positions.length} chunks of ${K}) needs ${expected}`);
    }
  }

  return {
    config: cfg,
    chunkSize: K,
    encodeLayout: (infos) => encodeLayout(infos, K),
    statsFor,
    chunk(infos, flat) {
      const layout = encodeLayout(infos, K);
      check(infos, flat.length, 'flat', layout);
      const st = statsFor(infos);
      const norm = new Float32Array(flat.length);
      let o = 0;
      infos.forEach((p, i) => {
        const n = size(p.shape);
        const t = new Float32Array(n);
        for (let j = 0; j < n; j++) t[j] = (flat[o + j] - st[i].mean) / st[i].std;
        norm.set(toLayout(p, t, cfg.layout), o);
        o += n;
      });
      const values = new Float32Array(layout.positions.length * K);
      const mask = new Float32Array(layout.positions.length * K);
      for (const c of layout.positions) {
        values.set(norm.subarray(c.start, c.start + c.length), c.chunk * K);
        mask.fill(1, c.chunk * K, c.chunk * K + c.length);
      }
      return { values, mask, positions: layout.positions, chunkSize: K };
    },
    unchunk(infos, values) {
      const layout = encodeLayout(infos, K);
      check(infos, values.length, 'chunks', layout);
      const flat = new Float32Array(layout.params);
      for (const c of layout.positions) flat.set(values.subarray(c.chunk * K, c.chunk * K + c.length), c.start);
      const st = statsFor(infos);
      let o = 0;
      infos.forEach((p, i) => {
        const n = size(p.shape);
        const t = fromLayout(p, flat.slice(o, o + n), cfg.layout);
        for (let j = 0; j < n; j++) flat[o + j] = t[j] * st[i].std + st[i].mean;
        o += n;
      });
      return flat;
    },
    toJSON: () => ({ format: TOKENIZER_FORMAT, version: TOKENIZER_VERSION, config: { ...cfg }, stats: stats.map((s) => ({ ...s })) }),
  };
}

/**
 * Fit per-tensor normalisation stats on a zoo (networks of any architectures) and return the tokenizer.
 * @example const tok = fitTokenizer(zoo.map((e) => ({ infos: describe(e.spec), flat: e.flat })), { chunkSize: 16 });
 */
export function fitTokenizer(networks: { infos: ParamInfo[]; flat: Float32Array }[], config: Partial<TokenizerConfig> = {}): Tokenizer {
  if (!networks.length) throw new Error('fitTokenizer: no networks to fit on; pass at least one { infos, flat }');
  const acc = new Map<string, { role: ParamRole; fanIn: number; sum: number; sq: number; n: number }>();
  for (const [k, net] of networks.entries()) {
    const params = net.infos.reduce((a, p) => a + size(p.shape), 0);
    if (params !== net.flat.length) throw new Error(`fitTokenizer: network ${k} has ${net.flat.length} values, its ParamInfo[] describes ${params}`);
    const fans = fanIns(net.infos);
    let o = 0;
    net.infos.forEach((p, i) => {
      const key = tensorKey(p);
      const a = acc.get(key) ?? { role: p.role, fanIn: fans[i], sum: 0, sq: 0, n: 0 };
      for (let j = 0, n = size(p.shape); j < n; j++, o++) {
        a.sum += net.flat[o];
        a.sq += net.flat[o] * net.flat[o];
      }
      a.n += size(p.shape);
      acc.set(key, a);
    });
  }
  const stats = [...acc.entries()].map(([key, a]) => {
    const mean = a.sum / a.n;
    const std = Math.sqrt(Math.max(0, a.sq / a.n - mean * mean));
    // a constant tensor (e.g. untrained biases = 0) gets std 1: dividing by ~0 would blow up its codes
    return { key, role: a.role, fanIn: a.fanIn, mean, std: std > 1e-8 ? std : 1, count: a.n };
  });
  return createTokenizer(config, stats);
}

/** Rebuild a tokenizer from its JSON; errors on another format version. */
export function tokenizerFromJSON(json: TokenizerJSON): Tokenizer {
  if (json?.format !== TOKENIZER_FORMAT) throw new Error(`not a tokenizer JSON (format "${(json as { format?: string })?.format}")`);
  if (json.version === 1) return createTokenizer({ ...json.config, layout: 'tfjs' }, json.stats); // version 1 chunked in stored order
  if (json.version !== TOKENIZER_VERSION) throw new Error(`tokenizer format version ${json.version}, this code reads versions 1 to ${TOKENIZER_VERSION}; refit the tokenizer`);
  return createTokenizer(json.config, json.stats);
}
