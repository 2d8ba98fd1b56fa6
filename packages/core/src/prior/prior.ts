import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import { dense, normalVariable } from '../encoders/init';
import { hashedInstructionEncoder, type InstructionEncoder } from '../encoders/instruction';
import { datasetEncoder, type DatasetEncoder, type SupportSet } from '../encoders/dataset';
import { architectureEncoder, positionFeatures, POSITION_FEATURES, type ArchitectureCondition, type ArchitectureEncoder, type ChunkPlace } from '../encoders/architecture';
import { decoderVariables, type Decoder } from './decoder';
import { GPT } from './gpt';

/**
 * The conditional autoregressive prior p(codes | instruction, dataset, architecture).
 * Sequence fed to the GPT decoder:  [instruction, dataset, architecture]  tok_s ... tok_{s+L-1}
 * where tok_j = embed(code_{j-1}) (a learned BOS vector for j = 0) + proj(position features of token j).
 * The decoder output at tok_j predicts code_j, so each prediction knows which layer/role/offset/code slot it writes.
 * Networks longer than the context are handled in windows (see generate.ts): any window start s is trained.
 */
export interface PriorConfig {
  /** Codebook size C of the VQ-VAE (the prior's vocabulary). */
  codebookSize: number;
  /** Codes per chunk (l). */
  codesPerChunk: number;
  /** Values per chunk (K), used to bucket offsets. */
  chunkSize: number;
  dModel?: number;
  nLayers?: number;
  nHeads?: number;
  /** Decoder context, prefix included. */
  contextLength?: number;
  dropout?: number;
  /** Width of each condition vector before its projection to dModel. */
  condDim?: number;
  /** Hash buckets of the default instruction encoder. */
  instructionBuckets?: number;
  /** Hash buckets of the architecture description encoder. */
  architectureBuckets?: number;
  /** Every dataset sample is resampled to this many values. */
  datasetInputDim?: number;
  /** Classifier-free guidance: probability of replacing each condition by its learned null vector in training. */
  condDropout?: number;
  /** Fraction of a window kept as context for the next one when generating long networks. */
  windowOverlap?: number;
  seed?: number;
  /** sha256 of the tokenizer JSON the codes came from ('' = not bound); generate() refuses another tokenizer. */
  tokenizerHash?: string;
}

export const priorConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['codebookSize', 'codesPerChunk', 'chunkSize'],
  properties: {
    codebookSize: { type: 'integer', minimum: 2 },
    codesPerChunk: { type: 'integer', minimum: 1, maximum: 16 },
    chunkSize: { type: 'integer', minimum: 1 },
    dModel: { type: 'integer', minimum: 4, default: 64 },
    nLayers: { type: 'integer', minimum: 1, default: 2 },
    nHeads: { type: 'integer', minimum: 1, default: 4 },
    contextLength: { type: 'integer', minimum: 8, default: 128 },
    dropout: { type: 'number', minimum: 0, maximum: 1, default: 0 },
    condDim: { type: 'integer', minimum: 1, default: 64 },
    instructionBuckets: { type: 'integer', minimum: 16, default: 16384 },
    architectureBuckets: { type: 'integer', minimum: 16, default: 4096 },
    datasetInputDim: { type: 'integer', minimum: 1, default: 64 },
    condDropout: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
    windowOverlap: { type: 'number', minimum: 0, maximum: 0.9, default: 0.5 },
    seed: { type: 'integer', default: 0 },
    tokenizerHash: { type: 'string', default: '' },
  },
};

/** What the prior is conditioned on. The dataset is optional. */
export interface PriorCondition {
  instruction: string;
  architecture: ArchitectureCondition;
  dataset?: SupportSet;
}

/** The token layout of one architecture: where each chunk sits. Tokens = places.length * codesPerChunk. */
export interface TokenLayout {
  places: ChunkPlace[];
}

/** Number of condition vectors in front of the tokens. */
export const PREFIX = 3;

export type DecoderFactory = (config: { vocabSize: number; dModel: number; nLayers: number; nHeads: number; contextLength: number; dropout: number }, seed: number, scope: string) => Decoder;

export interface PriorOptions {
  /** Makes the GPT decoder (default: prior/gpt.ts). */
  decoder?: DecoderFactory;
  /** A user's instruction encoder (e.g. a sentence-embedding model); default: hashed n-grams, trained jointly. */
  instructionEncoder?: InstructionEncoder;
  /** Prefix of variable names (tfjs names are global; checkpoints match by name). */
  scope?: string;
}

/** The GPT-2-style decoder of prior/gpt.ts. */
export const defaultDecoder: DecoderFactory = (config, seed, scope) => new GPT(config, seed, scope);

export class Prior {
  readonly config: Required<PriorConfig>;
  readonly decoder: Decoder;
  readonly instructionEncoder: InstructionEncoder;
  readonly datasetEncoder: DatasetEncoder;
  readonly architectureEncoder: ArchitectureEncoder;
  readonly scope: string;
  /** Own variables by name: projections, null condition vectors, BOS. */
  private readonly own: Record<string, tf.Variable>;
  private readonly projInstruction; private readonly projDataset; private readonly projArchitecture;
  private readonly featureCache = new WeakMap<ChunkPlace[], Float32Array>();

  constructor(config: PriorConfig, options: PriorOptions = {}) {
    this.config = validate<Required<PriorConfig>>(priorConfigSchema, config, 'prior config');
    const c = this.config;
    if (c.dModel % c.nHeads !== 0) throw new Error(`prior config: dModel ${c.dModel} must be divisible by nHeads ${c.nHeads}`);
    if (c.contextLength <= PREFIX + c.codesPerChunk) throw new Error(`prior config: contextLength ${c.contextLength} must exceed the ${PREFIX} condition vectors + one chunk (${c.codesPerChunk} codes)`);
    const scope = (this.scope = options.scope ?? 'prior');
    const rng = createRng(`prior/${c.seed}`);
    this.decoder = (options.decoder ?? defaultDecoder)({ vocabSize: c.codebookSize, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, contextLength: c.contextLength, dropout: c.dropout }, rng.tfSeed(), `${scope}/gpt`);
    this.instructionEncoder = options.instructionEncoder ?? hashedInstructionEncoder({ buckets: c.instructionBuckets, dim: c.condDim, seed: c.seed }, `${scope}/instruction`);
    this.datasetEncoder = datasetEncoder({ inputDim: c.datasetInputDim, hidden: c.condDim, dim: c.condDim, seed: c.seed }, `${scope}/dataset`);
    this.architectureEncoder = architectureEncoder({ buckets: c.architectureBuckets, dim: c.condDim, seed: c.seed }, `${scope}/architecture`);
    const d = c.dModel;
    this.projInstruction = dense(this.instructionEncoder.dim, d, rng.tfSeed(), `${scope}/proj/instruction`);
    this.projDataset = dense(c.condDim, d, rng.tfSeed(), `${scope}/proj/dataset`);
    this.projArchitecture = dense(c.condDim, d, rng.tfSeed(), `${scope}/proj/architecture`);
    const posProj = normalVariable([POSITION_FEATURES, d], 0.5 / Math.sqrt(POSITION_FEATURES), rng.tfSeed(), `${scope}/proj/position`);
    const nulls = normalVariable([PREFIX, d], 0.02, rng.tfSeed(), `${scope}/null`); // learned "no condition" vectors (CFG)
    const bos = normalVariable([1, d], 0.02, rng.tfSeed(), `${scope}/bos`);
    this.own = {
      posProj, nulls, bos,
      ...Object.fromEntries([this.projInstruction, this.projDataset, this.projArchitecture].flatMap((p) => [[p.W.name, p.W], [p.b.name, p.b]])),
    };
  }

  /** Every variable (decoder, encoders, projections), trainable together. Names are stable for a given scope. */
  get variables(): tf.Variable[] {
    return [
      ...decoderVariables(this.decoder),
      ...Object.values(this.instructionEncoder.variables),
      ...Object.values(this.datasetEncoder.variables),
      ...Object.values(this.architectureEncoder.variables),
      ...Object.values(this.own),
    ];
  }

  /** Condition vectors a window of tokens can hold. */
  get window(): number {
    return this.config.contextLength - PREFIX;
  }

  /** Position feature rows of every token of a layout (cached per layout): (N, POSITION_FEATURES). */
  features(layout: TokenLayout): Float32Array {
    let f = this.featureCache.get(layout.places);
    if (!f) {
      f = positionFeatures(layout.places, this.config.codesPerChunk, this.config.chunkSize);
      this.featureCache.set(layout.places, f);
    }
    return f;
  }

  /**
   * Condition prefix (B, 3, d). `keep` (B*3, row-major) is 1 to use a condition, 0 to use its null vector (CFG);
   * a missing dataset always uses the null vector.
   */
  prefix(conds: PriorCondition[], keep?: Float32Array): tf.Tensor3D {
    const B = conds.length;
    const d = this.config.dModel;
    const k = keep ?? new Float32Array(B * PREFIX).fill(1);
    const sets = [...new Set(conds.map((c) => c.dataset).filter((s): s is SupportSet => !!s))];
    const sel = new Float32Array(B * Math.max(1, sets.length));
    conds.forEach((c, b) => {
      if (c.dataset) sel[b * sets.length + sets.indexOf(c.dataset)] = 1;
      else k[b * PREFIX + 1] = 0;
    });
    return tf.tidy(() => {
      const instr = this.projInstruction.apply(this.instructionEncoder.encode(conds.map((c) => c.instruction))); // (B, d)
      const data = sets.length
        ? tf.matMul(tf.tensor2d(sel, [B, sets.length]), this.projDataset.apply(this.datasetEncoder.encode(sets))) // (B, U) @ (U, d)
        : tf.zeros([B, d]);
      const arch = this.projArchitecture.apply(this.architectureEncoder.encode(conds.map((c) => c.architecture))); // (B, d)
      const cond = tf.stack([instr, data, arch], 1); // (B, 3, d)
      const keepT = tf.tensor3d(k, [B, PREFIX, 1]);
      return tf.add(tf.mul(cond, keepT), tf.mul(tf.sub(1, keepT), this.own.nulls)) as tf.Tensor3D; // (B, 3, d)
    });
  }

  /** Position embeddings of feature rows (n, F) -> (n, d). */
  positionEmbedding(rows: Float32Array): tf.Tensor2D {
    const n = rows.length / POSITION_FEATURES;
    return tf.tidy(() => tf.matMul(tf.tensor2d(rows, [n, POSITION_FEATURES]), this.own.posProj));
  }

  /**
   * Token inputs (B, L, d): embed(previous code) + position embedding; `prev` holds -1 where the previous token is
   * the start of the network (BOS). `pos` is (B*L, d) or (L, d) (broadcast over the batch).
   */
  tokenInputs(prev: Int32Array, B: number, L: number, pos: tf.Tensor2D): tf.Tensor3D {
    const d = this.config.dModel;
    const hasBos = prev.some((p) => p < 0);
    const ids = hasBos ? Int32Array.from(prev, (p) => Math.max(0, p)) : prev;
    return tf.tidy(() => {
      const e = this.decoder.embed(tf.tensor2d(ids, [B, L], 'int32')); // (B, L, d)
      const posB = tf.reshape(pos, pos.shape[0] === L ? [1, L, d] : [B, L, d]);
      if (!hasBos) return tf.add(e, posB) as tf.Tensor3D; // fast path: every generation step after the first
      const m = tf.tensor3d(Float32Array.from(prev, (p) => (p < 0 ? 1 : 0)), [B, L, 1]);
      const tok = tf.add(tf.mul(e, tf.sub(1, m)), tf.mul(m, this.own.bos)); // BOS where m = 1
      return tf.add(tok, posB) as tf.Tensor3D;
    });
  }

  /** Logits (B, L, C) for tokens whose inputs are given, after the condition prefix. Full (uncached) pass. */
  logits(prefix: tf.Tensor3D, inputs: tf.Tensor3D, options?: { training?: boolean; seed?: number }): tf.Tensor3D {
    return tf.tidy(() => {
      const x = tf.concat([prefix, inputs], 1) as tf.Tensor3D; // (B, 3 + L, d)
      const out = this.decoder.forward(x, options); // (B, 3 + L, C)
      const [B, T, C] = out.shape;
      return tf.slice(out, [0, PREFIX, 0], [B, T - PREFIX, C]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.decoder.dispose();
    this.instructionEncoder.dispose();
    this.datasetEncoder.dispose();
    this.architectureEncoder.dispose();
    for (const v of Object.values(this.own)) v.dispose();
  }
}
