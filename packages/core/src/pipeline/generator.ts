import * as fs from 'node:fs';
import * as path from 'node:path';
import { getDataset } from '../sdk/dataset';
import { loadVqvae, saveVqvae } from '../vqvae/io';
import type { Vqvae } from '../vqvae/model';
import type { Tokenizer } from '../tokenizer';
import { loadPrior, savePrior } from '../prior/checkpoint';
import type { Prior } from '../prior/prior';
import { Canonicalizer } from '../canon/canonicalizer';
import { readJson, sha256, writeJsonAtomic } from '../io/atomic';
import { samplerOptions, type SamplerOptions } from '../sampler';
import { checkCompatible, generate, type ArchitectureRef, type GenerateOptions, type GenerateResult } from '../generate';
import { evaluateNetwork } from '../zoo/evaluate';
import { makeTask, taskFromId, type Task } from '../zoo/task';
import { taskSupportSet } from './zoo-networks';
import { classOrder, permuteOutputs, reorderTask } from '../class-order';
import { assignWeights } from '../sdk/weights';
import { isEmptyInstruction } from '../encoders/instruction';

/** A trained IGPG generator: the prior with the codec (canonicalizer, tokenizer, VQ-VAE) it was trained on. */
export interface Generator {
  prior: Prior;
  vq: Vqvae;
  tokenizer: Tokenizer;
  /** Alignment reference of the codec (absent for a codec trained on unaligned weights). */
  canon?: Canonicalizer;
  /** sha256 of the bundle's config.json, which pins every component's digest ('' for an unsaved generator). */
  hash: string;
  /** The bundle's default sampling options (generateForTask uses them unless given others). */
  sampler: SamplerOptions;
  /** Support samples per class the prior was trained with (prior/stage.json; 0: no dataset condition), when known. */
  supportK?: number;
  dispose(): void;
}

/**
 * A generator bundle is one folder (as diffusers' from_pretrained reads one):
 *   config.json   format, version, component folders and the sha256 of each component's index file
 *   vqvae/        the codec: canon.json + canon.safetensors (alignment reference), vqvae.json (tokenizer inside) + vqvae.safetensors
 *   prior/        checkpoint.json + weights
 */
const GENERATOR_FORMAT = 'igpg-generator';
const GENERATOR_VERSION = 1;

interface GeneratorFile {
  format: typeof GENERATOR_FORMAT;
  version: number;
  components: { codec: string; prior: string };
  digests: Record<string, string>;
  /** Default sampling options for this generator (what generate uses unless told otherwise). */
  sampler: SamplerOptions;
}

/** The index file of each component, relative to the bundle (the keys of config.json's digests). */
const COMPONENT_FILES = (codec: string, prior: string) => [`${codec}/vqvae.json`, `${codec}/canon.json`, `${prior}/checkpoint.json`];

/**
 * Write a bundle's config.json over components already in place (`<dir>/vqvae`, `<dir>/prior`, as the training
 * stages write them). Returns the bundle hash.
 * @example writeGeneratorConfig('runs/default');
 */
export function writeGeneratorConfig(dir: string, options: { sampler?: SamplerOptions } = {}): string {
  const sampler = samplerOptions(options.sampler as SamplerOptions | undefined); // validated, defaults filled
  const components = { codec: 'vqvae', prior: 'prior' };
  const digests: Record<string, string> = {};
  for (const key of COMPONENT_FILES(components.codec, components.prior)) {
    const file = path.join(dir, key);
    if (!fs.existsSync(file)) throw new Error(`${dir}: not a complete generator bundle, ${file} is missing (train the ${key.startsWith(components.prior) ? 'prior' : 'VQ-VAE'} stage first)`);
    digests[key] = sha256(fs.readFileSync(file));
  }
  const config: GeneratorFile = { format: GENERATOR_FORMAT, version: GENERATOR_VERSION, components, digests, sampler };
  writeJsonAtomic(path.join(dir, 'config.json'), config);
  return sha256(fs.readFileSync(path.join(dir, 'config.json')));
}

/**
 * Save a generator as one bundle folder (components, then config.json last).
 * @example await saveGenerator('models/my-generator', g);
 */
export async function saveGenerator(dir: string, g: Generator): Promise<string> {
  // (components first; config.json, which pins their digests, last)
  saveVqvae(path.join(dir, 'vqvae'), g.vq, g.tokenizer);
  if (!g.canon) throw new Error('saveGenerator: the generator has no canonicalizer; bundles always carry one (train the codec with trainTokenizerStage)');
  g.canon.save(path.join(dir, 'vqvae'));
  await savePrior(path.join(dir, 'prior'), g.prior);
  return writeGeneratorConfig(dir, { sampler: g.sampler });
}

/**
 * Load a generator bundle (see GENERATOR_FORMAT): every component's digest is checked against config.json, and the
 * prior against the codec it was trained on.
 * @example const g = await loadGenerator('runs/default'); ... g.dispose();
 */
export async function loadGenerator(dir: string): Promise<Generator> {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: not a generator bundle (no config.json); train one with \`igpg demo\` or the tokenizer and prior stages`);
  const config = readJson<GeneratorFile>(configFile);
  if (config.format !== GENERATOR_FORMAT) throw new Error(`${configFile}: not a generator bundle (format "${config.format}")`);
  if (config.version !== GENERATOR_VERSION) throw new Error(`${configFile}: generator bundle version ${config.version}, this code reads version ${GENERATOR_VERSION}`);
  for (const [key, digest] of Object.entries(config.digests)) {
    const file = path.join(dir, key);
    if (!fs.existsSync(file)) throw new Error(`${dir}: bundle component ${file} is missing`);
    if (sha256(fs.readFileSync(file)) !== digest) throw new Error(`${file}: does not match the bundle's config.json (a component was retrained or edited; rerun writeGeneratorConfig or retrain the bundle)`);
  }
  const codecDir = path.join(dir, config.components.codec);
  const { vq, tokenizer } = loadVqvae(codecDir);
  let prior: Prior;
  let canon: Canonicalizer;
  try {
    canon = Canonicalizer.load(codecDir);
    prior = await loadPrior(path.join(dir, config.components.prior));
    checkCompatible(prior, tokenizer, vq);
  } catch (e) {
    vq.dispose();
    throw e;
  }
  const stageFile = path.join(dir, config.components.prior, 'stage.json');
  const supportK = fs.existsSync(stageFile) ? readJson<{ supportK?: number }>(stageFile).supportK : undefined;
  return { prior, vq, tokenizer, canon, hash: sha256(fs.readFileSync(configFile)), sampler: samplerOptions(config.sampler), supportK, dispose: () => { prior.dispose(); vq.dispose(); } };
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

export interface GenerateForTaskOptions extends Omit<GenerateOptions, 'prior' | 'tokenizer' | 'vqvae' | 'canon' | 'dataset'> {
  /** Dataset name or task id: fills the spec's inputShape/classes and gives the dataset condition. */
  task?: string;
  /** Support samples per class for the dataset condition (default: what the prior was trained with, else 5; 0 = none). */
  supportK?: number;
  /** Also measure each generated network's test accuracy on the task. */
  evaluate?: boolean;
  /**
   * Output order of the task's classes (names or slugs). Default: the order the instruction names them in, when it
   * names exactly the task's classes ("sneaker vs sandal"), else the dataset's order (class-order.ts).
   */
  classes?: string[];
}

/**
 * Generate networks from an instruction with a loaded generator, optionally for a task (dataset condition,
 * spec defaults, test accuracy). With a task, output j of each network is class `outputClasses[j]` (and
 * `task.classes` is in that order): the order the instruction or `classes` gives, else the dataset's. `sampler` is
 * the options the networks were drawn with: the bundle's, with the given ones over them.
 * @example const r = await generateForTask(g, { instruction: 'classify digits 0-4', architecture: { name: 'cnn-s', spec: {} }, task: 'mnist:0+1+2+3+4', n: 4, evaluate: true });
 */
export async function generateForTask(g: Generator, opts: GenerateForTaskOptions): Promise<GenerateResult & { task?: Task; outputClasses?: string[]; accuracies?: number[]; sampler: SamplerOptions }> {
  const task = opts.task ? resolveTask(opts.task) : undefined;
  if (g.supportK === 0 && isEmptyInstruction(opts.instruction)) {
    throw new Error('this generator\'s prior was trained without a dataset condition (supportK 0), so support images alone say nothing to it: give an instruction, or retrain the prior with "supportK": 5');
  }
  const k = opts.supportK ?? g.supportK ?? 5;
  const dataset = task && k > 0 ? await taskSupportSet(task, k, 1) : undefined;
  const sampler = { ...g.sampler, ...Object.fromEntries(Object.entries(opts.sampler ?? {}).filter(([, v]) => v !== undefined)) };
  const generated = await generate({ ...opts, sampler, architecture: specForTask(opts.architecture, task), prior: g.prior, tokenizer: g.tokenizer, vqvae: g.vq, canon: g.canon, dataset });
  if (!task) return { ...generated, task, sampler };
  const { result, task: ordered } = inClassOrder(generated, task, classOrder(task, opts.instruction, opts.classes));
  if (!opts.evaluate) return { ...result, task: ordered, outputClasses: ordered.classes, sampler };
  const accuracies: number[] = [];
  for (const net of result.networks) {
    accuracies.push((await evaluateNetwork(net, { dataset: getDataset(task.dataset), task: ordered, split: 'test' })).accuracy);
  }
  return { ...result, task: ordered, outputClasses: ordered.classes, accuracies, sampler };
}

/** Permute generated networks' outputs into `order` (indices into task.classes); the task comes back reordered. */
function inClassOrder(result: GenerateResult, task: Task, order: number[]): { result: GenerateResult; task: Task } {
  if (order.every((v, i) => v === i)) return { result, task };
  const weights = result.weights.map((w) => permuteOutputs(result.architecture.infos, w, order));
  result.networks.forEach((net, i) => assignWeights(net, weights[i]));
  return { result: { ...result, weights }, task: reorderTask(task, order) };
}
