import { encodeNetwork, type WeightCodec } from '../codec';
import type { ZooEntry } from '../zoo/manifest';
import { openZoo } from '../zoo/reader';
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

/**
 * Prior examples from a zoo folder (read through the zoo reader: checksums verified). `datasets` maps a dataset
 * name to its support set (optional: entries whose dataset is not given train without a dataset condition).
 * `filter` picks entries (e.g. skip held-out tasks: `(e) => !e.heldOut.task`).
 */
export function priorExamplesFromZoo(zooDir: string, codec: WeightCodec, options: { datasets?: Record<string, SupportSet>; filter?: (e: ZooEntry) => boolean } = {}): PriorExample[] {
  const zoo = openZoo(zooDir);
  const entries = zoo.entries.filter(options.filter ?? (() => true));
  if (!entries.length) throw new Error(`${zooDir}: no zoo entries to train the prior on (build the zoo first)`);
  const records = entries.map((e): NetworkRecord => ({
    architecture: { name: e.architecture.name, spec: e.architecture.spec }, flat: zoo.flat(e), instructions: e.task.instructions, dataset: options.datasets?.[e.task.dataset],
  }));
  return priorExamples(records, codec);
}
