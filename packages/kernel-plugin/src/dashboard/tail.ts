import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricsRow } from '../types';

/** Facts about a run that its rows do not repeat, read from the `config.json` beside its metrics file. */
export interface RunMeta {
  /** Codes a prior chooses from: its uniform guess costs ln(codebookSize) nats per code. */
  codebookSize?: number;
}

/**
 * What changed in one run since the last poll: new rows, or a reset (the file was truncated or replaced), which
 * also carries the run's meta.
 */
export type RunChange = { run: string; kind: 'append' | 'reset'; rows: MetricsRow[]; meta?: RunMeta };

interface Tail { file: string; offset: number; partial: string; ino: number; rows: MetricsRow[]; meta: RunMeta }

/**
 * The run's meta from `<folder of file>/config.json`: a training run's config (prior or VQ-VAE, `{ prior: {...} }`
 * or `{ model: {...} }`) or a bundle stage's. {} when there is none or it cannot be read.
 */
export function runMeta(file: string): RunMeta {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'config.json'), 'utf8'));
    const size = [c?.prior?.codebookSize, c?.model?.codebookSize, c?.codebookSize].find((v) => Number.isInteger(v) && v > 1);
    return size ? { codebookSize: size } : {};
  } catch {
    return {};
  }
}

/**
 * Find metrics files: a `.jsonl` path is one run; a directory holds runs as `<dir>/<run>/*.jsonl` or `<dir>/*.jsonl`,
 * three folders deep at most (runs/<bundle>/<stage>/run/metrics.jsonl: a stage's training folder).
 * Run names are file paths relative to their root without the extension, e.g. "vqvae/metrics".
 */
export function discoverRuns(roots: string[]): Map<string, string> {
  const runs = new Map<string, string>();
  for (const root of roots) {
    if (!fs.existsSync(root)) continue; // a runs directory may not exist yet when training has not started
    if (fs.statSync(root).isFile()) { runs.set(path.basename(root).replace(/\.jsonl$/, ''), root); continue; }
    const walk = (dir: string, depth: number) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isFile() && e.name.endsWith('.jsonl')) runs.set(path.relative(root, p).replace(/\.jsonl$/, '').split(path.sep).join('/'), p);
        else if (e.isDirectory() && depth < 3 && !e.name.startsWith('.') && e.name !== 'node_modules') walk(p, depth + 1);
      }
    };
    walk(root, 0);
  }
  return runs;
}

/**
 * Zoo folders among the roots (a root, or a folder directly inside one, holding `config.json` and `entries/`):
 * a zoo build is a run too, named `zoo/<folder>`, whose rows are its finished checkpoints.
 */
function discoverZoos(roots: string[]): Map<string, string> {
  const zoos = new Map<string, string>();
  const isZoo = (d: string) => fs.existsSync(path.join(d, 'entries')) && fs.existsSync(path.join(d, 'config.json'));
  for (const root of roots) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) continue;
    if (isZoo(root)) zoos.set(`zoo/${path.basename(path.resolve(root))}`, root);
    else for (const e of fs.readdirSync(root, { withFileTypes: true })) if (e.isDirectory() && isZoo(path.join(root, e.name))) zoos.set(`zoo/${e.name}`, path.join(root, e.name));
  }
  return zoos;
}

/**
 * Checkpoints a zoo config asks for (tasks x seeds x epochs per architecture, which may narrow its tasks and seeds),
 * or undefined when unreadable. Derived task sets (`taskSets`) are not expanded here: undefined.
 */
function zooTotal(dir: string): number | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    if (c.taskSets || !Array.isArray(c.architectures)) return undefined;
    const n = (v: unknown) => (typeof v === 'number' ? v : Array.isArray(v) ? v.length : NaN);
    const total = c.architectures.reduce((t: number, a: { tasks?: unknown; seeds?: unknown }) => t + n(a.tasks ?? c.tasks) * n(a.seeds ?? c.seeds) * n(c.epochs), 0);
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Incremental reader of metrics JSONL files. `poll()` reads only the bytes appended since the last call; a torn last
 * line (a writer mid-append) is kept until its newline arrives; a file that shrank or was replaced is re-read whole.
 * Unparseable complete lines are skipped and reported through `onBadLine`.
 * The watching is chokidar's (server.ts); this is only the read. Tail libraries were tried for it (issue 14) and do
 * less: `tail` 2.2.6 moves its cursor to the new end of a truncated file and reports nothing, so a restarted run would
 * lose its first rows and never reset the page, and it needs a watcher per file; `@logdna/tail-file` 4 reports
 * truncation but finds appends by polling each file every second, the 1 s delay the watcher removed.
 */
export function createRunTailer(roots: string[], opts: { maxRowsPerRun?: number; onBadLine?: (file: string, line: string) => void } = {}) {
  const maxRows = opts.maxRowsPerRun ?? 20_000;
  const tails = new Map<string, Tail>();
  const zooSeen = new Map<string, { files: Set<string>; rows: MetricsRow[] }>();

  /** New finished checkpoints of a zoo as rows { step, done, total, accuracy, epoch, time }. */
  function zooChanges(run: string, dir: string): RunChange | null {
    const z = zooSeen.get(run) ?? { files: new Set<string>(), rows: [] };
    const fresh = !zooSeen.has(run);
    zooSeen.set(run, z);
    const entries = path.join(dir, 'entries');
    const files = (fs.readdirSync(entries, { recursive: true }) as string[]).filter((f) => f.endsWith('.json') && !z.files.has(f));
    const total = zooTotal(dir);
    const added: MetricsRow[] = [];
    for (const f of files.sort()) {
      let e: { test?: { accuracy?: number }; epoch?: number };
      try { e = JSON.parse(fs.readFileSync(path.join(entries, f), 'utf8')); } catch { continue; } // mid-write: next time
      z.files.add(f);
      added.push({ step: z.files.size, done: z.files.size, ...(total ? { total } : {}), accuracy: e.test?.accuracy, epoch: e.epoch, time: fs.statSync(path.join(entries, f)).mtimeMs });
    }
    z.rows.push(...added);
    if (fresh) return { run, kind: 'reset', rows: z.rows.slice() };
    return added.length ? { run, kind: 'append', rows: added } : null;
  }

  function readNew(t: Tail): MetricsRow[] {
    const st = fs.statSync(t.file);
    if (st.size === t.offset) return [];
    const fd = fs.openSync(t.file, 'r');
    try {
      const buf = Buffer.alloc(st.size - t.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, t.offset);
      t.offset += n;
      const text = t.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      t.partial = lines.pop() ?? ''; // no newline yet: maybe torn, wait for the rest
      const rows: MetricsRow[] = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const v = JSON.parse(line);
          if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(v);
          else opts.onBadLine?.(t.file, line);
        } catch {
          opts.onBadLine?.(t.file, line);
        }
      }
      return rows;
    } finally {
      fs.closeSync(fd);
    }
  }

  function keep(t: Tail, rows: MetricsRow[]) {
    t.rows.push(...rows);
    if (t.rows.length > maxRows) t.rows.splice(0, t.rows.length - maxRows);
  }

  return {
    /** Read what changed since the last poll, across all runs (new runs arrive as resets). */
    poll(): RunChange[] {
      const changes: RunChange[] = [];
      for (const [run, file] of discoverRuns(roots)) {
        let st: fs.Stats;
        try { st = fs.statSync(file); } catch { continue; } // removed between discovery and stat
        let t = tails.get(run);
        if (!t || st.ino !== t.ino || st.size < t.offset) {
          t = { file, offset: 0, partial: '', ino: st.ino, rows: [], meta: runMeta(file) };
          tails.set(run, t);
          keep(t, readNew(t));
          changes.push({ run, kind: 'reset', rows: t.rows.slice(), meta: t.meta });
          continue;
        }
        const rows = readNew(t);
        if (rows.length) { keep(t, rows); changes.push({ run, kind: 'append', rows }); }
      }
      for (const [run, dir] of discoverZoos(roots)) {
        const c = zooChanges(run, dir);
        if (c) changes.push(c);
      }
      return changes;
    },
    /** The meta of each run read so far. */
    meta(): Record<string, RunMeta> {
      return Object.fromEntries([...tails].map(([run, t]) => [run, t.meta]));
    },
    /** All rows read so far, per run. */
    snapshot(): Record<string, MetricsRow[]> {
      return { ...Object.fromEntries([...tails].map(([run, t]) => [run, t.rows])), ...Object.fromEntries([...zooSeen].map(([run, z]) => [run, z.rows])) };
    },
  };
}
