import { encodeNetwork, type WeightCodec } from '../codec';
import type { SupportSet } from '../encoders/dataset';
import { resolveArchitecture, type ArchitectureRef } from '../encoders/resolve';
import type { PriorExample } from './train';

/** A trained network to learn from: architecture, flat canonical weights, instruction paraphrases, dataset. */
export interface NetworkRecord {
  architecture: ArchitectureRef;
  flat: Float32Array;
  instructions: string[];
  dataset?: SupportSet;
}

/**
 * Turn trained networks into prior examples: weights -> (canonicalizer) -> tokenizer chunks -> VQ-VAE codes, with
 * chunk positions. `aligned`: the records' weights are already in the canonical space.
 * @example const examples = priorExamples([{ architecture: { name: 'mlp', spec }, flat, instructions: ['classify iris'] }], { tokenizer, vq });
 */
export function priorExamples(records: NetworkRecord[], codec: WeightCodec, options: { aligned?: boolean } = {}): PriorExample[] {
  return records.map((r, i) => {
    if (!r.instructions.length) throw new Error(`network ${i}: give at least one instruction`);
    const arch = resolveArchitecture(r.architecture);
    const { codes, positions } = encodeNetwork(codec, { name: arch.plugin.name, spec: arch.spec }, arch.infos, r.flat, options);
    return { codes, instructions: r.instructions, architecture: arch.condition, layout: { places: positions }, dataset: r.dataset };
  });
}
