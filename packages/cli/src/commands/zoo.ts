import * as os from 'node:os';
import type { Command } from 'commander';
import { buildZoo, readManifest } from '@igpg/core';
import { parseIntArg, readJsonArg } from '../options';
import { action, BUILTIN_PLUGINS, emit, globals } from '../runtime';
import { summarizeZoo, formatZooSummary } from '../summaries';

/** `igpg zoo build|show`: train many networks across tasks x architectures x seeds. */
export function registerZoo(program: Command): void {
  const zoo = program.command('zoo').description('build and look at model zoos (the networks IGPG learns from)');
  zoo
    .command('build')
    .description('train the networks of a zoo config; rerunning resumes where it stopped')
    .requiredOption('--config <file>', 'zoo config JSON (e.g. zoo/default.json)')
    .requiredOption('--out <dir>', 'output folder for weights and manifest')
    .option('--workers <n>', 'parallel worker processes', parseIntArg('--workers', 1, 64), os.cpus().length)
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { config: string; out: string; workers: number; json?: boolean }, cmd: Command) => {
      const config = readJsonArg('--config', opts.config);
      const g = globals(cmd);
      const result = await buildZoo(config, { out: opts.out, plugins: BUILTIN_PLUGINS, workers: opts.workers, backend: g.backend });
      const summary = summarizeZoo(result.manifest.entries);
      emit(opts.json, { ...summary, trained: result.trained, skipped: result.skipped, seconds: result.seconds }, () =>
        `${formatZooSummary(summary)}\ntrained ${result.trained}, skipped ${result.skipped} (already built), ${result.seconds.toFixed(0)} s`);
    }));
  zoo
    .command('show')
    .description('summarise a built zoo: accuracy spread per task and architecture')
    .argument('<dir>', 'zoo folder (holding manifest.json)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (dir: string, opts: { json?: boolean }) => {
      const summary = summarizeZoo(readManifest(dir).entries);
      emit(opts.json, summary, () => formatZooSummary(summary));
    }));
}
