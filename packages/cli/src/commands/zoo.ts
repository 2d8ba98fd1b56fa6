import * as os from 'node:os';
import type { Command } from 'commander';
import { buildZoo, buildZooOnQueue, expandTaskSet, getDataset, makeTask, heldOutByRule, packZoo, readManifest, resolveTask, resolveZooConfig, unpackZoo, validate, zooConfigSchema, zooPackFile, type ZooConfig } from '@igpg/core';
import { UsageError } from '../errors';
import { MAX_PARAMS_FLAG, parseIntArg, readJsonArg } from '../options';
import { queueUrlArg } from '../queue-url';
import { action, BUILTIN_PLUGINS, emit, globals, note } from '../runtime';
import { prepareOutput } from '../checks/output';
import { checkOutFlag } from '../checks/paths';
import { checkZooFlag } from '../checks/commands';
import { summarizeZoo, formatZooSummary } from '../summaries';

/** `igpg zoo build|tasks|show|pack|unpack`: train many networks across tasks x architectures x seeds. */
export function registerZoo(program: Command): void {
  const zoo = program.command('zoo').description('build and look at model zoos (the networks IGPG learns from)');
  zoo
    .command('build')
    .description('train the networks of a zoo config; rerunning resumes where it stopped (every skipped checkpoint is verified first)')
    .requiredOption('--config <file>', 'zoo config JSON (e.g. zoo/default.json)')
    .requiredOption('--out <dir>', 'output folder for weights and manifest')
    .option('--workers <n>', 'parallel worker processes', parseIntArg('--workers', 1, 64), os.cpus().length)
    .option('--no-resume', 'start over: move an existing <out> aside to <out>.old-<time> (never deleted) instead of resuming')
    .option(...MAX_PARAMS_FLAG.map((s, i) => (i ? `${s}; overrides the config's "maxParams"` : s)) as [string, string], parseIntArg('--max-params', 1))
    .option('--queue <url>', 'train on `igpg worker` processes through this Redis instead (redis://[:password@]host:port/db; env IGPG_QUEUE is not read here)')
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { config: string; out: string; workers: number; resume: boolean; maxParams?: number; queue?: string; json?: boolean }, cmd: Command) => {
      const config = readJsonArg('--config', opts.config);
      checkOutFlag('--out', opts.out);
      try {
        resolveZooConfig(config, { maxParams: opts.maxParams }); // every config problem, before anything is written
      } catch (e) {
        throw new UsageError(`--config ${opts.config}: ${(e as Error).message}`);
      }
      note(prepareOutput('--out', opts.out, { resume: opts.resume }));
      const g = globals(cmd);
      const url = opts.queue === undefined ? undefined : queueUrlArg(opts.queue, true);
      const result = url
        ? await buildZooOnQueue(config, { out: opts.out, plugins: BUILTIN_PLUGINS, url, maxParams: opts.maxParams })
        : await buildZoo(config, { out: opts.out, plugins: BUILTIN_PLUGINS, workers: opts.workers, backend: g.backend, maxParams: opts.maxParams });
      const summary = summarizeZoo(result.manifest.entries);
      const rebuilt = result.repaired.length
        ? `, rebuilt ${result.repaired.length} corrupt or missing (${result.repaired.slice(0, 3).map((r) => r.id).join(', ')}${result.repaired.length > 3 ? ', ...' : ''})` : '';
      for (const r of result.repaired) note(`rebuilt ${r.id}: ${r.problem}`);
      emit(opts.json, { ...summary, trained: result.trained, skipped: result.skipped, repaired: result.repaired, seconds: result.seconds }, () =>
        `${formatZooSummary(summary)}\ntrained ${result.trained}, skipped ${result.skipped} (already built, verified)${rebuilt}, ${result.seconds.toFixed(0)} s`);
    }));
  zoo
    .command('tasks')
    .description("list a zoo config's tasks (its task sets expanded) and the tasks its held-out rule picks")
    .requiredOption('--config <file>', 'zoo config JSON (e.g. configs/zoo-tasks.json)')
    .option('--json', 'print the lists as JSON')
    .action(action(async (opts: { config: string; json?: boolean }) => {
      const raw = readJsonArg('--config', opts.config);
      let tasks: string[], heldOut: string[];
      try {
        // the config's own lists, without the check that heldOut.tasks matches the rule (this prints what it must be)
        const config = validate<ZooConfig>(zooConfigSchema, raw, 'zoo config');
        const all = [...config.tasks.map((t) => (typeof t === 'string' ? resolveTask(t) : makeTask(getDataset(t.dataset), t.classes ?? 'all'))), ...(config.taskSets ?? []).flatMap(expandTaskSet)];
        const unique = [...new Map(all.map((t) => [t.id, t])).values()];
        tasks = unique.map((t) => t.id);
        heldOut = config.heldOutRule ? heldOutByRule(unique, config.heldOutRule) : config.heldOut.tasks;
      } catch (e) {
        throw new UsageError(`--config ${opts.config}: ${(e as Error).message.split('\n').join('; ')}`);
      }
      emit(opts.json, { tasks, heldOut }, () => `${tasks.length} tasks, ${heldOut.length} held out:\n${JSON.stringify(heldOut)}`);
    }));
  zoo
    .command('show')
    .description('summarise a built zoo: accuracy spread per task and architecture')
    .argument('<dir>', 'zoo folder (holding manifest.json)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (dir: string, opts: { json?: boolean }) => {
      checkZooFlag('zoo', dir);
      const summary = summarizeZoo(readManifest(dir).entries);
      emit(opts.json, summary, () => formatZooSummary(summary));
    }));
  zoo
    .command('pack')
    .description('pack a built zoo folder into one reproducible <dir>.tar.gz (+ <dir>.tar.gz.sha256), the form the repository ships it in')
    .argument('<dir>', 'zoo folder (holding manifest.json)')
    .option('--json', 'print the result as JSON')
    .action(action(async (dir: string, opts: { json?: boolean }) => {
      checkZooFlag('zoo', dir);
      const p = packZoo(dir);
      emit(opts.json, p, () => `packed ${dir} (${p.files} files) into ${p.file}: ${(p.bytes / 1e6).toFixed(1)} MB, sha256 ${p.sha256}`);
    }));
  zoo
    .command('unpack')
    .description('unpack <dir>.tar.gz into <dir> now (readers do it on first use; a stale copy is replaced)')
    .argument('<dir>', 'zoo folder to unpack (beside its <dir>.tar.gz)')
    .option('--json', 'print the result as JSON')
    .action(action(async (dir: string, opts: { json?: boolean }) => {
      let outcome: string;
      try {
        outcome = unpackZoo(dir);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (outcome === 'no pack') throw new UsageError(`zoo ${dir}: no ${zooPackFile(dir)} to unpack`);
      emit(opts.json, { dir, outcome }, () => `${dir}: ${outcome === 'current' ? 'already unpacked from' : `${outcome} from`} ${zooPackFile(dir)}`);
    }));
}
