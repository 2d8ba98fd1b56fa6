import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Append-only metrics log, one JSON object per line. Each line is written with a single appendFileSync,
 * so a kill leaves at most a torn last line, which `readJsonl` skips.
 * @example const log = metricsLog('runs/a/metrics.jsonl'); log.append({ step: 1, loss: 0.3 });
 */
export function metricsLog(file: string) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return {
    file,
    append(row: Record<string, unknown>) {
      fs.appendFileSync(file, JSON.stringify({ time: Date.now(), ...row }) + '\n');
    },
    /** Drop rows past `step` (used on resume, so the log matches the checkpoint). */
    truncateAfter(step: number) {
      if (!fs.existsSync(file)) return;
      const kept = readJsonl(file).filter((r) => typeof r.step !== 'number' || r.step <= step);
      fs.writeFileSync(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    },
  };
}

/** Read a JSONL file, skipping a torn (unparseable) last line. */
export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const rows: T[] = [];
  lines.forEach((l, i) => {
    try {
      rows.push(JSON.parse(l) as T);
    } catch (e) {
      if (i !== lines.length - 1) throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  });
  return rows;
}
