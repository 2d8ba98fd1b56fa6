import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  buildZoo, evaluateNetwork, generateForTask, getArchitecture, getDataset, loadGenerator, readManifest, resolveTask,
  trainPriorStage, trainTokenizerStage, unpackZoo, writeGeneratorConfig, type ZooEntry,
} from '@igpg/core';
import { UsageError } from '../errors';
import { parseIntArg, readJsonArg } from '../options';
import { action, BUILTIN_PLUGINS, emit, globals, startBackend } from '../runtime';
import { readStageConfig } from './train';
import { checkDemoFlags } from '../checks/commands';
import { pct, spread, table } from '../summaries';

interface DemoRow {
  task: string;
  kind: 'seen task' | 'held-out task';
  instruction: string;
  architecture: string;
  pretrainedMedian: number | null;
  generatedMean: number;
  generatedBest: number;
  randomInit: number;
}

/** One instruction per task of the zoo's last epoch: seen tasks use a manifest instruction, held-out tasks one never trained on. */
function demoCases(entries: ZooEntry[]): { entry: ZooEntry; instruction: string; kind: DemoRow['kind'] }[] {
  const lastEpoch = Math.max(...entries.map((e) => e.epoch));
  const byTaskArch = new Map<string, ZooEntry>();
  for (const e of entries) if (e.epoch === lastEpoch && !byTaskArch.has(`${e.task.id}|${e.architecture.label}`)) byTaskArch.set(`${e.task.id}|${e.architecture.label}`, e);
  return [...byTaskArch.values()].map((entry) => ({
    entry,
    instruction: entry.task.instructions[entry.heldOut.task ? entry.task.instructions.length - 1 : 0],
    kind: entry.heldOut.task ? 'held-out task' as const : 'seen task' as const,
  }));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('end to end: build or load the default zoo, train or load the VQ-VAE and prior, generate networks from instructions, print accuracies')
    .option('--zoo-config <file>', 'zoo config', 'zoo/default.json')
    .option('--zoo <dir>', 'zoo folder (built if missing, resumed if partial)', 'zoo/default')
    .option('--config <file>', 'pipeline config (tokenizer, vqvae, prior, priorTrain sections)', 'configs/default.json')
    .option('--runs <dir>', 'generator bundle folder (config.json, vqvae/ and prior/ inside; trained if missing)', 'runs/default')
    .option('--n <n>', 'networks generated per instruction', parseIntArg('--n', 1, 64), 4)
    .option('--seed <n>', 'sampling seed', parseIntArg('--seed', 0), 1)
    .option('--json', 'print the table as JSON')
    .action(action(async (opts: { zooConfig: string; zoo: string; config: string; runs: string; n: number; seed: number; json?: boolean }, cmd: Command) => {
      const t0 = Date.now();
      const log = (s: string) => process.stderr.write(`demo: ${s}\n`);
      // read every input before any long work
      if (!fs.existsSync(opts.config)) throw new UsageError(`--config ${opts.config}: file not found.`);
      const cfg = readStageConfig(opts.config);
      const zooConfig = readJsonArg('--zoo-config', opts.zooConfig);
      checkDemoFlags(opts);
      await startBackend(cmd);
      if (unpackZoo(opts.zoo) === 'unpacked') log(`unpacked the zoo ${opts.zoo} from ${opts.zoo}.tar.gz`);
      if (!fs.existsSync(path.join(opts.zoo, 'manifest.json')) || readManifest(opts.zoo).entries.length === 0) {
        log(`building the zoo ${opts.zoo} from ${opts.zooConfig} (resumable)`);
      }
      const built = await buildZoo(zooConfig, { out: opts.zoo, plugins: BUILTIN_PLUGINS, backend: globals(cmd).backend });
      log(`zoo: ${built.manifest.entries.length} checkpoints (${built.trained} trained now, ${built.skipped} found built)`);

      const vqDir = path.join(opts.runs, 'vqvae'), priorDir = path.join(opts.runs, 'prior');
      if (!fs.existsSync(path.join(vqDir, 'vqvae.json'))) {
        log(`aligning the zoo and training the VQ-VAE into ${vqDir}`);
        (await trainTokenizerStage({ zoo: opts.zoo, out: vqDir, tokenizer: cfg.tokenizer, vqvae: cfg.vqvae })).vq.dispose();
      } else log(`VQ-VAE: using ${vqDir}`);
      if (!fs.existsSync(path.join(priorDir, 'checkpoint.json'))) {
        log(`training the prior into ${priorDir}`);
        const r = await trainPriorStage({ zoo: opts.zoo, vqvae: vqDir, out: priorDir, prior: cfg.prior, instructionEncoder: cfg.instructionEncoder, train: cfg.priorTrain, supportK: cfg.supportK, seedsPerTask: cfg.seedsPerTask });
        r.prior.dispose();
        r.vq.dispose();
      } else log(`prior: using ${priorDir}`);
      if (!fs.existsSync(path.join(opts.runs, 'config.json'))) writeGeneratorConfig(opts.runs, { sampler: cfg.sampler });

      const g = await loadGenerator(opts.runs);
      const rows: DemoRow[] = [];
      try {
        const entries = readManifest(opts.zoo).entries;
        for (const c of demoCases(entries)) {
          const task = resolveTask(c.entry.task.id);
          const arch = { name: c.entry.architecture.name, spec: c.entry.architecture.spec };
          log(`generating ${opts.n} × ${c.entry.architecture.label} for "${c.instruction}"`);
          const r = await generateForTask(g, { instruction: c.instruction, architecture: arch, task: task.id, n: opts.n, seed: opts.seed, evaluate: true });
          r.networks.forEach((n) => n.dispose());
          const random = getArchitecture(arch.name).build(arch.spec, opts.seed);
          const randomInit = (await evaluateNetwork(random, { dataset: getDataset(task.dataset), task, split: 'test' })).accuracy;
          random.dispose();
          const zooAccs = entries.filter((e) => e.task.id === task.id && e.architecture.label === c.entry.architecture.label && e.epoch === c.entry.epoch && !e.heldOut.seed).map((e) => e.test.accuracy);
          const accs = r.accuracies!;
          rows.push({
            task: task.id, kind: c.kind, instruction: c.instruction, architecture: c.entry.architecture.label,
            pretrainedMedian: zooAccs.length ? spread(zooAccs).median : null,
            generatedMean: accs.reduce((a, b) => a + b, 0) / accs.length, generatedBest: Math.max(...accs), randomInit,
          });
        }
      } finally {
        g.dispose();
      }
      const seconds = (Date.now() - t0) / 1000;
      emit(opts.json, { rows, seconds }, () => [
        table(['task', 'kind', 'arch', 'pretrained median %', `generated mean % (n=${opts.n})`, 'generated best %', 'random init %', 'instruction'],
          rows.map((r) => [r.task, r.kind, r.architecture, r.pretrainedMedian === null ? '-' : pct(r.pretrainedMedian), pct(r.generatedMean), pct(r.generatedBest), pct(r.randomInit), `"${r.instruction}"`])),
        `demo finished in ${seconds.toFixed(0)} s (no training of the generated networks: weights from the prior, blends of its samples)`,
      ].join('\n'));
    }));
}
