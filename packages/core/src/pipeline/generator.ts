import { getDataset } from '../sdk/dataset';
import { loadVqvae } from '../vqvae/io';
import type { Vqvae } from '../vqvae/model';
import type { Tokenizer } from '../tokenizer';
import { loadPrior } from '../prior/checkpoint';
import type { Prior } from '../prior/prior';
import { checkCompatible, generate, type ArchitectureRef, type GenerateOptions, type GenerateResult } from '../generate';
import { evaluateNetwork } from '../zoo/evaluate';
import { makeTask, taskFromId, type Task } from '../zoo/task';
import { taskSupportSet } from './zoo-networks';

/** A trained IGPG generator: the prior with the tokenizer and VQ-VAE it was trained on. */
export interface Generator {
  prior: Prior;
  vq: Vqvae;
  tokenizer: Tokenizer;
  dispose(): void;
}

/**
 * Load a VQ-VAE folder and a prior folder and check that they belong together.
 * @example const g = await loadGenerator('runs/default/vqvae', 'runs/default/prior'); ... g.dispose();
 */
export async function loadGenerator(vqvaeDir: string, priorDir: string): Promise<Generator> {
  const { vq, tokenizer } = loadVqvae(vqvaeDir);
  let prior: Prior;
  try {
    prior = await loadPrior(priorDir);
    checkCompatible(prior, tokenizer, vq);
  } catch (e) {
    vq.dispose();
    throw e;
  }
  return { prior, vq, tokenizer, dispose: () => { prior.dispose(); vq.dispose(); } };
}

/**
 * A task from a dataset name ("mnist": all classes) or a task id ("fashion-mnist:sandal+sneaker").
 * Datasets must be registered.
 */
export function resolveTask(ref: string): Task {
  if (!ref.includes(':')) return makeTask(getDataset(ref), 'all');
  return taskFromId(ref, (name) => getDataset(name));
}

/** Fill an architecture spec's inputShape and classes from a task, where the spec leaves them out. */
export function specForTask(arch: ArchitectureRef, task?: Task): ArchitectureRef {
  if (!task) return arch;
  const ds = getDataset(task.dataset);
  return { name: arch.name, spec: { inputShape: ds.inputShape, classes: task.classes.length, ...arch.spec } };
}

export interface GenerateForTaskOptions extends Omit<GenerateOptions, 'prior' | 'tokenizer' | 'vqvae' | 'dataset'> {
  /** Dataset name or task id: fills the spec's inputShape/classes and gives the dataset condition. */
  task?: string;
  /** Support samples per class for the dataset condition (default 5; 0 = none). */
  supportK?: number;
  /** Also measure each generated network's test accuracy on the task. */
  evaluate?: boolean;
}

/**
 * Generate networks from an instruction with a loaded generator, optionally for a task (dataset condition,
 * spec defaults, test accuracy).
 * @example const r = await generateForTask(g, { instruction: 'classify digits 0-4', architecture: { name: 'cnn-s', spec: {} }, task: 'mnist:0+1+2+3+4', n: 4, evaluate: true });
 */
export async function generateForTask(g: Generator, opts: GenerateForTaskOptions): Promise<GenerateResult & { task?: Task; accuracies?: number[] }> {
  const task = opts.task ? resolveTask(opts.task) : undefined;
  const k = opts.supportK ?? 5;
  const dataset = task && k > 0 ? await taskSupportSet(task, k, 1) : undefined;
  const result = await generate({ ...opts, architecture: specForTask(opts.architecture, task), prior: g.prior, tokenizer: g.tokenizer, vqvae: g.vq, dataset });
  if (!opts.evaluate || !task) return { ...result, task };
  const accuracies: number[] = [];
  for (const net of result.networks) {
    accuracies.push((await evaluateNetwork(net, { dataset: getDataset(task.dataset), task, split: 'test' })).accuracy);
  }
  return { ...result, task, accuracies };
}
