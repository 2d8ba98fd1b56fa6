import * as path from 'node:path';
import type { Command } from 'commander';
import {
  classOrder, finetuneTask, generateForTask, getArchitecture, loadGenerator, networkWeights, reorderTask, saveNetworkSafetensors,
  writeJsonAtomic, type FinetunePoint, type Network,
} from '@igpg/core';
import { figures } from '@igpg/kernel-plugin';
import { UsageError } from '../errors';
import { parseFloatArg, parseIntArg } from '../options';
import { action, emit, note, startBackend } from '../runtime';
import { checkArchFlag, checkDatasetFlag } from '../checks/architecture';
import { readInstructionFlags } from '../checks/instruction';
import { prepareOutput } from '../checks/output';
import { checkFileFlag, checkFolderFlag } from '../checks/paths';
import { GENERATOR_HINT } from '../checks/commands';
import { parseArchArg } from './generate';
import { pct, table } from '../summaries';

interface FinetuneFlags {
  weights?: string; instruction?: string; instructionFile?: string; arch?: string; generator: string; dataset?: string; classes?: string;
  epochs: number; lr?: number; batchSize?: number; optimizer?: string; trainLimit?: number; testLimit?: number; seed: number;
  compareRandom?: boolean; out?: string; json?: boolean;
}

/** Every flag checked before the backend starts: one start (a weights file, or an instruction + architecture), a task. */
function checkFlags(o: FinetuneFlags) {
  if (o.dataset === undefined) throw new UsageError('--dataset is required: the task to fine-tune on, e.g. --dataset fashion-mnist:sandal+sneaker.');
  const task = checkDatasetFlag(o.dataset)!;
  const hasInstruction = o.instruction !== undefined || o.instructionFile !== undefined;
  if (o.weights !== undefined && (hasInstruction || o.arch !== undefined)) throw new UsageError('--weights and --instruction/--arch both given: start from a weights file or from a generated network, not both.');
  if (o.weights === undefined && !hasInstruction) throw new UsageError('no start: give --weights <file.safetensors> (from `igpg generate --out`), or --instruction "<task>" with --arch to generate one.');
  if (o.weights !== undefined) {
    checkFileFlag('--weights', o.weights);
    if (!o.weights.endsWith('.safetensors')) throw new UsageError(`--weights ${o.weights}: not a .safetensors file; write one with \`igpg generate --out DIR --format safetensors\`.`);
  }
  let instruction: string | undefined;
  let arch;
  if (hasInstruction) {
    instruction = readInstructionFlags(o);
    if (o.arch === undefined) throw new UsageError('--instruction needs --arch (the architecture to generate), e.g. --arch cnn-s.');
    arch = parseArchArg(o.arch);
    checkArchFlag(arch, task);
    checkFolderFlag('--generator', o.generator, 'config.json', GENERATOR_HINT);
  }
  if (o.optimizer !== undefined && o.optimizer !== 'adam' && o.optimizer !== 'sgd') throw new UsageError(`--optimizer ${o.optimizer}: choose adam or sgd.`);
  const classes = o.classes?.split(',').map((c) => c.trim());
  if (classes?.some((c) => !c)) throw new UsageError(`--classes ${o.classes}: give class names separated by commas, e.g. --classes Sneaker,Sandal.`);
  let order: number[] | undefined;
  if (classes) {
    try { order = classOrder(task, undefined, classes); } catch (e) { throw new UsageError(`--classes ${o.classes}: ${(e as Error).message}.`); }
  }
  if (o.out !== undefined) note(prepareOutput('--out', o.out, { resumable: false }));
  return { task, instruction, arch, order };
}

export function registerFinetune(program: Command): void {
  program
    .command('finetune')
    .description('fine-tune a generated network (or a weights file) on a task for N epochs, with per-epoch curves')
    .option('--weights <file>', 'start from this .safetensors file (written by `igpg generate --out`)')
    .option('--instruction <text>', 'or generate the start: what the network should do')
    .option('--instruction-file <file>', 'read the instruction from a UTF-8 text file')
    .option('--arch <spec>', 'architecture to generate (JSON file, inline JSON or a name), with --instruction')
    .option('--generator <dir>', 'generator bundle folder', 'runs/default')
    .option('--dataset <task>', 'task to train on (e.g. fashion-mnist:sandal+sneaker)')
    .option('--classes <list>', "output order of the task's classes in the start network (default: the instruction's order, else the dataset's)")
    .option('--epochs <n>', 'epochs to train', parseIntArg('--epochs', 0, 1000), 3)
    .option('--optimizer <name>', 'adam or sgd (default adam)')
    .option('--lr <rate>', 'learning rate (default 3e-3, the zoo config default)', parseFloatArg('--lr', Number.MIN_VALUE, 10))
    .option('--batch-size <n>', 'batch size (default 64)', parseIntArg('--batch-size', 1, 65536))
    .option('--train-limit <n>', 'train on a seeded subset of this many samples', parseIntArg('--train-limit', 1))
    .option('--test-limit <n>', 'evaluate on at most this many test samples', parseIntArg('--test-limit', 1))
    .option('--seed <n>', 'seed of the batch order and data subset (and of generation)', parseIntArg('--seed', 0), 1)
    .option('--compare-random', 'also fine-tune a randomly initialised network of the same architecture, for comparison')
    .option('--out <dir>', 'write finetuned.safetensors, curves.json and curves.plotly.json here')
    .option('--json', 'print the result as JSON')
    .action(action(async (o: FinetuneFlags, cmd: Command) => {
      const { task: canonical, instruction, arch, order: given } = checkFlags(o);
      await startBackend(cmd);
      let start: Network | string;
      let task = canonical;
      if (instruction !== undefined) {
        const g = await loadGenerator(o.generator);
        try {
          const r = await generateForTask(g, { instruction, architecture: arch!, task: o.dataset, classes: o.classes?.split(',').map((c) => c.trim()), n: 1, seed: o.seed });
          start = r.networks[0];
          task = r.task ?? canonical;
        } finally {
          g.dispose();
        }
      } else {
        start = o.weights!;
        if (given) task = reorderTask(canonical, given);
      }
      const settings = {
        task, epochs: o.epochs, seed: o.seed, trainLimit: o.trainLimit, testLimit: o.testLimit,
        optimizer: { ...(o.optimizer && { name: o.optimizer as 'adam' | 'sgd' }), ...(o.lr !== undefined && { learningRate: o.lr }), ...(o.batchSize !== undefined && { batchSize: o.batchSize }) },
      };
      const progress = (label: string) => (p: FinetunePoint) => {
        if (!o.json || process.stderr.isTTY) note(`${label} epoch ${p.epoch}/${o.epochs}: test ${pct(p.testAccuracy)}% (loss ${p.testLoss.toFixed(3)})${p.trainLoss !== undefined ? `, train loss ${p.trainLoss.toFixed(3)}` : ''}, ${p.seconds.toFixed(1)} s training`);
      };
      const curves: Record<string, FinetunePoint[]> = {};
      const tuned = await finetuneTask({ ...settings, start, onEpoch: progress(instruction !== undefined ? 'generated' : 'start') });
      curves[instruction !== undefined ? 'generated' : 'start'] = tuned.curve;
      const w = networkWeights(tuned.network);
      tuned.network.dispose();
      if (o.compareRandom) {
        const random = getArchitecture(w.arch).build(w.spec, o.seed + 1); // a fresh init, seeded (tfjs: never seed 0)
        const r = await finetuneTask({ ...settings, start: random, onEpoch: progress('random') });
        curves.random = r.curve;
        random.dispose();
      }
      const result = { task: task.id, classes: task.classes, start: o.weights ?? 'generated', architecture: { name: w.arch, spec: w.spec }, optimizer: tuned.optimizer, epochs: o.epochs, seed: o.seed, curves };
      const files: string[] = [];
      if (o.out) {
        const weightsFile = path.join(o.out, 'finetuned.safetensors');
        saveNetworkSafetensors(weightsFile, w, { metadata: { generator: 'igpg', finetuned: `${task.id}, ${o.epochs} epochs` } });
        writeJsonAtomic(path.join(o.out, 'curves.json'), result);
        writeJsonAtomic(path.join(o.out, 'curves.plotly.json'), figures.trainingCurves(curves as unknown as Record<string, Record<string, unknown>[]>, { x: 'epoch', keys: ['testAccuracy', 'testLoss', 'trainLoss'], title: `Fine-tuning on ${task.id}` }));
        files.push(weightsFile, path.join(o.out, 'curves.json'), path.join(o.out, 'curves.plotly.json'));
      }
      emit(o.json, { ...result, files }, () => [
        `fine-tuned ${w.arch} on ${task.id} for ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} (outputs: ${task.classes.map((c, i) => `${i} = ${c}`).join(', ')})`,
        table(['epoch', ...Object.keys(curves).map((k) => `${k} test %`)], curves[Object.keys(curves)[0]].map((p, i) => [p.epoch, ...Object.values(curves).map((c) => pct(c[i].testAccuracy))])),
        ...(files.length ? [`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`] : ['(no --out: nothing written)']),
      ].join('\n'));
    }));
}
