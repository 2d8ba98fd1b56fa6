import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import { dense, normalVariable, zerosVariable } from '../nn/init';
import { checkCondition, hashedInstructionEncoder, type InstructionEncoder } from '../encoders/instruction';
import { datasetEncoder, type DatasetEncoder, type SupportSet } from '../encoders/dataset';
import { architectureEncoder, positionFeatures, POSITION_FEATURES, type ArchitectureCondition, type ArchitectureEncoder, type ChunkPlace } from '../encoders/architecture';
import { decoderVariables, type Decoder } from './decoder';
import { GPT } from './gpt';
import { gelu } from '../backend/fused/gelu';

/**
 * The conditional autoregressive prior p(codes | instruction, dataset, architecture), one step per CHUNK (a neuron
 * group), its l residual codes predicted within the step by a small depth head, as in the RQ-Transformer (Lee et
 * al. 2022, "Autoregressive image generation using residual quantization"):
 *   trunk (the GPT decoder):  [instruction, dataset, architecture]  x_s ... x_{s+T-1}  ->  h_s ... h_{s+T-1}
 *     x_c = sum_k inEmbed[k][code_{c-1,k}] (a learned BOS vector for c = 0) + proj(position features of chunk c)
 *   depth head:  p(code_{c,k} | h_c, code_{c,<k}) = softmax(W2 gelu(W1 (h_c + sum_{j<k} depthEmbed[j][code_{c,j}] + level_k)))
 * so the trunk sees a network as ~40-70 steps (one per neuron) instead of ~l times as many single codes, and the
 * fine residual levels are predicted from the coarse ones of the same neuron. Networks longer than the context are
 * handled in windows of chunks (autoregress.ts): any window start is trained.
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
  /** Decoder context in chunks, prefix included. */
  contextLength?: number;
  /** Hidden width of the depth head's MLP (default 2 * dModel). */
  depthHidden?: number;
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
    codesPerChunk: { type: 'integer', minimum: 1, maximum: 64 },
    chunkSize: { type: 'integer', minimum: 1 },
    dModel: { type: 'integer', minimum: 4, default: 64 },
    nLayers: { type: 'integer', minimum: 1, default: 2 },
    nHeads: { type: 'integer', minimum: 1, default: 4 },
    contextLength: { type: 'integer', minimum: 8, default: 128 },
    depthHidden: { type: 'integer', minimum: 1, default: 256 },
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
  /** '' for none: the null instruction vector (then the dataset alone says what is meant). */
  instruction: string;
  architecture: ArchitectureCondition;
  dataset?: SupportSet;
}

/** The chunk layout of one architecture: where each chunk sits. Codes = places.length * codesPerChunk. */
export interface TokenLayout {
  places: ChunkPlace[];
}

/** Number of condition vectors in front of the chunks. */
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
const defaultDecoder: DecoderFactory = (config, seed, scope) => new GPT(config, seed, scope);

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
    if (c.contextLength <= PREFIX + 1) throw new Error(`prior config: contextLength ${c.contextLength} must exceed the ${PREFIX} condition vectors + one chunk`);
    const scope = (this.scope = options.scope ?? 'prior');
    const rng = createRng(`prior/${c.seed}`);
    // the trunk's "vocabulary" is its output width: it emits features h_c for the depth head, not codes
    this.decoder = (options.decoder ?? defaultDecoder)({ vocabSize: c.dModel, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, contextLength: c.contextLength, dropout: c.dropout }, rng.tfSeed(), `${scope}/gpt`);
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
    const Lc = c.codesPerChunk, C = c.codebookSize, H = c.depthHidden;
    const inEmbed = normalVariable([Lc * C, d], 0.02, rng.tfSeed(), `${scope}/chunk/in`); // row k*C + code: code at level k of the previous chunk
    const depthEmbed = normalVariable([Lc * C, d], 0.02, rng.tfSeed(), `${scope}/depth/embed`); // row j*C + code: code at level j, seen by levels > j
    const level = normalVariable([Lc, d], 0.02, rng.tfSeed(), `${scope}/depth/level`);
    const w1 = normalVariable([d, H], 1 / Math.sqrt(d), rng.tfSeed(), `${scope}/depth/w1`);
    const b1 = zerosVariable([H], `${scope}/depth/b1`);
    const w2 = normalVariable([H, C], 0.02, rng.tfSeed(), `${scope}/depth/w2`);
    const b2 = zerosVariable([C], `${scope}/depth/b2`);
    this.own = {
      posProj, nulls, bos, inEmbed, depthEmbed, level, w1, b1, w2, b2,
      ...Object.fromEntries([this.projInstruction, this.projDataset, this.projArchitecture].flatMap((p) => [[p.W.name, p.W], [p.b.name, p.b]])),
    };
  }

  /**
   * Every variable (decoder, encoders, projections, depth head), trained together. Names are stable for a given
   * scope. The decoder's token embedding (wte) is not used: chunk inputs come from inEmbed (see `trainable`).
   */
  get variables(): tf.Variable[] {
    return [
      ...decoderVariables(this.decoder),
      ...Object.values(this.instructionEncoder.variables),
      ...Object.values(this.datasetEncoder.variables),
      ...Object.values(this.architectureEncoder.variables),
      ...Object.values(this.own),
    ];
  }

  /** The variables the optimizer updates: all but the decoder's unused token embedding. */
  get trainable(): tf.Variable[] {
    const unused = new Set(this.decoder instanceof GPT ? [this.decoder.named.wte] : []);
    return this.variables.filter((v) => v.trainable && !unused.has(v));
  }

  /** Chunks a window can hold after the condition vectors. */
  get window(): number {
    return this.config.contextLength - PREFIX;
  }

  /** Position feature rows of every chunk of a layout (cached per layout): (chunks, POSITION_FEATURES). */
  features(layout: TokenLayout): Float32Array {
    let f = this.featureCache.get(layout.places);
    if (!f) {
      f = positionFeatures(layout.places, 1, this.config.chunkSize);
      this.featureCache.set(layout.places, f);
    }
    return f;
  }

  /**
   * Condition prefix (B, 3, d). `keep` (B*3, row-major) is 1 to use a condition, 0 to use its null vector (CFG);
   * a missing dataset, and an empty instruction (''), always use the null vector: training drops each condition on
   * its own (condDropout), so the prior has seen the support set without the instruction.
   */
  prefix(conds: PriorCondition[], keep?: Float32Array): tf.Tensor3D {
    const B = conds.length;
    const d = this.config.dModel;
    for (const c of conds) checkCondition(c.instruction, c.dataset); // neither an instruction nor a support set: an error
    const k = keep ?? new Float32Array(B * PREFIX).fill(1);
    const sets = [...new Set(conds.map((c) => c.dataset).filter((s): s is SupportSet => !!s))];
    const sel = new Float32Array(B * Math.max(1, sets.length));
    const said = conds.map((c, b) => (c.instruction === '' ? -1 : b)).filter((b) => b >= 0); // rows with an instruction
    const pick = new Float32Array(B * Math.max(1, said.length)); // (B, S): row b takes encoded instruction j
    said.forEach((b, j) => { pick[b * said.length + j] = 1; });
    conds.forEach((c, b) => {
      if (c.dataset) sel[b * sets.length + sets.indexOf(c.dataset)] = 1;
      else k[b * PREFIX + 1] = 0;
      if (c.instruction === '') k[b * PREFIX] = 0;
    });
    return tf.tidy(() => {
      const encoded = () => this.projInstruction.apply(this.instructionEncoder.encode(said.map((b) => conds[b].instruction))); // (S, d)
      const instr = said.length === B ? encoded() : said.length ? tf.matMul(tf.tensor2d(pick, [B, said.length]), encoded()) : tf.zeros([B, d]); // (B, d)
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
   * Chunk inputs (B, T, d): the previous chunk's codes embedded (one table per level, summed) + position embedding.
   * `prev` (B*T*l) holds the previous chunk's l codes per step, -1 where the step is the start of the network (BOS).
   * `pos` is (B*T, d) or (T, d) (broadcast over the batch).
   */
  chunkInputs(prev: Int32Array, B: number, T: number, pos: tf.Tensor2D): tf.Tensor3D {
    const { dModel: d, codesPerChunk: Lc, codebookSize: C } = this.config;
    const bos = new Float32Array(B * T);
    const ids = new Int32Array(prev.length);
    for (let i = 0; i < prev.length; i++) {
      if (prev[i] < 0) bos[Math.floor(i / Lc)] = 1;
      ids[i] = (i % Lc) * C + Math.max(0, prev[i]);
    }
    const hasBos = bos.some((v) => v > 0);
    return tf.tidy(() => {
      const e = tf.sum(tf.reshape(tf.gather(this.own.inEmbed, tf.tensor1d(ids, 'int32')), [B, T, Lc, d]), 2); // (B, T, d)
      const posB = tf.reshape(pos, pos.shape[0] === T ? [1, T, d] : [B, T, d]);
      if (!hasBos) return tf.add(e, posB) as tf.Tensor3D;
      const m = tf.tensor3d(bos, [B, T, 1]);
      return tf.add(tf.add(tf.mul(e, tf.sub(1, m)), tf.mul(m, this.own.bos)), posB) as tf.Tensor3D;
    });
  }

  /** Trunk features (B, T, d) of chunks whose inputs are given, after the condition prefix. Full (uncached) pass. */
  trunk(prefix: tf.Tensor3D, inputs: tf.Tensor3D, options?: { training?: boolean; seed?: number }): tf.Tensor3D {
    return tf.tidy(() => {
      const x = tf.concat([prefix, inputs], 1) as tf.Tensor3D; // (B, 3 + T, d)
      const out = this.decoder.forward(x, options); // (B, 3 + T, d)
      const [B, T, D] = out.shape;
      return tf.slice(out, [0, PREFIX, 0], [B, T - PREFIX, D]) as tf.Tensor3D;
    });
  }

  /** Depth head on rows z (N, d) -> logits (N, C). */
  private depthHead(z: tf.Tensor2D): tf.Tensor2D {
    const o = this.own;
    return tf.tidy(() => tf.add(tf.matMul(gelu(tf.add(tf.matMul(z, o.w1), o.b1)), o.w2), o.b2) as tf.Tensor2D);
  }

  /**
   * Teacher-forced code logits (B, T, l, C) of chunks with trunk features h (B, T, d) and their true codes
   * (B*T*l): level k sees h + the embeddings of the chunk's codes at levels < k + a level embedding.
   */
  codeLogits(h: tf.Tensor3D, codes: Int32Array): tf.Tensor4D {
    const [B, T, d] = h.shape;
    const { codesPerChunk: Lc, codebookSize: C } = this.config;
    const ids = Int32Array.from(codes, (c, i) => (i % Lc) * C + c);
    const below = new Float32Array(Lc * Lc); // below[j, k] = 1 if j < k: level k sums the levels before it
    for (let j = 0; j < Lc; j++) for (let k = j + 1; k < Lc; k++) below[j * Lc + k] = 1;
    return tf.tidy(() => {
      const g = tf.reshape(tf.gather(this.own.depthEmbed, tf.tensor1d(ids, 'int32')), [B * T, Lc, d]); // (BT, l, d)
      const gt = tf.reshape(tf.transpose(g, [0, 2, 1]), [B * T * d, Lc]); // (BT*d, l)
      const prevSum = tf.transpose(tf.reshape(tf.matMul(gt, tf.tensor2d(below, [Lc, Lc])), [B * T, d, Lc]), [0, 2, 1]); // (BT, l, d)
      const z = tf.add(tf.add(tf.reshape(h, [B * T, 1, d]), prevSum), this.own.level); // (BT, l, d)
      return tf.reshape(this.depthHead(tf.reshape(z, [B * T * Lc, d]) as tf.Tensor2D), [B, T, Lc, C]) as tf.Tensor4D;
    });
  }

  /** One depth step while sampling: logits (N, C) of level k given features h (N, d) and the sum of the chunk's lower-level embeddings acc (N, d). */
  levelLogits(h: tf.Tensor2D, acc: tf.Tensor2D, k: number): tf.Tensor2D {
    return tf.tidy(() => this.depthHead(tf.add(tf.add(h, acc), tf.slice(this.own.level, [k, 0], [1, this.config.dModel])) as tf.Tensor2D));
  }

  /** depthEmbed rows of codes (N,) at level k: what the next levels of the chunk see. */
  levelEmbedding(codes: Int32Array, k: number): tf.Tensor2D {
    const C = this.config.codebookSize;
    return tf.tidy(() => tf.gather(this.own.depthEmbed, tf.tensor1d(Int32Array.from(codes, (c) => k * C + c), 'int32')) as tf.Tensor2D);
  }

  /**
   * The chunk-input and depth-head weights read back as arrays, for a decoder that runs the sampling loop outside
   * tfjs (prior/native_decode.ts): inEmbed and depthEmbed (l·C, d), level (l, d), w1 (d, H), b1, w2 (H, C), b2.
   */
  headWeights(): Record<'inEmbed' | 'depthEmbed' | 'level' | 'w1' | 'b1' | 'w2' | 'b2', Float32Array> {
    const o = this.own;
    const read = (v: tf.Variable) => v.dataSync() as Float32Array;
    return { inEmbed: read(o.inEmbed), depthEmbed: read(o.depthEmbed), level: read(o.level), w1: read(o.w1), b1: read(o.b1), w2: read(o.w2), b2: read(o.b2) };
  }

  dispose(): void {
    this.decoder.dispose();
    this.instructionEncoder.dispose();
    this.datasetEncoder.dispose();
    this.architectureEncoder.dispose();
    for (const v of Object.values(this.own)) v.dispose();
  }
}
