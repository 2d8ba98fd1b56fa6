import * as path from 'node:path';
import type { Command } from 'commander';
import { runEvaluation } from '@igpg/core';
import { renderPng } from '@igpg/kernel-plugin';
import { parseIntArg } from '../options';
import { queueUrlArg } from '../queue-url';
import { action, emit, startBackend } from '../runtime';
import { checkEvalFlags } from '../checks/commands';

/** `igpg eval`: the evaluation report (seen / held-out seeds / held-out tasks, memorization audit, ...). */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a generator against its zoo: writes <out>/results.json, <out>/REPORT.md and plots')
    .option('--zoo <dir>', 'zoo folder', 'zoo/default')
    .option('--generator <dir>', 'generator bundle folder (config.json, vqvae/, prior/)', 'runs/default')
    .option('--out <dir>', 'report folder', 'report')
    .option('--seed <n>', 'seed', parseIntArg('--seed', 0), 0)
    .option('--samples <n>', 'networks generated per task', parseIntArg('--samples', 1, 256))
    .option('--tasks <ids>', 'comma-separated task ids (default: every task of the zoo)')
    .option('--quick', 'a small, fast report (few tasks, 2 samples, 1 fine-tuning epoch)')
    .option('--no-plots', 'skip PNG plots (they need Chromium)')
    .option('--queue <url>', 'evaluate the rows (and their fine-tuning) on `igpg worker` processes through this Redis (redis://[:password@]host:port/db); same report as a local run')
    .option('--json', 'print the targets as JSON')
    .action(action(async (opts: { zoo: string; generator: string; out: string; seed: number; samples?: number; tasks?: string; quick?: boolean; plots: boolean; queue?: string; json?: boolean }, cmd: Command) => {
      const url = opts.queue === undefined ? undefined : queueUrlArg(opts.queue, true);
      checkEvalFlags(opts);
      await startBackend(cmd);
      const t0 = Date.now();
      const res = await runEvaluation({
        zoo: opts.zoo, generator: opts.generator, out: opts.out, seed: opts.seed, samples: opts.samples, quick: opts.quick,
        tasks: opts.tasks?.split(',').map((t) => t.trim()).filter(Boolean), command: ['igpg', ...process.argv.slice(2)].join(' '),
        queue: url ? { url } : undefined,
        renderPng: opts.plots ? (figs, dir) => renderPng(figs, dir) : undefined,
      });
      const seconds = (Date.now() - t0) / 1000;
      emit(opts.json, { targets: res.targets, memorization: res.memorizationVerdict, seconds, out: opts.out }, () => [
        ...res.targets.map((t) => `${t.met === null ? 'not checked' : t.met ? 'MET    ' : 'NOT MET'}  ${t.name}: ${t.value}`),
        res.memorizationVerdict,
        `wrote ${path.join(opts.out, 'REPORT.md')} and ${path.join(opts.out, 'results.json')} in ${seconds.toFixed(0)} s`,
      ].join('\n'));
    }));
}
