import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Command } from 'commander';
import { queueStatus, unpackZoo } from '@igpg/core';
import { startDashboard, type Dashboard } from '@igpg/kernel-plugin';
import { UsageError } from '../errors';
import { parseIntArg } from '../options';
import { queueUrlArg } from '../queue-url';
import { action } from '../runtime';

interface DashboardFlags { runs: string[]; port: number; host: string; codebook?: string; queue?: string }

/**
 * Check that host:port can be listened on, as a usage error naming the flag. (startDashboard's own listen error
 * also reaches its WebSocketServer, which has no error handler, and would crash the process instead.)
 */
function checkListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new UsageError(`--port ${port}: already in use on ${host}; pick another port (--port 0 = any free one).`)
      : new UsageError(`--host ${host} --port ${port}: cannot listen there (${e.code ?? e.message}).`)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Resolve when the process gets SIGINT or SIGTERM (the handlers are removed again). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `igpg dashboard --runs <dir>`: serve the live training dashboard until Ctrl-C. */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve a live dashboard of training runs (metrics JSONL under --runs) until Ctrl-C')
    .requiredOption('--runs <dir...>', 'runs folder(s), metrics .jsonl file(s) or zoo folder(s) to watch')
    .option('--port <n>', 'port to listen on (0 = any free port)', parseIntArg('--port', 0, 65535), 8765)
    .option('--host <host>', 'interface to listen on (127.0.0.1 = this machine only)', '127.0.0.1')
    .option('--codebook <file>', 'codebook view data (JSON) to serve at /codebook')
    .option('--queue <url>', 'also show a panel of this job queue (redis://…): jobs by state, worker heartbeats')
    .action(action(async (flags: DashboardFlags) => {
      for (const r of flags.runs) {
        if (!fs.existsSync(r)) unpackZoo(r); // a zoo shipped packed (zoo/default.tar.gz) is unpacked, as openZoo does
        if (!fs.existsSync(r)) throw new UsageError(`--runs ${r}: no such file or folder.`);
      }
      if (flags.codebook !== undefined && !fs.existsSync(flags.codebook)) throw new UsageError(`--codebook ${flags.codebook}: file not found.`);
      const queueUrl = flags.queue === undefined ? undefined : queueUrlArg(flags.queue, true);
      await checkListen(flags.host, flags.port);
      const signal = untilSignal(); // listen before the server starts, so an early Ctrl-C is not lost
      let dashboard: Dashboard;
      try {
        dashboard = await startDashboard({ runs: flags.runs, port: flags.port, host: flags.host, codebook: flags.codebook, queue: queueUrl ? () => queueStatus(queueUrl) : undefined });
      } catch (e) {
        // startDashboard says "cannot listen on host:port (EADDRINUSE)": a usage problem with --port/--host
        const m = /cannot listen on .*\((\w+)\)/.exec((e as Error).message);
        if (m?.[1] === 'EADDRINUSE') throw new UsageError(`--port ${flags.port}: already in use on ${flags.host}; pick another port (--port 0 = any free one).`);
        if (m) throw new UsageError(`--host ${flags.host} --port ${flags.port}: cannot listen there (${m[1]}).`);
        throw e;
      }
      process.stdout.write(`igpg dashboard: ${dashboard.url}  (watching ${flags.runs.join(', ')}; Ctrl-C to stop)\n`);
      const sig = await signal;
      process.stderr.write(`igpg dashboard: ${sig}, closing\n`);
      await dashboard.close();
    }));
}
