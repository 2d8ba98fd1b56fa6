import * as fs from 'node:fs';
import * as path from 'node:path';
import { getArchitecture, l2Norm, loadZooNetworks, nearestCheckpoint, unpackZoo, writeModelCard, type Canonicalizer, type ParamInfo, type SamplerOptions, type Task, type WeightLayout } from '@igpg/core';

/** What `igpg generate` knows about a batch it wrote: the result, the options, the files. */
interface GeneratedBatch {
  instruction: string;
  architecture: { name: string; spec: Record<string, unknown>; infos: ParamInfo[] };
  weights: Float32Array[];
  task?: Task;
  accuracies?: number[];
  generatorHash?: string;
  sampling: { seed: number; guidance?: number } & SamplerOptions;
  formats: string[];
  layout: WeightLayout;
  /** The dataset condition generateForTask drew (its defaults: 5 per class, seed 1). */
  support?: { perClass: number; seed: number };
  /** Zoo to find each network's nearest checkpoint in (skipped when missing). */
  zoo?: string;
  /**
   * The generator's canonicalizer. Generated networks come out in its canonical (aligned) unit order, so the zoo
   * checkpoints are aligned with it before the distance is taken, as the evaluation's memorization audit does:
   * unaligned distances are inflated by hidden-unit permutations.
   */
  canon?: Canonicalizer;
}

/** The zoo checkpoints with the same parameter shapes: the ones a generated network can be compared with. */
function comparableZoo(zoo: string | undefined, arch: string, infos: ParamInfo[], canon: Canonicalizer | undefined): { id: string; flat: Float32Array }[] {
  if (!zoo) return [];
  unpackZoo(zoo); // zoo/default ships packed
  if (!fs.existsSync(path.join(zoo, 'entries'))) return [];
  const key = JSON.stringify(infos.map((i) => i.shape));
  try {
    return loadZooNetworks(zoo, (e) => e.architecture.name === arch, { lastEpochOnly: true })
      .filter((n) => JSON.stringify(n.infos.map((i) => i.shape)) === key)
      .map((n) => ({ id: n.entry.id, flat: canon ? canon.align(n.entry.architecture, n.flat).flat : n.flat }));
  } catch {
    return []; // no checkpoint of this architecture
  }
}

/** Write `<out>/generated-<i>.card.md` and `.card.json` beside each generated network. Returns the paths. */
export function writeGeneratedCards(out: string, b: GeneratedBatch): string[] {
  const zoo = comparableZoo(b.zoo, b.architecture.name, b.architecture.infos, b.canon);
  const summary = getArchitecture(b.architecture.name).summary(b.architecture.spec);
  return b.weights.flatMap((flat, i) => {
    const name = `generated-${i}`;
    const near = zoo.length ? nearestCheckpoint(flat, zoo.map((z) => z.flat)) : undefined;
    return writeModelCard(out, {
      name, instruction: b.instruction, architecture: { ...b.architecture, summary },
      task: b.task && { id: b.task.id, dataset: b.task.dataset, classes: b.task.classes },
      support: b.task ? b.support : undefined,
      generatorHash: b.generatorHash ?? '',
      sampling: { ...b.sampling, index: i },
      accuracy: b.accuracies?.[i],
      // a permutation keeps the norm: relative to the checkpoint's own weight norm in either space
      nearest: near && { id: zoo[near.index].id, distance: near.distance, relative: near.distance / l2Norm(zoo[near.index].flat), space: b.canon ? 'canonical (aligned)' : 'raw' },
      files: {
        ...(b.formats.includes('safetensors') ? { safetensors: { file: `${name}.safetensors`, layout: b.layout } } : {}),
        ...(b.formats.includes('tfjs') ? (fs.existsSync(path.join(out, name, 'model.json')) && JSON.parse(fs.readFileSync(path.join(out, name, 'model.json'), 'utf8')).format === 'layers-model'
          ? { tfjsLayers: name } : { tfjsWeights: name }) : {}),
      },
    });
  });
}
