import * as tf from '@tensorflow/tfjs-core';
import { getArchitecture } from '../sdk/architecture';
import { getDataset, type DatasetSplit } from '../sdk/dataset';
import { assignWeights } from '../sdk/weights';
import { createRng } from '../rng';
import { evaluateNetwork } from '../zoo/evaluate';
import type { ZooEntry } from '../zoo/manifest';
import type { Tokenizer } from '../tokenizer';
import type { Vqvae } from '../vqvae/model';
import type { Prior } from '../prior/prior';
import type { SamplerOptions } from '../sampler';
import type { SupportSet } from '../encoders/dataset';
import { taskSupportSet } from '../pipeline/zoo-networks';
import { generate } from '../generate';
import type { ZooIndex } from './zoo-index';
import type { Canonicalizer } from '../canon/canonicalizer';
import type { WeightCodec } from '../codec';

/** Everything the report's sections share: models, the zoo, data per task, seeds. Dispose at the end. */
export class EvalContext {
  private data = new Map<string, { train: DatasetSplit; test: DatasetSplit }>();
  private support = new Map<string, SupportSet>();

  constructor(
    readonly zoo: ZooIndex,
    readonly vq: Vqvae,
    readonly tokenizer: Tokenizer,
    readonly prior: Prior,
    readonly canon: Canonicalizer | undefined,
    readonly opts: { seed: number; n: number; trainLimit?: number; testLimit?: number; supportShots?: number; supportSeed?: number; sampler?: SamplerOptions; guidance?: number },
  ) {}

  /** The generator's codec (what zoo.codesOf / zoo.reconstruction take). */
  get codec(): WeightCodec {
    return { tokenizer: this.tokenizer, vq: this.vq, canon: this.canon };
  }

  /** A numeric seed for `label`, derived from the report seed (never 0). */
  seedFor(label: string): number {
    return createRng(`${this.opts.seed}/${label}`).tfSeed();
  }

  /** Train / test split of a task (task labels 0..k-1), loaded once; the same data for every column of a row. */
  async split(task: ZooEntry['task']): Promise<{ train: DatasetSplit; test: DatasetSplit }> {
    let d = this.data.get(task.id);
    if (!d) {
      const ds = getDataset(task.dataset);
      const seed = this.seedFor(`data/${task.id}`);
      d = {
        train: await ds.load({ split: 'train', classes: task.classIndices, limit: this.opts.trainLimit, seed }),
        test: await ds.load({ split: 'test', classes: task.classIndices, limit: this.opts.testLimit, seed }),
      };
      this.data.set(task.id, d);
    }
    return d;
  }

  /** The dataset condition of a task, drawn exactly as the prior stage drew it (taskSupportSet), or none when k is 0. */
  async supportSet(task: ZooEntry['task']): Promise<SupportSet | undefined> {
    const k = this.opts.supportShots ?? 0;
    return k > 0 ? taskSupportSet(task, k, this.opts.supportSeed ?? 1, this.support) : undefined;
  }

  /** Test accuracy of flat weights in an architecture on a task's test split (the network is disposed). */
  async accuracy(arch: { name: string; spec: Record<string, unknown> }, flat: Float32Array, task: ZooEntry['task']): Promise<number> {
    const net = getArchitecture(arch.name).build(arch.spec, 1);
    try {
      assignWeights(net, flat);
      return (await evaluateNetwork(net, (await this.split(task)).test)).accuracy;
    } finally {
      net.dispose();
    }
  }

  /** n networks generated for an instruction (weights and codes only; nothing to dispose). */
  async generate(instruction: string, arch: { name: string; spec: Record<string, unknown> }, task: ZooEntry['task'], label: string): Promise<{ weights: Float32Array[]; codes: Int32Array[] }> {
    const r = await generate({
      prior: this.prior, tokenizer: this.tokenizer, vqvae: this.vq, canon: this.canon, instruction, architecture: arch, dataset: await this.supportSet(task),
      n: this.opts.n, seed: this.seedFor(`generate/${label}`), sampler: this.opts.sampler, guidance: this.opts.guidance, build: false,
    });
    return { weights: r.weights, codes: r.codes };
  }

  dispose(): void {
    for (const d of this.data.values()) tf.dispose([d.train.x, d.train.y, d.test.x, d.test.y]);
    this.data.clear();
  }
}
