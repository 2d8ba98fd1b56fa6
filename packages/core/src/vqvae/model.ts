import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng';
import { validate } from '../util/config';
import { sha256 } from '../io/atomic';
import type { ParamInfo } from '../sdk/types';
import { chunkKind, type ChunkPosition, type Tokenizer } from '../tokenizer';
import type { EmaQuantizer } from './quantizer-ema';
import { builtinQuantizers, type BuiltinQuantizer } from './quantizers';
import { getQuantizer, listQuantizers } from './registry';
import type { Quantizer } from './ops';
import { dense, heStd } from '../nn/init';

/**
 * VQ-VAE over weight chunks: chunk (K values) -> MLP encoder -> latent rows of D dims -> l codes from a codebook
 * of C vectors -> MLP decoder -> chunk. How many latent rows a chunk has is the quantizer's (registry.ts rowsPerChunk).
 * Every chunk is encoded independently; positions are the prior's business.
 */
export interface VqvaeConfig {
  /** K: values per chunk; must equal the tokenizer's chunkSize. */
  chunkSize: number;
  /** l: codes per chunk. */
  codesPerChunk: number;
  /** C: codebook size (shared by all l slots and all layers). */
  codebookSize: number;
  /** D: dimension of each code vector. */
  codeDim: number;
  /** Hidden widths of the encoder MLP; the decoder mirrors them. [] = linear maps. */
  hidden: number[];
  /**
   * A registered quantizer (registry.ts). Built in: 'ema': l codes from l slices of the latent; 'residual': l residual
   * EMA levels over one latent (default: most exact); 'gumbel': the paper's.
   */
  quantizer: BuiltinQuantizer | (string & {});
  /** EMA quantizers: decay, commitment weight, dead-code threshold (see quantizer-ema.ts). */
  decay: number;
  commitmentWeight: number;
  deadCodeThreshold: number;
  /** Gumbel quantizer: start temperature, floor (paper: ~1e-4), exponential anneal rate per step. */
  temperature: number;
  minTemperature: number;
  anneal: number;
  seed: number;
  /** sha256 of the tokenizer JSON this model was trained with ('' = not bound yet). */
  tokenizerHash: string;
  /**
   * Chunk kinds (tokenizer chunkKind keys) with a codebook of their own; [] = one codebook for every chunk. With
   * kinds, a code means "code c of this chunk's kind": quantizers with perKindCodebooks only (ema, residual).
   */
  kinds: string[];
}

export const vqvaeConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chunkSize: { type: 'integer', minimum: 1, default: 8 },
    codesPerChunk: { type: 'integer', minimum: 1, default: 4 },
    codebookSize: { type: 'integer', minimum: 2, default: 256 },
    codeDim: { type: 'integer', minimum: 1, default: 8 },
    hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [128] },
    quantizer: { enum: Object.keys(builtinQuantizers), default: 'residual' }, // any registered name: registeredVqvaeConfigSchema
    decay: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.95 },
    commitmentWeight: { type: 'number', minimum: 0, default: 0.25 },
    deadCodeThreshold: { type: 'number', minimum: 0, default: 0.5 },
    temperature: { type: 'number', exclusiveMinimum: 0, default: 1 },
    minTemperature: { type: 'number', exclusiveMinimum: 0, default: 1e-4 },
    anneal: { type: 'number', minimum: 0, default: 1e-3 },
    seed: { type: 'integer', default: 1 },
    tokenizerHash: { type: 'string', default: '' },
    kinds: { type: 'array', items: { type: 'string' }, uniqueItems: true, default: [] },
  },
};

let registered: { names: string; schema: typeof vqvaeConfigSchema } | undefined;
/**
 * vqvaeConfigSchema whose `quantizer` may be any registered quantizer (built-ins and plugins), so an unknown name fails
 * validation naming the registered ones. One schema object per set of names, so ajv compiles each once.
 */
export function registeredVqvaeConfigSchema(): typeof vqvaeConfigSchema {
  const names = listQuantizers().map((q) => q.name);
  if (registered?.names !== names.join()) {
    const p = vqvaeConfigSchema.properties;
    registered = { names: names.join(), schema: { ...vqvaeConfigSchema, properties: { ...p, quantizer: { ...p.quantizer, enum: names } } } };
  }
  return registered.schema;
}

/**
 * The kind index of each chunk (Int32Array, one per position) for a VQ-VAE with per-kind codebooks; undefined
 * without. A kind the VQ-VAE never saw (a new width or depth) takes the known kind of the same layer position, role
 * and sub-chunk with the nearest length, else the nearest length of the same role.
 */
export function kindIds(kinds: string[], positions: ChunkPosition[]): Int32Array | undefined {
  if (kinds.length <= 1) return undefined;
  const index = new Map(kinds.map((k, i) => [k, i]));
  const parsed = kinds.map((k) => {
    const [layer, role, length, part] = k.split(':');
    return { layer, role, length: Number(length), part };
  });
  return Int32Array.from(positions, (p) => {
    const hit = index.get(chunkKind(p));
    if (hit !== undefined) return hit;
    const [layer, role, part] = [`${p.layer}/${p.layers}`, p.role, `${p.part}/${p.parts}`];
    const score = (k: (typeof parsed)[number]) => (k.role === role ? 0 : 1e6) + (k.layer === layer ? 0 : 1e3) + (k.part === part ? 0 : 1e2) + Math.abs(k.length - p.length) / 1e3;
    let best = 0;
    parsed.forEach((k, i) => { if (score(k) < score(parsed[best])) best = i; });
    return best;
  });
}

/** The fingerprint binding a VQ-VAE to its tokenizer (config + normalisation stats). */
export const tokenizerHash = (tok: Tokenizer) => sha256(JSON.stringify(tok.toJSON()));

/** Whether live tfjs variables already use `scope/...` names. */
function scopeInUse(scope: string): boolean {
  return Object.keys(tf.engine().registeredVariables).some((n) => n.startsWith(`${scope}/`));
}
/** `base`, or `base_2`, `base_3`, ... whichever is free. */
export function freeScope(base: string): string {
  let s = base;
  for (let i = 2; scopeInUse(s); i++) s = `${base}_${i}`;
  return s;
}

interface Dense { W: tf.Variable; b: tf.Variable }
/** A dense layer with He init (relu follows it). */
const denseLayer = (nIn: number, nOut: number, seed: number, name: string): Dense => dense(nIn, nOut, seed, name, heStd(nIn));
/** x (B, in) through dense layers, relu between them. */
function mlp(x: tf.Tensor2D, layers: Dense[]): tf.Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.W), l.b) as tf.Tensor2D; // (B, out_i)
    if (i < layers.length - 1) h = tf.relu(h);
  });
  return h;
}

/**
 * Build a VQ-VAE (weights initialised from config.seed).
 * @example const vq = createVqvae({ chunkSize: 16, codesPerChunk: 4, codebookSize: 512 }); const codes = vq.encodeChunks(values);
 */
export function createVqvae(config: Partial<VqvaeConfig> = {}, scope = 'vqvae') {
  const cfg = validate<VqvaeConfig>(registeredVqvaeConfigSchema(), config, 'VQ-VAE config');
  if (scopeInUse(scope)) throw new Error(`createVqvae: variable scope "${scope}" is used by another live model; dispose it first or pass another scope`);
  const { chunkSize: K, codesPerChunk: L, codeDim: D } = cfg;
  const plugin = getQuantizer(cfg.quantizer);
  const rows = plugin.rowsPerChunk(L); // latent rows per chunk: l (one code each) or 1 (residual: l codes for one latent)
  if (!Number.isInteger(rows) || rows < 1 || L % rows) throw new Error(`quantizer "${plugin.name}": rowsPerChunk(${L}) is ${rows}, not a divisor of codesPerChunk ${L}`);
  const nK = Math.max(1, cfg.kinds.length);
  if (nK > 1 && !plugin.perKindCodebooks) {
    const able = listQuantizers().filter((q) => q.perKindCodebooks).map((q) => q.name).join(', ');
    throw new Error(`VQ-VAE config: per-kind codebooks (kinds) need a quantizer that has them (${able}), not ${plugin.name}`);
  }
  const rng = createRng(`${cfg.seed}/vqvae-init`);
  const latent = rows * D;
  const widths = [K, ...cfg.hidden, latent];
  const encoder = widths.slice(1).map((w, i) => denseLayer(widths[i], w, rng.tfSeed(), `${scope}/enc${i}`));
  const back = [...widths].reverse();
  const decoder = back.slice(1).map((w, i) => denseLayer(back[i], w, rng.tfSeed(), `${scope}/dec${i}`));
  const netVars = [...encoder, ...decoder].flatMap((l) => [l.W, l.b]);
  const { codebookSize, seed, decay, commitmentWeight, deadCodeThreshold, temperature, minTemperature, anneal } = cfg;
  let quantizer: Quantizer;
  try {
    quantizer = plugin.create({
      codebookSize, dim: D, levels: L, kinds: nK, seed, scope: `${scope}/${plugin.scope ?? plugin.name}`,
      decay, commitmentWeight, deadCodeThreshold, temperature, minTemperature, anneal,
    });
  } catch (e) {
    tf.dispose(netVars);
    throw e;
  }
  /** Each chunk's kind (n,) -> each latent row's (n*rows,). */
  const rowKinds = (k: Int32Array) => (rows === 1 ? k : Int32Array.from({ length: k.length * rows }, (_, r) => k[Math.floor(r / rows)]));

  /** x (B, K) -> latents (B*rows, D); the quantizer gives each row l/rows codes. */
  const encodeLatents = (x: tf.Tensor2D) => tf.reshape(mlp(x, encoder), [-1, D]) as tf.Tensor2D;
  /** quantized latents -> chunks (B, K). */
  const decodeLatents = (q: tf.Tensor2D) => mlp(tf.reshape(q, [-1, latent]) as tf.Tensor2D, decoder);

  const checkBatch = (n: number, per: number, what: string) => {
    if (n % per !== 0) throw new Error(`VQ-VAE: ${what} has ${n} values, not a multiple of ${per}`);
  };

  const vq = {
    config: cfg,
    quantizer,
    /** Latent rows per chunk (the quantizer's rowsPerChunk(l)); rows of chunk b are [b*rows, (b+1)*rows). */
    rowsPerChunk: rows,
    /** Every variable to checkpoint (named, stable). */
    variables: [...netVars, ...quantizer.variables],
    /** What the optimizer trains. */
    trainable: [...netVars, ...quantizer.trainable],
    /**
     * Training/eval forward pass. x, mask: (B, K). Returns the masked reconstruction MSE, the quantizer term, their
     * sum, the reconstruction (B, K), the latents (B*rows, D) and codes (B*l,); `kinds` (B*rows,) is each latent row's
     * kind. Call inside tf.tidy / optimizer.minimize.
     */
    forward(x: tf.Tensor2D, mask: tf.Tensor2D, opts: { training?: boolean; seed?: number; step?: number; kinds?: tf.Tensor1D } = {}) {
      const z = encodeLatents(x); // (B*rows, D)
      const { quantized, indices, commitLoss } = quantizer.quantize(z, opts);
      const recon = decodeLatents(quantized); // (B, K)
      const reconLoss = tf.div(tf.sum(tf.mul(tf.square(tf.sub(recon, x)), mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
      return { loss: tf.add(reconLoss, commitLoss) as tf.Scalar, reconLoss, commitLoss, recon, z, indices };
    },
    /**
     * Normalised chunks (N*K values) -> codes (N*l), in batches; `kinds` (N) gives each chunk's kind index when the
     * VQ-VAE has per-kind codebooks (kindIds). Codes are per kind: in [0, codebookSize).
     */
    encodeChunks(values: Float32Array, kinds?: Int32Array, batch = 4096): Int32Array {
      checkBatch(values.length, K, 'chunk values');
      const n = values.length / K;
      if (nK > 1 && kinds?.length !== n) throw new Error(`VQ-VAE: per-kind codebooks need the kind of each of the ${n} chunks (kindIds)`);
      const out = new Int32Array(n * L);
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        const idx = tf.tidy(() => {
          const kt = nK > 1 ? tf.tensor1d(rowKinds(kinds!.subarray(i, i + m)), 'int32') : undefined; // (m*rows,)
          return quantizer.quantize(encodeLatents(tf.tensor2d(values.subarray(i * K, (i + m) * K), [m, K])), { kinds: kt }).indices.dataSync();
        });
        for (let j = 0; j < idx.length; j++) out[i * L + j] = idx[j] - (nK > 1 ? kinds![i + Math.floor(j / L)] * cfg.codebookSize : 0);
      }
      return out;
    },
    /** Codes (N*l, per kind) -> chunks (N*K values, normalised): the inverse of encodeChunks up to quantisation error. */
    decodeChunks(codes: Int32Array | number[], kinds?: Int32Array, batch = 4096): Float32Array {
      checkBatch(codes.length, L, 'codes');
      for (const c of codes) if (!Number.isInteger(c) || c < 0 || c >= cfg.codebookSize) throw new Error(`VQ-VAE: code ${c} is outside the codebook [0, ${cfg.codebookSize})`);
      const n = codes.length / L;
      if (nK > 1 && kinds?.length !== n) throw new Error(`VQ-VAE: per-kind codebooks need the kind of each of the ${n} chunks (kindIds)`);
      const global = Int32Array.from(codes, (c, j) => c + (nK > 1 ? kinds![Math.floor(j / L)] * cfg.codebookSize : 0));
      const out = new Float32Array(n * K);
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        const vals = tf.tidy(() => decodeLatents(quantizer.lookup(tf.tensor1d(global.subarray(i * L, (i + m) * L), 'int32'))).dataSync());
        out.set(vals, i * K);
      }
      return out;
    },
    dispose() {
      tf.dispose(netVars);
      quantizer.dispose();
    },
  };
  return vq;
}
export type Vqvae = ReturnType<typeof createVqvae>;

function checkPair(vq: Vqvae, tok: Tokenizer) {
  if (tok.chunkSize !== vq.config.chunkSize) {
    throw new Error(`tokenizer chunk size ${tok.chunkSize} does not match the VQ-VAE's ${vq.config.chunkSize}; use the tokenizer saved with this VQ-VAE`);
  }
  if (vq.config.tokenizerHash && vq.config.tokenizerHash !== tokenizerHash(tok)) {
    throw new Error(`this tokenizer (stats ${tokenizerHash(tok).slice(0, 12)}…) is not the one the VQ-VAE was trained with (${vq.config.tokenizerHash.slice(0, 12)}…); load them together with loadVqvae`);
  }
}

/**
 * A network's flat weights -> its codes (chunks*l, in canonical chunk order) and chunk positions.
 * @example const { codes, positions } = encodeWeights(vq, tok, describe(spec), flat);
 */
export function encodeWeights(vq: Vqvae, tok: Tokenizer, infos: ParamInfo[], flat: Float32Array): { codes: Int32Array; positions: ChunkPosition[] } {
  checkPair(vq, tok);
  const { values, positions } = tok.chunk(infos, flat);
  return { codes: vq.encodeChunks(values, kindIds(vq.config.kinds, positions)), positions };
}

/**
 * Codes -> flat weights in the architecture's canonical order (ready for assignWeights).
 * @example assignWeights(net, decodeWeights(vq, tok, describe(spec), codes));
 */
export function decodeWeights(vq: Vqvae, tok: Tokenizer, infos: ParamInfo[], codes: Int32Array | number[]): Float32Array {
  checkPair(vq, tok);
  const { positions } = tok.encodeLayout(infos);
  const chunks = positions.length;
  if (codes.length !== chunks * vq.config.codesPerChunk) {
    throw new Error(`decodeWeights: ${codes.length} codes, the architecture needs ${chunks} chunks x ${vq.config.codesPerChunk} codes = ${chunks * vq.config.codesPerChunk}`);
  }
  return tok.unchunk(infos, vq.decodeChunks(codes, kindIds(vq.config.kinds, positions)));
}

export type { EmaQuantizer };
