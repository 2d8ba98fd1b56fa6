import Table from 'cli-table3';
import { escapeControl, median, type ZooEntry } from '@igpg/core';

interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

interface ZooGroupSummary extends Spread {
  task: string;
  architecture: string;
  epoch: number;
  heldOutTask: boolean;
}

/** Median, min and max of a list of numbers. */
export function spread(values: number[]): Spread {
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values) };
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

// no borders: header, a dashed rule, rows; the first column left-aligned, the rest right-aligned (numbers)
const PLAIN = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' };

/** A fixed-width text table (cli-table3, which measures wide and combining characters correctly). */
export function table(header: string[], rows: (string | number)[][]): string {
  const t = new Table({ head: header, chars: PLAIN, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 }, colAligns: header.map((_, i) => (i === 0 ? 'left' : 'right')) });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => escapeControl(String(r[i] ?? '')).length)));
  t.push(widths.map((w) => '-'.repeat(w)), ...rows.map((r) => r.map((c) => escapeControl(String(c))))); // cells may hold instructions or file text
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

export const pct = (x: number) => (100 * x).toFixed(1);

export function formatZooSummary(s: { networks: number; groups: ZooGroupSummary[] }): string {
  return `${s.networks} checkpoints\n` + table(
    ['task', 'architecture', 'epoch', 'n', 'median %', 'min %', 'max %'],
    s.groups.map((g) => [g.task + (g.heldOutTask ? ' (held out)' : ''), g.architecture, g.epoch, g.n, pct(g.median), pct(g.min), pct(g.max)]),
  );
}
