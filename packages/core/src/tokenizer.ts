import type { ParamInfo, ParamRole } from './sdk/types';
import { validate } from './util/config';
import { fromLayout, toLayout, type WeightLayout } from './sdk/layout';

/**
 * The weight tokenizer: a network's flat parameters (canonical order) <-> normalised chunks of at most K values.
 *
 * Chunking, grouping 'neuron' (the default): ONE CHUNK GROUP PER NEURON OR CHANNEL, as SANE does: a unit's incoming
 * weights (a row of the PyTorch [out, in] kernel, or one conv filter) followed by its bias. A unit with more than K
 * values is split into `parts` sub-chunks of equal length (ceil(n / parts) values, the last one shorter). Tensors of
 * a layer that are neither a kernel nor its bias (norms, embeddings) are chunked per layer as below. Why: after
 * alignment (canon/) a unit slot means the same feature in every network, so a chunk is a meaningful unit of
 * structure: ~20-200 weights per chunk where fixed chunks of 8 gave 1.25 tokens per weight, mostly noise that no
 * small prior can predict (../shared/design/GENERATION.md).
 *
 * Chunking, grouping 'layer' (tokenizer format version 2): A layer's tensors (kernel then bias, in canonical order) are concatenated and split into
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
  /** Neuron chunks: the unit (output row of the kernel) and its number of units; -1 and 0 for other chunks. */
  unit: number;
  units: number;
  /** Neuron chunks: which sub-chunk of the unit, of how many (0 of 1 when the unit fits one chunk). */
  part: number;
  parts: number;
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
  /** Offset of the chunk's first value in the flat parameter vector (in the tokenizer's layout). */
  start: number;
}

/** The chunk layout of one architecture (a function of its ParamInfo[], K and the grouping only). */
export interface ChunkLayout {
  chunkSize: number;
  params: number;
  positions: ChunkPosition[];
  /**
   * (chunks * K): for each value slot of each chunk, the index of its value in the flat vector (tensors in the
   * tokenizer's layout, canonical order), or -1 for padding.
   */
  source: Int32Array;
}

/**
 * A chunk's kind: what it holds, independent of which unit it is (layer of layers, role, real length, sub-chunk of
 * sub-chunks). Chunks of one kind share a distribution (e.g. every hidden neuron of an MLP body), so a VQ-VAE can
 * give each kind its own codebook.
 * @example chunkKind(positions[0]) // "0/2:kernel:50:0/1"
 */
export const chunkKind = (p: ChunkPosition) => `${p.layer}/${p.layers}:${p.role}:${p.length}:${p.part}/${p.parts}`;

/** How values are grouped into chunks: one group per neuron (default) or runs of K per layer. */
export type Grouping = 'neuron' | 'layer';

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
  /** K: at most this many values per chunk. */
  chunkSize: number;
  /** 'neuron': one chunk group per unit (incoming weights + bias); 'layer': runs of K values per layer. */
  grouping: Grouping;
  /** 'tensor': per-tensor mean/std fitted on a zoo; 'none': raw values. */
  normalize: 'tensor' | 'none';
  /** Value order inside each tensor before chunking: 'torch' (unit-major, default) or 'tfjs' (as stored). */
  layout: WeightLayout;
}

export const tokenizerConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chunkSize: { type: 'integer', minimum: 1, maximum: 65536, default: 64 }, // one chunk for a 7x7-pooled MLP unit (49 + bias); a 5x5x8 conv filter in 4 parts
    grouping: { enum: ['neuron', 'layer'], default: 'neuron' },
    normalize: { enum: ['tensor', 'none'], default: 'tensor' },
    layout: { enum: ['torch', 'tfjs'], default: 'torch' },
  },
};

export const TOKENIZER_FORMAT = 'igpg-tokenizer';
const TOKENIZER_VERSION = 3; // 3: config.grouping; 2: config.layout (version 1 chunked in 'tfjs' order)

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

const tensorKey = (info: ParamInfo) => `${info.name}|${info.shape.join('x')}`;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Fan-in of each tensor: a kernel's product of all but its last dim (tfjs layout); others take their layer kernel's. */
function fanIns(infos: ParamInfo[]): number[] {
  const kernelFanIn = new Map<number, number>();
  for (const p of infos) if (p.role === 'kernel' && !kernelFanIn.has(p.layer)) kernelFanIn.set(p.layer, Math.max(1, size(p.shape.slice(0, -1))));
  return infos.map((p) => (p.role === 'kernel' ? Math.max(1, size(p.shape.slice(0, -1))) : kernelFanIn.get(p.layer) ?? 1));
}

/**
 * The chunk layout of an architecture (see the file comment for both groupings).
 * @example encodeLayout(describe(spec), 64).positions.length // number of chunks
 */
export function encodeLayout(infos: ParamInfo[], chunkSize: number, grouping: Grouping = 'neuron', layout: WeightLayout = 'torch'): ChunkLayout {
  if (!infos.length) throw new Error('encodeLayout: the architecture has no parameters');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`encodeLayout: chunk size must be a positive integer, got ${chunkSize}`);
  const K = chunkSize;
  const layers = Math.max(...infos.map((p) => p.layer)) + 1;
  const positions: ChunkPosition[] = [];
  const sources: Int32Array[] = [];
  const starts: number[] = [];
  let flat = 0;
  for (const p of infos) {
    starts.push(flat);
    flat += size(p.shape);
  }
  const tensorAt = (idx: number, from: number, to: number) => {
    let ti = from;
    while (ti + 1 < to && starts[ti + 1] <= idx) ti++;
    return ti;
  };
  /** Add one chunk whose values are the flat indices `idx` (<= K of them). */
  const push = (idx: number[], layer: number, chunkInLayer: number, ti: number, unit = { unit: -1, units: 0, part: 0, parts: 1 }) => {
    const src = new Int32Array(K).fill(-1);
    src.set(idx);
    sources.push(src);
    const info = infos[ti];
    positions.push({
      layer, layers, role: info.role, tensor: ti, tensorName: info.name, tensorSize: size(info.shape), offset: idx[0] - starts[ti],
      chunk: positions.length, chunkInLayer, length: idx.length, start: idx[0], ...unit,
    });
  };
  // group consecutive tensors of one layer; a layer must be contiguous in canonical order
  let t = 0;
  const seen = new Set<number>();
  while (t < infos.length) {
    const layer = infos[t].layer;
    if (seen.has(layer)) throw new Error(`encodeLayout: layer ${layer}'s tensors are not contiguous in canonical order (at "${infos[t].name}")`);
    seen.add(layer);
    let end = t;
    while (end < infos.length && infos[end].layer === layer) end++;
    let c = 0;
    const rest: number[] = []; // flat indices of the layer's values that are not in a neuron chunk
    const used = new Set<number>();
    if (grouping === 'neuron') {
      for (let ti = t; ti < end; ti++) {
        const p = infos[ti];
        if (p.role !== 'kernel' || p.shape.length < 2 || used.has(ti)) continue;
        const units = p.shape[p.shape.length - 1];
        const fanIn = size(p.shape) / units;
        // the unit's bias: the first bias tensor of the layer with one value per unit
        const bi = infos.findIndex((q, j) => j >= t && j < end && !used.has(j) && q.role === 'bias' && size(q.shape) === units);
        used.add(ti);
        if (bi >= 0) used.add(bi);
        const n = fanIn + (bi >= 0 ? 1 : 0);
        const parts = Math.ceil(n / K), per = Math.ceil(n / parts);
        for (let u = 0; u < units; u++) {
          // unit u's incoming weights: row u of the torch-layout kernel [out, in...] (column u in tfjs layout)
          const row = Array.from({ length: fanIn }, (_, k) => starts[ti] + (layout === 'torch' ? u * fanIn + k : k * units + u));
          if (bi >= 0) row.push(starts[bi] + u);
          for (let j = 0; j < parts; j++) push(row.slice(j * per, (j + 1) * per), layer, c++, ti, { unit: u, units, part: j, parts });
        }
      }
    }
    for (let ti = t; ti < end; ti++) if (!used.has(ti)) for (let k = 0; k < size(infos[ti].shape); k++) rest.push(starts[ti] + k);
    for (let off = 0; off < rest.length; off += K) {
      const idx = rest.slice(off, off + K);
      push(idx, layer, c++, tensorAt(idx[0], t, end));
    }
    t = end;
  }
  const source = new Int32Array(positions.length * K);
  sources.forEach((src, i) => source.set(src, i * K));
  return { chunkSize: K, params: flat, positions, source };
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

  // layouts are pure functions of the parameter list: cache them by its shape signature
  const layouts = new Map<string, ChunkLayout>();
  function layoutOf(infos: ParamInfo[]): ChunkLayout {
    const key = infos.map((p) => `${p.name}:${p.role}:${p.layer}:${p.shape.join('x')}`).join(',');
    let l = layouts.get(key);
    if (!l) {
      l = encodeLayout(infos, K, cfg.grouping, cfg.layout);
      layouts.set(key, l);
    }
    return l;
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
    encodeLayout: (infos) => layoutOf(infos),
    statsFor,
    chunk(infos, flat) {
      const layout = layoutOf(infos);
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
      const { source } = layout;
      const values = new Float32Array(source.length);
      const mask = new Float32Array(source.length);
      for (let i = 0; i < source.length; i++) {
        if (source[i] < 0) continue;
        values[i] = norm[source[i]];
        mask[i] = 1;
      }
      return { values, mask, positions: layout.positions, chunkSize: K };
    },
    unchunk(infos, values) {
      const layout = layoutOf(infos);
      check(infos, values.length, 'chunks', layout);
      const flat = new Float32Array(layout.params);
      const { source } = layout;
      for (let i = 0; i < source.length; i++) if (source[i] >= 0) flat[source[i]] = values[i];
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
  if (json.version === 1) return createTokenizer({ ...json.config, layout: 'tfjs', grouping: 'layer' }, json.stats); // version 1 chunked in stored order
  if (json.version === 2) return createTokenizer({ ...json.config, grouping: 'layer' }, json.stats); // version 2 had layer chunks only
  if (json.version !== TOKENIZER_VERSION) throw new Error(`tokenizer format version ${json.version}, this code reads versions 1 to ${TOKENIZER_VERSION}; refit the tokenizer`);
  return createTokenizer(json.config, json.stats);
}
