import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeJsonAtomic } from '../io/atomic';
import { createProgress } from '../util/progress';
import { resolveZooConfig, stableHash, type ZooConfig, type ZooJob } from './config';
import { entryFile, entryStem, writeManifest, type ZooManifest } from './manifest';
import { loadPlugins } from './plugins';
import type { FromWorker, ToWorker } from './worker';
import { checkZooFolderConfig, verifyRecordedCheckpoints, type RepairedCheckpoint } from './verify';

export interface BuildZooOptions {
  /** Output folder (created). Rebuilding into it resumes: finished checkpoints are skipped. */
  out: string;
  /** Plugin modules registered in this process and in every worker, e.g. ['@igpg/architectures', '@igpg/datasets']. */
  plugins?: string[];
  /** Worker processes training in parallel (default: the number of CPU cores). */
  workers?: number;
  /** Largest network allowed, in parameters (overrides the config's maxParams; default DEFAULT_MAX_PARAMS). */
  maxParams?: number;
  /** Backend of each worker (default 'wasm', 1 thread per worker). */
  backend?: string;
  /** false: print nothing; default: a bar on a TTY, lines otherwise. */
  progress?: boolean;
  /** Called after each finished job (tests, dashboards). */
  onJobDone?: (key: string, done: number, total: number) => void;
}

export interface BuildZooResult {
  manifest: ZooManifest;
  /** Jobs trained in this run and jobs found finished already. */
  trained: number;
  skipped: number;
  /** Recorded checkpoints that failed verification (missing, corrupt or non-finite weights) and were rebuilt. */
  repaired: RepairedCheckpoint[];
  seconds: number;
}

/** Every checkpoint of `job` is recorded under `out`. */
export const isJobDone = (out: string, job: ZooJob) => job.epochs.every((e) => fs.existsSync(entryFile(out, entryStem(job.key, e))));

function workerScript(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename); // .ts when run from sources (tests), .js from dist
  const file = path.join(__dirname, `worker${ext}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { file, execArgv: ext === '.ts' ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [] };
}

/**
 * Build (or resume) a model zoo: validate the config, then train tasks x architectures x seeds in
 * parallel worker processes, recording each checkpoint atomically and regenerating the manifest.
 * The same config gives the same weights whatever the number of workers.
 * @example await buildZoo(JSON.parse(fs.readFileSync('zoo/default.json', 'utf8')), { out: 'zoo/', plugins: ['@igpg/architectures', '@igpg/datasets'] });
 */
export async function buildZoo(rawConfig: unknown, options: BuildZooOptions): Promise<BuildZooResult> {
  const t0 = Date.now();
  const plugins = options.plugins ?? [];
  const { config, jobs, out, configHash, todo, repaired } = await prepareZoo(rawConfig, options);
  const skipped = jobs.length - todo.length;
  const progress = createProgress({ label: `zoo ${config.name ?? ''}`.trim(), total: jobs.length, silent: options.progress === false });
  progress.update(skipped);
  if (todo.length) await runWorkers(todo, out, plugins, options, (key, done) => {
    writeManifest(out, config.name, configHash);
    progress.update(skipped + done, { last: key });
    options.onJobDone?.(key, skipped + done, jobs.length);
  });
  progress.stop();
  const manifest = writeManifest(out, config.name, configHash);
  return { manifest, trained: todo.length, skipped, repaired, seconds: (Date.now() - t0) / 1000 };
}

/** A zoo ready to build: its resolved config and jobs, and which of them are not finished in `out` yet. */
interface PreparedZoo {
  config: ZooConfig;
  jobs: ZooJob[];
  out: string;
  configHash: string;
  todo: ZooJob[];
  repaired: RepairedCheckpoint[];
}

/**
 * What the local build and the queue build share before training: load the plugins, resolve the config
 * (every config error surfaces here), refuse a folder built from another config, save config.json,
 * verify what is recorded (a corrupt checkpoint is redone) and list the jobs still to do.
 */
export async function prepareZoo(rawConfig: unknown, options: { out: string; plugins?: string[]; maxParams?: number }): Promise<PreparedZoo> {
  await loadPlugins(options.plugins ?? []);
  const { config, jobs } = resolveZooConfig(rawConfig, { maxParams: options.maxParams }); // every config error surfaces here, before training
  const out = path.resolve(options.out);
  const configHash = stableHash(config);
  checkZooFolderConfig(out, configHash);
  writeJsonAtomic(path.join(out, 'config.json'), config);
  const repaired = verifyRecordedCheckpoints(out, jobs); // resume never keeps a corrupt or missing checkpoint
  return { config, jobs, out, configHash, todo: jobs.filter((j) => !isJobDone(out, j)), repaired };
}

/** Hand jobs to `workers` forked processes, one job at a time each; reject on the first worker error. */
function runWorkers(jobs: ZooJob[], out: string, plugins: string[], options: BuildZooOptions, onDone: (key: string, done: number) => void): Promise<void> {
  const n = Math.max(1, Math.min(options.workers ?? os.cpus().length, jobs.length));
  const { file, execArgv } = workerScript();
  const queue = [...jobs];
  const children: ChildProcess[] = [];
  let done = 0;
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const stopAll = () => children.forEach((c) => c.connected && c.send({ type: 'exit' } satisfies ToWorker));
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      children.forEach((c) => c.kill());
      reject(err);
    };
    const next = (child: ChildProcess) => {
      const job = queue.shift();
      if (job) child.send({ type: 'job', job } satisfies ToWorker);
      else if (done === jobs.length) {
        stopAll();
        resolve();
      }
    };
    for (let w = 0; w < n; w++) {
      const child = fork(file, [], { execArgv, env: { ...process.env, IGPG_ZOO_WORKER: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') next(child);
        else if (m.type === 'done') {
          done++;
          onDone(m.key, done);
          next(child);
        } else if (m.type === 'error') fail(new Error(`zoo worker ${w}${m.key ? ` (job ${m.key})` : ''} failed: ${m.message}`));
      });
      child.on('exit', (code, signal) => {
        if (!failed && done < jobs.length && (code !== 0 || signal)) fail(new Error(`zoo worker ${w} exited (code ${code}, signal ${signal}) with jobs left`));
      });
      child.send({ type: 'init', plugins, backend: options.backend ?? 'wasm', out } satisfies ToWorker);
    }
  });
}
