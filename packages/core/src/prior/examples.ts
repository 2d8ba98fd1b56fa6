import * as path from 'node:path';
import type { Tokenizer } from '../tokenizer';
import { encodeWeights, type Vqvae } from '../vqvae/model';
import { readEntries, type ZooEntry } from '../zoo/manifest';
import { loadNetworkSafetensors } from '../io/safetensors';
import { readFileVerified } from '../io/atomic';
import type { SupportSet } from '../encoders/dataset';
import { resolveArchitecture, type ArchitectureRef } from '../generate';
import type { PriorExample } from './train';

/** A trained network to learn from: architecture, flat canonical weights, instruction paraphrases, dataset. */
export interface NetworkRecord {
  architecture: ArchitectureRef;
  flat: Float32Array;
  instructions: string[];
  dataset?: SupportSet;
}

/**
 * Turn trained networks into prior examples: weights -> tokenizer chunks -> VQ-VAE codes, with chunk positions.
 * @example const examples = priorExamples([{ architecture: { name: 'mlp', spec }, flat, instructions: ['classify iris'] }], tok, vq);
 */
export function priorExamples(records: NetworkRecord[], tokenizer: Tokenizer, vqvae: Vqvae): PriorExample[] {
  return records.map((r, i) => {
    if (!r.instructions.length) throw new Error(`network ${i}: give at least one instruction`);
    const arch = resolveArchitecture(r.architecture);
    const { codes, positions } = encodeWeights(vqvae, tokenizer, arch.infos, r.flat);
    return { codes, instructions: r.instructions, architecture: arch.condition, layout: { places: positions }, dataset: r.dataset };
  });
}

/**
 * Prior examples from a zoo folder (manifest entries + weight files, checksums verified). `datasets` maps a dataset
 * name to its support set (optional: entries whose dataset is not given train without a dataset condition).
 * `filter` picks entries (e.g. skip held-out tasks: `(e) => !e.heldOut.task`).
 */
export function priorExamplesFromZoo(zooDir: string, tokenizer: Tokenizer, vqvae: Vqvae, options: { datasets?: Record<string, SupportSet>; filter?: (e: ZooEntry) => boolean } = {}): PriorExample[] {
  const entries = readEntries(zooDir).filter(options.filter ?? (() => true));
  if (!entries.length) throw new Error(`${zooDir}: no zoo entries to train the prior on (build the zoo first)`);
  const records = entries.map((e): NetworkRecord => {
    const file = path.join(zooDir, e.weights.file);
    readFileVerified(file, { size: e.weights.size, sha256: e.weights.sha256 });
    const arch = resolveArchitecture({ name: e.architecture.name, spec: e.architecture.spec });
    const { flat } = loadNetworkSafetensors(file, arch.infos);
    return { architecture: { name: e.architecture.name, spec: e.architecture.spec }, flat, instructions: e.task.instructions, dataset: options.datasets?.[e.task.dataset] };
  });
  return priorExamples(records, tokenizer, vqvae);
}
