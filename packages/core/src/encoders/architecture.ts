import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import type { ParamRole } from '../sdk/types';
import type { ChunkPosition } from '../tokenizer';
import { textFeatureMatrix } from './text-features';
import { dense, normalVariable } from '../nn/init';

/**
 * Where a chunk sits in the network: the part of the tokenizer's ChunkPosition the architecture encoder reads (a
 * ChunkPosition is one). `offset` is the chunk's first value inside its tensor; `tensorSize` that tensor's number of
 * values; unit/units/part/parts only for neuron chunks.
 */
export type ChunkPlace = Pick<ChunkPosition, 'layer' | 'layers' | 'role' | 'offset'> & Partial<Pick<ChunkPosition, 'tensorSize' | 'unit' | 'units' | 'part' | 'parts'>>;

const ROLES: ParamRole[] = ['kernel', 'bias', 'gamma', 'beta', 'embedding', 'position', 'other'];
/** Layer indices past this share the last one-hot slot; relative depth still tells them apart. */
const MAX_LAYER_SLOTS = 32;
const OFFSET_BUCKETS = 16;
const MAX_CODE_SLOTS = 16;
const DEPTH_FREQS = 4;
/** Unit slots past this share the last one-hot slot (the unit fraction still tells them apart). */
const MAX_UNIT_SLOTS = 64;
const MAX_PART_SLOTS = 8;
const UNIT_FEATURES = MAX_UNIT_SLOTS + MAX_PART_SLOTS + 3;
/** Width of one token's position feature vector. */
export const POSITION_FEATURES = MAX_LAYER_SLOTS + ROLES.length + OFFSET_BUCKETS + MAX_CODE_SLOTS + (1 + 2 * DEPTH_FREQS) + 3 + UNIT_FEATURES;

/**
 * Position features of every token: chunk c contributes `codesPerChunk` rows (one per code index).
 * Each row: one-hot layer index, role, log2 offset bucket and code index; relative depth layer/(layers-1) with
 * sin/cos features (lets unseen depths be described); last-layer flag; fraction of the tensor done; log tensor size;
 * for neuron chunks the unit slot (one-hot: aligned networks give a slot the same meaning in every network), its
 * fraction of the layer, the sub-chunk (one-hot) and the number of sub-chunks, and a neuron flag.
 * The prior projects these rows to d_model and adds them to the code embeddings.
 * @example const f = positionFeatures(tokenizer.positions(spec), 4); // (chunks*4, POSITION_FEATURES)
 */
export function positionFeatures(places: ChunkPlace[], codesPerChunk: number, chunkSize = 1): Float32Array {
  if (codesPerChunk > MAX_CODE_SLOTS) throw new Error(`positionFeatures: ${codesPerChunk} codes per chunk, at most ${MAX_CODE_SLOTS} supported`);
  const F = POSITION_FEATURES;
  const out = new Float32Array(places.length * codesPerChunk * F);
  places.forEach((p, c) => {
    const roleIdx = ROLES.indexOf(p.role);
    if (roleIdx < 0) throw new Error(`chunk ${c}: unknown role "${p.role}" (known: ${ROLES.join(', ')})`);
    const depth = p.layers > 1 ? p.layer / (p.layers - 1) : 0;
    const bucket = Math.min(OFFSET_BUCKETS - 1, Math.floor(Math.log2(p.offset / Math.max(1, chunkSize) + 1)));
    for (let k = 0; k < codesPerChunk; k++) {
      const row = out.subarray((c * codesPerChunk + k) * F, (c * codesPerChunk + k + 1) * F);
      let o = 0;
      row[o + Math.min(p.layer, MAX_LAYER_SLOTS - 1)] = 1; o += MAX_LAYER_SLOTS;
      row[o + roleIdx] = 1; o += ROLES.length;
      row[o + bucket] = 1; o += OFFSET_BUCKETS;
      row[o + k] = 1; o += MAX_CODE_SLOTS;
      row[o++] = depth;
      for (let f = 0; f < DEPTH_FREQS; f++) {
        row[o++] = Math.sin(Math.PI * (f + 1) * depth);
        row[o++] = Math.cos(Math.PI * (f + 1) * depth);
      }
      row[o++] = p.layer === p.layers - 1 ? 1 : 0;
      row[o++] = p.tensorSize ? p.offset / p.tensorSize : 0;
      row[o++] = p.tensorSize ? Math.log10(p.tensorSize) / 6 : 0;
      if (p.unit !== undefined && p.unit >= 0 && p.units) {
        row[o + Math.min(p.unit, MAX_UNIT_SLOTS - 1)] = 1;
        row[o + MAX_UNIT_SLOTS + Math.min(p.part ?? 0, MAX_PART_SLOTS - 1)] = 1;
        row[o + MAX_UNIT_SLOTS + MAX_PART_SLOTS] = 1;
        row[o + MAX_UNIT_SLOTS + MAX_PART_SLOTS + 1] = p.unit / p.units;
        row[o + MAX_UNIT_SLOTS + MAX_PART_SLOTS + 2] = (p.parts ?? 1) / MAX_PART_SLOTS;
      }
    }
  });
  return out;
}

/** The architecture as a condition: its English description and a few numbers. */
export interface ArchitectureCondition {
  /** Architecture plugin name, e.g. "cnn". */
  name: string;
  /** `summary(spec)` from the plugin. */
  description: string;
  params: number;
  layers: number;
  tensors: number;
}

interface ArchitectureEncoderConfig {
  buckets?: number;
  dim?: number;
  seed?: number;
}

const architectureEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    buckets: { type: 'integer', minimum: 16, default: 4096 },
    dim: { type: 'integer', minimum: 1, default: 64 },
    seed: { type: 'integer', default: 0 },
  },
};

/** Numeric summary of an architecture, scaled to O(1). */
function architectureNumbers(a: ArchitectureCondition): number[] {
  return [Math.log10(Math.max(1, a.params)) / 6, a.layers / 16, a.tensors / 32, Math.log10(Math.max(1, a.layers))];
}

/**
 * Architecture description encoder: hashed n-grams of "name: description" -> linear, plus a linear map of the
 * numeric summary. (N conditions) -> (N, dim). Trained jointly with the prior.
 * @example const enc = architectureEncoder({ dim: 64 }); enc.encode([{ name: 'mlp', description: 'MLP 4-16-3', params: 131, layers: 2, tensors: 4 }]);
 */
export function architectureEncoder(options: ArchitectureEncoderConfig = {}, scope?: string) {
  const cfg = validate<Required<ArchitectureEncoderConfig>>(architectureEncoderSchema, options, 'architecture encoder config');
  const rng = createRng(`architecture-encoder/${cfg.seed}`);
  const textW = normalVariable([cfg.buckets, cfg.dim], 1 / Math.sqrt(cfg.dim), rng.tfSeed(), scope && `${scope}/textW`); // (buckets, dim)
  const num = dense(4, cfg.dim, rng.tfSeed(), scope && `${scope}/num`);
  return {
    dim: cfg.dim,
    variables: { textW, numW: num.W, numb: num.b } as Record<string, tf.Variable>,
    encode(archs: ArchitectureCondition[]): tf.Tensor2D {
      const text = textFeatureMatrix(archs.map((a) => `${a.name}: ${a.description}`), cfg.buckets);
      const nums = Float32Array.from(archs.flatMap(architectureNumbers));
      return tf.tidy(() => tf.add(
        tf.matMul(tf.tensor2d(text, [archs.length, cfg.buckets]), textW), // (N, dim)
        num.apply(tf.tensor2d(nums, [archs.length, 4])), // (N, dim)
      ));
    },
    config: () => ({ ...cfg }),
    dispose() { textW.dispose(); num.W.dispose(); num.b.dispose(); },
  };
}
export type ArchitectureEncoder = ReturnType<typeof architectureEncoder>;
