import { escapeControl, type ZooEntry } from '@igpg/core';

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

export interface ZooGroupSummary extends Spread {
  task: string;
  architecture: string;
  epoch: number;
  heldOutTask: boolean;
}

/** Median, min and max of a list of numbers. */
export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

/** Test accuracy spread per (task, architecture, final epoch). */
export function summarizeZoo(entries: ZooEntry[]): { networks: number; groups: ZooGroupSummary[] } {
  const groups = new Map<string, ZooEntry[]>();
  for (const e of entries) {
    const key = `${e.task.id}\u0000${e.architecture.label}\u0000${e.epoch}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const rows = [...groups.values()].map((es) => ({
    task: es[0].task.id,
    architecture: es[0].architecture.label,
    epoch: es[0].epoch,
    heldOutTask: es[0].heldOut.task,
    ...spread(es.map((e) => e.test.accuracy)),
  }));
  rows.sort((a, b) => a.task.localeCompare(b.task) || a.architecture.localeCompare(b.architecture) || a.epoch - b.epoch);
  return { networks: entries.length, groups: rows };
}

/** A fixed-width text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => escapeControl(String(c))))]; // cells may hold instructions or file text
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const pct = (x: number) => (100 * x).toFixed(1);

export function formatZooSummary(s: { networks: number; groups: ZooGroupSummary[] }): string {
  return `${s.networks} checkpoints\n` + table(
    ['task', 'architecture', 'epoch', 'n', 'median %', 'min %', 'max %'],
    s.groups.map((g) => [g.task + (g.heldOutTask ? ' (held out)' : ''), g.architecture, g.epoch, g.n, pct(g.median), pct(g.min), pct(g.max)]),
  );
}
