import type { ParamInfo } from './sdk/types';
import type { ChunkPosition, Tokenizer } from './tokenizer';
import { decodeWeights, encodeWeights, type Vqvae } from './vqvae/model';
import type { Canonicalizer } from './canon/canonicalizer';

/**
 * The weight codec: network weights <-> discrete codes. Its parts, in the order weights pass through them:
 *   canonicalizer (optional)  align the units to the architecture's reference, then subtract the reference
 *   tokenizer                 per-tensor normalisation, neuron chunks
 *   VQ-VAE                    chunk -> codes -> chunk
 * Decoding gives weights in the canonical space: a network with the same function family as the zoo's, its units in
 * reference order (no permutation needs undoing to run it).
 */
export interface WeightCodec {
  tokenizer: Tokenizer;
  vq: Vqvae;
  canon?: Canonicalizer;
}

type Arch = { name: string; spec: Record<string, unknown> };

/**
 * A network's flat weights -> codes and chunk positions. `aligned`: the weights are already in the canonical space
 * (skip the alignment; the reference is still subtracted).
 * @example const { codes } = encodeNetwork(codec, { name: 'mlp', spec }, infos, zooFlat);
 */
export function encodeNetwork(codec: WeightCodec, arch: Arch, infos: ParamInfo[], flat: Float32Array, options: { aligned?: boolean } = {}): { codes: Int32Array; positions: ChunkPosition[] } {
  let w = flat;
  if (codec.canon) {
    if (!options.aligned) w = codec.canon.align(arch, w).flat;
    w = codec.canon.center(arch, w);
  }
  return encodeWeights(codec.vq, codec.tokenizer, infos, w);
}

/**
 * Codes -> flat weights in the canonical space, ready for assignWeights.
 * @example assignWeights(net, decodeNetwork(codec, arch, infos, codes));
 */
export function decodeNetwork(codec: WeightCodec, arch: Arch, infos: ParamInfo[], codes: Int32Array | number[]): Float32Array {
  const w = decodeWeights(codec.vq, codec.tokenizer, infos, codes);
  return codec.canon ? codec.canon.uncenter(arch, w) : w;
}

/** A network's weights in the space the codec quantizes (aligned, reference subtracted): for fitting the tokenizer. */
export function codecSpace(canon: Canonicalizer | undefined, arch: Arch, flat: Float32Array, options: { aligned?: boolean } = {}): Float32Array {
  if (!canon) return flat;
  return canon.center(arch, options.aligned ? flat : canon.align(arch, flat).flat);
}
