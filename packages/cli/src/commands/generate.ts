import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { classOrder, generateForTask, loadGenerator, resolveTask, saveGenerated, type ArchitectureRef, type WeightLayout } from '@igpg/core';
import { UsageError } from '../errors';
import { MAX_PARAMS_FLAG, parseFloatArg, parseIntArg, readJsonOrInline } from '../options';
import { action, emit, startBackend } from '../runtime';
import { checkGenerateFlags } from '../checks/commands';
import { pct, table } from '../summaries';
import { writeGeneratedCards } from '../cards';

/** `--arch` takes a JSON file or inline JSON `{ "name": "cnn-s", "spec": {...} }`, or a bare architecture name. */
export function parseArchArg(value: string): ArchitectureRef {
  const v = value.trim();
  if (/^[a-z][a-z0-9-]*$/i.test(v) && !fs.existsSync(v)) return { name: v, spec: {} };
  const ref = readJsonOrInline<ArchitectureRef>('--arch', v);
  if (!ref || typeof ref !== 'object' || typeof ref.name !== 'string') {
    throw new UsageError(`--arch ${value}: expected {"name": "<architecture>", "spec": {...}} (e.g. {"name":"cnn-s","spec":{}}).`);
  }
  const unknown = Object.keys(ref).filter((k) => k !== 'name' && k !== 'spec');
  if (unknown.length) throw new UsageError(`--arch ${value}: unknown key "${unknown[0]}" (allowed: name, spec).`);
  return { name: ref.name, spec: ref.spec ?? {} };
}

const FORMATS = ['safetensors', 'tfjs'] as const;

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate ready-to-run network weights from an instruction, or from a task\'s support images alone (--dataset without --instruction)')
    .option('--instruction <text>', 'what the network should do, e.g. "classify handwritten digits 0 to 4" (left out or empty with --dataset: its support images alone are the condition)')
    .option('--instruction-file <file>', 'read the instruction from a UTF-8 text file (at most 10,000 characters)')
    .requiredOption('--arch <spec>', 'architecture: JSON file or inline JSON {"name","spec"}, or a name such as cnn-s')
    .option('--dataset <name|task>', 'dataset name or task id (e.g. fashion-mnist:sandal+sneaker): dataset condition, spec defaults, and test accuracy')
    .option('--classes <list>', 'comma-separated output order of the task\'s classes, e.g. Sneaker,Sandal (default: the order the instruction names them, else the dataset\'s)')
    .option('--n <n>', 'networks to generate', parseIntArg('--n', 1, 1024), 1)
    .option('--seed <n>', 'sampling seed', parseIntArg('--seed', 0), 1)
    .option('--generator <dir>', 'generator bundle folder (config.json, vqvae/, prior/)', 'runs/default')
    .option('--out <dir>', 'write the weights here')
    .option('--zoo <dir>', "zoo whose nearest checkpoint each model card names (skipped when it has none of this layout)", 'zoo/default')
    .option('--format <list>', `comma-separated output formats: ${FORMATS.join(', ')}`, 'safetensors,tfjs')
    .option('--layout <layout>', 'safetensors tensor layout: tfjs (Keras) or torch (PyTorch state_dict)', 'tfjs')
    .option('--temperature <t>', "sampling temperature (0 = greedy; default: the bundle's)", parseFloatArg('--temperature', 0, 100))
    .option('--top-k <k>', 'keep the k most likely codes (0 = off)', parseIntArg('--top-k', 0))
    .option('--top-p <p>', 'nucleus sampling mass (1 = off)', parseFloatArg('--top-p', 0, 1))
    .option('--sampled-levels <n>', "sample only each neuron's first n residual codes, the finer ones greedily (0 = all sampled; default: the bundle's)", parseIntArg('--sampled-levels', 0))
    .option('--candidates <k>', "sample k networks for each one asked for and keep the most likely by the prior (1 = off; default: the bundle's)", parseIntArg('--candidates', 1, 64))
    .option('--blend <p>', "make each network the average of p distinct samples in the canonical space, REPAIRed on the support set of --dataset; without --dataset the most likely sample is kept (1 = off; default: the bundle's)", parseIntArg('--blend', 1, 8))
    .option('--blend-tolerance <t>', "with --blend: how much higher (relative) than its parents' a blend's support-set loss may be before it moves closer to its first parent (default: the bundle's)", parseFloatArg('--blend-tolerance', 0, 100))
    .option('--guidance <scale>', 'classifier-free guidance scale (1 = off)', parseFloatArg('--guidance', 0, 100))
    .option(...MAX_PARAMS_FLAG, parseIntArg('--max-params', 1))
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: {
      instruction?: string; instructionFile?: string; maxParams?: number; arch: string; dataset?: string; classes?: string; n: number; seed: number; generator: string; out?: string; zoo: string;
      format: string; layout: string; temperature?: number; topK?: number; topP?: number; sampledLevels?: number; candidates?: number; blend?: number; blendTolerance?: number; guidance?: number; json?: boolean;
    }, cmd: Command) => {
      const architecture = parseArchArg(opts.arch);
      const { instruction, formats } = checkGenerateFlags({ ...opts, arch: architecture }); // every flag, before any work
      const classes = opts.classes?.split(',').map((c) => c.trim());
      if (classes && (!opts.dataset || classes.some((c) => !c))) throw new UsageError(opts.dataset ? `--classes ${opts.classes}: give class names separated by commas, e.g. --classes Sneaker,Sandal` : '--classes needs --dataset <task id> (the task whose classes it orders)');
      opts.instruction = instruction;
      if (classes) { // a bad --classes fails before any work
        try { classOrder(resolveTask(opts.dataset!), undefined, classes); } catch (e) { throw new UsageError(`--classes ${opts.classes}: ${(e as Error).message}.`); }
      }
      await startBackend(cmd);
      const g = await loadGenerator(opts.generator);
      try {
        const t0 = Date.now();
        const r = await generateForTask(g, {
          instruction: opts.instruction, architecture, task: opts.dataset, classes, n: opts.n, seed: opts.seed, evaluate: Boolean(opts.dataset), guidance: opts.guidance,
          sampler: { temperature: opts.temperature, topK: opts.topK, topP: opts.topP, sampledLevels: opts.sampledLevels, candidates: opts.candidates, blend: opts.blend, blendTolerance: opts.blendTolerance },
        });
        const seconds = (Date.now() - t0) / 1000;
        const files = opts.out ? formats.flatMap((format) => saveGenerated(opts.out!, r, { format: format as 'safetensors' | 'tfjs', layout: opts.layout as WeightLayout, instruction: opts.instruction })) : [];
        const cards = !opts.out ? [] : (writeGeneratedCards(opts.out, { ...r, instruction: opts.instruction, generatorHash: g.hash, canon: g.canon, formats, layout: opts.layout as WeightLayout, support: { perClass: g.supportK ?? 5, seed: 1 }, zoo: opts.zoo, sampling: { seed: opts.seed, ...r.sampler, guidance: opts.guidance } })); // model cards beside the networks (issue #14)
        r.networks.forEach((n) => n.dispose());
        const params = r.weights[0]?.length ?? 0;
        emit(opts.json, { instruction: opts.instruction, architecture: r.architecture.name, spec: r.architecture.spec, params, task: r.task?.id, classes: r.outputClasses, accuracies: r.accuracies, seconds, files, cards },
          () => [
            `generated ${r.weights.length} × ${r.architecture.name} (${params.toLocaleString('en-US')} parameters) in ${seconds.toFixed(1)} s`,
            ...(r.outputClasses ? [`outputs: ${r.outputClasses.map((c, i) => `${i} = ${c}`).join(', ')}`] : []),
            ...(r.accuracies ? [table(['sample', `test accuracy % on ${r.task!.id}`], r.accuracies.map((a, i) => [i, pct(a)]))] : []),
            ...(files.length ? [`wrote ${[...files, ...cards].map((f) => path.relative(process.cwd(), f)).join(', ')}`] : ['(no --out: nothing written)']),
          ].join('\n'));
      } finally {
        g.dispose();
      }
    }));
}
