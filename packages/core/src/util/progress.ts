import { SingleBar, Presets } from 'cli-progress';

/** Progress of a long job: a bar with ETA on a terminal, a line every `everyMs` otherwise (CI logs, notebooks). */
export interface Progress {
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Force the mode; default: a bar when stderr is a TTY. */
  tty?: boolean;
  /** Interval of plain lines when not on a TTY. */
  everyMs?: number;
  /** Print nothing at all. */
  silent?: boolean;
  stream?: NodeJS.WriteStream;
}

const fmtInfo = (info?: Record<string, string | number>) =>
  info ? Object.entries(info).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toPrecision(4) : v}`).join(' ') : '';

/**
 * @example const p = createProgress({ label: 'zoo', total: 96 }); p.update(3, { acc: 0.91 }); p.stop();
 */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.silent) return { update() {}, stop() {} };
  if (opts.tty ?? stream.isTTY) {
    const bar = new SingleBar(
      { format: `${opts.label} [{bar}] {value}/{total} {percentage}% ETA {eta_formatted} {info}`, stream, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(opts.total, 0, { info: '' });
    return { update: (done, info) => bar.update(done, { info: fmtInfo(info) }), stop: () => bar.stop() };
  }
  const start = Date.now();
  const every = opts.everyMs ?? 10_000;
  let last = 0, lastDone = 0;
  const line = (done: number, info?: Record<string, string | number>) => {
    const s = (Date.now() - start) / 1000;
    const eta = done > 0 ? ((opts.total - done) * s) / done : NaN;
    stream.write(`${opts.label}: ${done}/${opts.total} (${opts.total > 0 ? ((100 * done) / opts.total).toFixed(0) : 100}%) ${s.toFixed(0)}s elapsed` +
      `${Number.isFinite(eta) ? `, ETA ${eta.toFixed(0)}s` : ''} ${fmtInfo(info)}\n`);
  };
  return {
    update(done, info) {
      lastDone = done;
      if (Date.now() - last >= every || done >= opts.total) {
        last = Date.now();
        line(done, info);
      }
    },
    stop() {
      if (lastDone < opts.total) line(lastDone);
    },
  };
}
