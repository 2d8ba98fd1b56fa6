import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import { ensureFusedOps } from '../backend/fused';
import { causalSoftmax } from '../backend/fused/causal_softmax';
import { decodeAttention, hasDecodeAttention } from '../backend/fused/decode_attention';
import { gelu } from '../backend/fused/gelu';
import { layerNorm } from '../backend/fused/layer_norm';
import { linearBias } from '../backend/fused/linear_bias';
import { softmaxCrossEntropy } from '../backend/fused/softmax_cross_entropy';

/*
 * A GPT-2-style decoder (Radford et al. 2019; layout after karpathy/nanoGPT model.py):
 * learned positions, pre-LayerNorm blocks of causal self-attention and a GELU MLP, a final
 * LayerNorm and an untied linear head. Raw tfjs-core ops and tf.Variables, no tfjs-layers.
 * It takes embeddings rather than ids so that the IGPG prior can prepend condition vectors
 * and add chunk-position embeddings before calling forward().
 */

/** GPT hyper-parameters. */
export interface GPTConfig {
  /** Number of token ids (the VQ codebook size for IGPG). */
  vocabSize: number;
  /** Width of the residual stream. */
  dModel: number;
  nLayers: number;
  /** Attention heads; must divide dModel. */
  nHeads: number;
  /** Longest sequence (block size); sets the position table. */
  contextLength: number;
  /** Dropout on attention weights and residual branches when training (default 0). */
  dropout?: number;
}

/** Per-layer keys and values seen so far, for step-by-step generation. */
export interface GPTCache {
  /** Tokens the cache holds. */
  pos: number;
  /** Per layer: keys and values (B, nh, pos, hs), or (B, nh, contextLength, hs) buffers filled up to pos; null before the first step. */
  layers: { k: tf.Tensor4D | null; v: tf.Tensor4D | null }[];
  /** Per layer, made at the first one-token step: [wq/√hs | wk | wv] (d, 3d) and its bias (3d,), one matmul for q, k, v. */
  qkv: { w: tf.Tensor2D; b: tf.Tensor1D }[] | null;
  dispose(): void;
}

interface Block {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable; wv: tf.Variable; bv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  wfc: tf.Variable; bfc: tf.Variable; wproj: tf.Variable; bproj: tf.Variable;
}

function validateConfig(c: GPTConfig): void {
  const int = (name: keyof GPTConfig) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`GPTConfig.${name} must be a positive integer, got ${v}`);
  };
  (['vocabSize', 'dModel', 'nLayers', 'nHeads', 'contextLength'] as const).forEach(int);
  if (c.dModel % c.nHeads !== 0) throw new Error(`GPTConfig: dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads})`);
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) throw new Error(`GPTConfig.dropout must be in [0, 1), got ${c.dropout}`);
  const known = new Set(['vocabSize', 'dModel', 'nLayers', 'nHeads', 'contextLength', 'dropout']);
  for (const k of Object.keys(c)) if (!known.has(k)) throw new Error(`GPTConfig: unknown key '${k}' (known: ${[...known].join(', ')})`);
}

/** x (..., in) · w (in, out) (+ b), through a 2-D matmul. */
function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]); // (N, in)
  // (N, out); with a bias, one fused kernel where registered (bias folded into the sgemm)
  const y = b ? linearBias(x2 as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D) : tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D);
  return tf.reshape(y, [...shape.slice(0, -1), w.shape[1] as number]);
}

let instances = 0;

/**
 * GPT-2-style decoder over embeddings.
 * @example
 * const gpt = new GPT({ vocabSize: 256, dModel: 64, nLayers: 2, nHeads: 4, contextLength: 32 }, 7);
 * const logits = gpt.forward(gpt.embed(ids)); // (B, T, 256)
 * const loss = gpt.loss(logits, targets);
 */
export class GPT {
  readonly config: GPTConfig;
  /** Every variable, in a fixed order: wte, wpe, blocks (h.0 ...), ln_f, head. */
  readonly variables: tf.Variable[] = [];
  /** The same variables by short name ('wte', 'h.0.attn.wq', ...). */
  readonly named: Record<string, tf.Variable> = {};
  private readonly wte: tf.Variable; // (V, d)
  private readonly wpe: tf.Variable; // (ctx, d)
  private readonly blocks: Block[];
  private readonly lnfg: tf.Variable;
  private readonly lnfb: tf.Variable;
  private readonly head: tf.Variable; // (d, V)
  private dropoutCalls = 0;

  constructor(config: GPTConfig, seed: number, scope = `gpt${instances++}`) {
    validateConfig(config);
    this.config = { ...config };
    const { vocabSize: V, dModel: d, nLayers: L, contextLength: C } = config;
    const rng = createRng(seed);
    const param = (name: string, init: () => tf.Tensor) => {
      const v = tf.tidy(() => tf.variable(init(), true, `${scope}/${name}`));
      this.variables.push(v);
      this.named[name] = v;
      return v;
    };
    // GPT-2 init: N(0, 0.02); residual output projections scaled by 1/√(2·nLayers).
    const normal = (shape: number[], std = 0.02) => () => tf.randomNormal(shape, 0, std, 'float32', rng.tfSeed());
    const zeros = (shape: number[]) => () => tf.zeros(shape);
    const ones = (shape: number[]) => () => tf.ones(shape);
    const residStd = 0.02 / Math.sqrt(2 * L);
    this.wte = param('wte', normal([V, d]));
    this.wpe = param('wpe', normal([C, d], 0.01));
    this.blocks = Array.from({ length: L }, (_, i) => {
      const p = `h.${i}`;
      return {
        ln1g: param(`${p}.ln_1.g`, ones([d])), ln1b: param(`${p}.ln_1.b`, zeros([d])),
        wq: param(`${p}.attn.wq`, normal([d, d])), bq: param(`${p}.attn.bq`, zeros([d])),
        wk: param(`${p}.attn.wk`, normal([d, d])), bk: param(`${p}.attn.bk`, zeros([d])),
        wv: param(`${p}.attn.wv`, normal([d, d])), bv: param(`${p}.attn.bv`, zeros([d])),
        wo: param(`${p}.attn.wo`, normal([d, d], residStd)), bo: param(`${p}.attn.bo`, zeros([d])),
        ln2g: param(`${p}.ln_2.g`, ones([d])), ln2b: param(`${p}.ln_2.b`, zeros([d])),
        wfc: param(`${p}.mlp.wfc`, normal([d, 4 * d])), bfc: param(`${p}.mlp.bfc`, zeros([4 * d])),
        wproj: param(`${p}.mlp.wproj`, normal([4 * d, d], residStd)), bproj: param(`${p}.mlp.bproj`, zeros([d])),
      };
    });
    this.lnfg = param('ln_f.g', ones([d]));
    this.lnfb = param('ln_f.b', zeros([d]));
    this.head = param('head', normal([d, V]));
    ensureFusedOps();
  }

  /** Token embeddings: ids (B, T) int32 -> (B, T, d). */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    if (ids.dtype !== 'int32') throw new Error(`GPT.embed: ids must be int32, got ${ids.dtype}`);
    return tf.gather(this.wte, ids) as tf.Tensor3D; // (B, T, d)
  }

  /** x (B, T, d) -> logits (B, T, V): adds positions 0..T-1, runs the blocks, final LN and head. */
  forward(x: tf.Tensor3D, options: { training?: boolean; seed?: number } = {}): tf.Tensor3D {
    return tf.tidy(() => this.run(x, 0, null, options.training ?? false, options.seed));
  }

  /**
   * Masked mean cross-entropy: logits (B, T, V), targets (B, T) int32, mask (B, T) of 0/1
   * (default all ones). Positions with mask 0 do not count.
   */
  loss(logits: tf.Tensor3D, targets: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar {
    const [B, T, V] = logits.shape;
    if (targets.shape[0] !== B || targets.shape[1] !== T) throw new Error(`GPT.loss: targets shape [${targets.shape}] must be [${B}, ${T}]`);
    if (mask && (mask.shape[0] !== B || mask.shape[1] !== T)) throw new Error(`GPT.loss: mask shape [${mask.shape}] must be [${B}, ${T}]`);
    return tf.tidy(() => {
      const flat = tf.reshape(logits, [B * T, V]); // (N, V)
      const ids = tf.reshape(tf.cast(targets, 'int32'), [B * T]) as tf.Tensor1D; // (N,)
      const m = mask ? tf.reshape(tf.cast(mask, 'float32'), [B * T]) : tf.ones([B * T]); // (N,)
      const w = tf.div(m, tf.maximum(tf.sum(m), 1)) as tf.Tensor1D; // (N,) weights summing to 1
      return softmaxCrossEntropy(flat as tf.Tensor2D, ids, w); // mean NLL, one fused kernel where registered
    });
  }

  /** An empty KV cache for `batch` sequences. */
  createCache(batch: number): GPTCache {
    const cache: GPTCache = {
      pos: 0,
      layers: this.blocks.map(() => ({ k: null, v: null })),
      qkv: null,
      dispose() {
        for (const l of cache.layers) {
          l.k?.dispose();
          l.v?.dispose();
          l.k = l.v = null;
        }
        for (const f of cache.qkv ?? []) tf.dispose([f.w, f.b]);
        cache.qkv = null;
      },
    };
    void batch; // shapes come from the first step; kept for API symmetry with other decoders
    return cache;
  }

  /** x (B, t, d) placed after what the cache holds -> logits (B, t, V); appends to the cache. */
  forwardStep(x: tf.Tensor3D, cache: GPTCache): tf.Tensor3D {
    const logits = tf.tidy(() => (x.shape[1] === 1 && cache.pos > 0 ? this.runOne(x, cache) : this.run(x, cache.pos, cache, false)));
    cache.pos += x.shape[1];
    return logits;
  }

  /** Per layer: [wq/√hs | wk | wv] (d, 3d) and its bias (3d,), one matmul for q, k and v in a one-token step. Caller disposes. */
  private fusedQkv(): { w: tf.Tensor2D; b: tf.Tensor1D }[] {
    const scale = 1 / Math.sqrt(this.config.dModel / this.config.nHeads);
    return this.blocks.map((blk) => tf.tidy(() => ({
      w: tf.keep(tf.concat([tf.mul(blk.wq, scale), blk.wk, blk.wv], 1) as tf.Tensor2D), // (d, 3d)
      b: tf.keep(tf.concat([tf.mul(blk.bq, scale), blk.bk, blk.bv]) as tf.Tensor1D), // (3d,)
    })));
  }

  /**
   * The weights of the cached one-token step as runOne uses them, read back as arrays: for a decoder that runs the
   * step outside tfjs (prior/native_decode.ts). Per layer in runOne's order; `qkv` and `qkvBias` are fusedQkv's.
   * @example const { layers } = gpt.stepWeights(); // layers[0].qkv: (d, 3d) row-major
   */
  stepWeights(): { wpe: Float32Array; layers: Record<'ln1g' | 'ln1b' | 'qkv' | 'qkvBias' | 'wo' | 'bo' | 'ln2g' | 'ln2b' | 'wfc' | 'bfc' | 'wproj' | 'bproj', Float32Array>[]; lnfg: Float32Array; lnfb: Float32Array; head: Float32Array } {
    const qkv = this.fusedQkv();
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    try {
      const layers = this.blocks.map((blk, i) => ({
        ln1g: read(blk.ln1g), ln1b: read(blk.ln1b), qkv: read(qkv[i].w), qkvBias: read(qkv[i].b), wo: read(blk.wo), bo: read(blk.bo),
        ln2g: read(blk.ln2g), ln2b: read(blk.ln2b), wfc: read(blk.wfc), bfc: read(blk.bfc), wproj: read(blk.wproj), bproj: read(blk.bproj),
      }));
      return { wpe: read(this.wpe), layers, lnfg: read(this.lnfg), lnfb: read(this.lnfb), head: read(this.head) };
    } finally {
      for (const f of qkv) tf.dispose([f.w, f.b]);
    }
  }

  /** Free the variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  private dropout(x: tf.Tensor, training: boolean, seed: number | undefined): tf.Tensor {
    const p = this.config.dropout ?? 0;
    if (!training || p === 0) return x;
    // A distinct seed per call; a given (seed, call order) repeats exactly.
    return tf.dropout(x, p, undefined, seed === undefined ? undefined : seed * 7919 + ++this.dropoutCalls);
  }

  /**
   * One token after a filled cache: rows (B, d), one matmul for q, k and v, and attention that writes the new key and
   * value into preallocated cache buffers (decodeAttention). At this size a generation step costs what its kernels
   * cost to dispatch (~5-15 µs each on wasm), and this path runs about a third of run()'s ~160 kernels.
   */
  private runOne(x: tf.Tensor3D, cache: GPTCache): tf.Tensor3D {
    const [B, , d] = x.shape;
    const { nHeads: nh, contextLength: C, vocabSize: V } = this.config;
    const p0 = cache.pos;
    if (d !== this.config.dModel) throw new Error(`GPT: input width ${d} does not match dModel ${this.config.dModel}`);
    if (p0 + 1 > C) throw new Error(`GPT: sequence of ${p0 + 1} tokens exceeds contextLength ${C}`);
    const hs = d / nh;
    cache.qkv ??= this.fusedQkv();
    // (B, d) and (B, nh, 1, hs) share one memory order when t = 1: heads are reshapes, not transposes
    let h = tf.add(tf.reshape(x, [B, d]), tf.slice(this.wpe, [p0, 0], [1, d])) as tf.Tensor2D; // (B, d)
    const inPlace = hasDecodeAttention();
    this.blocks.forEach((blk, i) => {
      const a = layerNorm(h, blk.ln1g as tf.Tensor1D, blk.ln1b as tf.Tensor1D); // (B, d)
      const qkv = linearBias(a, cache.qkv![i].w, cache.qkv![i].b); // (B, 3d)
      const c = cache.layers[i];
      let y: tf.Tensor2D; // (B, d)
      if (inPlace) {
        // preallocated (B, nh, C, hs) buffers, filled in place: no copy of the cache per token
        if (c.k!.shape[2] !== C) {
          const grow = (t: tf.Tensor4D) => tf.keep(tf.concat([t, tf.zeros([B, nh, C - p0, hs])], 2) as tf.Tensor4D);
          const [kb, vb] = [grow(c.k!), grow(c.v!)];
          tf.dispose([c.k!, c.v!]);
          [c.k, c.v] = [kb, vb];
        }
        y = decodeAttention(qkv, c.k!, c.v!, p0);
      } else {
        const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [B, nh, 1, hs]) as tf.Tensor4D);
        const K = tf.concat([c.k!, k], 2) as tf.Tensor4D, Vv = tf.concat([c.v!, v], 2) as tf.Tensor4D; // (B, nh, p0 + 1, hs)
        tf.dispose([c.k!, c.v!]);
        c.k = tf.keep(K);
        c.v = tf.keep(Vv);
        const att = causalSoftmax(tf.matMul(q, K, false, true), p0); // (B, nh, 1, p0 + 1): the new token sees every key
        y = tf.reshape(tf.matMul(att, Vv), [B, d]) as tf.Tensor2D;
      }
      h = tf.add(h, linearBias(y, blk.wo as tf.Tensor2D, blk.bo as tf.Tensor1D)) as tf.Tensor2D;
      const m = layerNorm(h, blk.ln2g as tf.Tensor1D, blk.ln2b as tf.Tensor1D); // (B, d)
      h = tf.add(h, linearBias(gelu(linearBias(m, blk.wfc as tf.Tensor2D, blk.bfc as tf.Tensor1D)), blk.wproj as tf.Tensor2D, blk.bproj as tf.Tensor1D)) as tf.Tensor2D;
    });
    const out = layerNorm(h, this.lnfg as tf.Tensor1D, this.lnfb as tf.Tensor1D); // (B, d)
    return tf.reshape(tf.matMul(out, this.head), [B, 1, V]) as tf.Tensor3D; // (B, 1, V)
  }

  /** The network for x at absolute positions [p0, p0 + t). */
  private run(x: tf.Tensor3D, p0: number, cache: GPTCache | null, training: boolean, seed?: number): tf.Tensor3D {
    const [B, t, d] = x.shape;
    const { nHeads: nh, contextLength: C, vocabSize: V } = this.config;
    if (d !== this.config.dModel) throw new Error(`GPT: input width ${d} does not match dModel ${this.config.dModel}`);
    if (p0 + t > C) throw new Error(`GPT: sequence of ${p0 + t} tokens exceeds contextLength ${C}`);
    this.dropoutCalls = 0;
    const hs = d / nh;
    let h = tf.add(x, tf.slice(this.wpe, [p0, 0], [t, d])); // (B, t, d)
    this.blocks.forEach((blk, i) => {
      // Causal self-attention.
      const a = layerNorm(h, blk.ln1g as tf.Tensor1D, blk.ln1b as tf.Tensor1D); // (B, t, d)
      const heads = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [B, t, nh, hs]), [0, 2, 1, 3]); // (B, nh, t, hs)
      const q = heads(linear(tf.mul(a, 1 / Math.sqrt(hs)), blk.wq, tf.mul(blk.bq, 1 / Math.sqrt(hs)))); // (B, nh, t, hs), pre-scaled
      let k = heads(linear(a, blk.wk, blk.bk)) as tf.Tensor4D; // (B, nh, t, hs)
      let v = heads(linear(a, blk.wv, blk.bv)) as tf.Tensor4D; // (B, nh, t, hs)
      if (cache) {
        const c = cache.layers[i];
        if (c.k && c.v) {
          // a buffer grown by runOne holds C positions, of which p0 are filled
          const filled = (t: tf.Tensor4D) => (t.shape[2] === p0 ? t : (tf.slice(t, [0, 0, 0, 0], [B, nh, p0, hs]) as tf.Tensor4D));
          k = tf.concat([filled(c.k), k], 2); // (B, nh, T, hs)
          v = tf.concat([filled(c.v), v], 2); // (B, nh, T, hs)
        }
        c.k?.dispose();
        c.v?.dispose();
        c.k = tf.keep(k);
        c.v = tf.keep(v);
      }
      const scores = tf.matMul(q, k, false, true); // (B, nh, t, T), T = p0 + t
      const att = this.dropout(causalSoftmax(scores, p0), training, seed); // (B, nh, t, T), zero above the causal diagonal
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B, t, d]); // (B, t, d)
      h = tf.add(h, this.dropout(linear(y, blk.wo, blk.bo), training, seed)); // (B, t, d)
      // MLP.
      const m = layerNorm(h, blk.ln2g as tf.Tensor1D, blk.ln2b as tf.Tensor1D); // (B, t, d)
      const f = linear(gelu(linear(m, blk.wfc, blk.bfc)), blk.wproj, blk.bproj); // (B, t, d)
      h = tf.add(h, this.dropout(f, training, seed)); // (B, t, d)
    });
    const out = layerNorm(h, this.lnfg as tf.Tensor1D, this.lnfb as tf.Tensor1D); // (B, t, d)
    return tf.reshape(linear(out, this.head), [B, t, V]) as tf.Tensor3D; // (B, t, V)
  }
}
