import { createRng } from '../rng';
import { getDataset } from '../sdk/dataset';
import { classSlug, makeTask, type Task } from './task';
import type { ZooHeldOutRule, ZooTaskSet } from './config';

// Task lists by rule, for a task-rich zoo: a task set expands to every pair, seeded samples of k-class subsets and
// the all-class task of a dataset; a held-out rule picks, by seed, the tasks no training stage may see.

/**
 * The tasks of a task set, in a fixed order: all, pairs (label order), then each sample (draw order).
 * @example expandTaskSet({ dataset: 'mnist', pairs: true, sample: [{ size: 3, count: 20 }] }).length // 45 + 20
 */
export function expandTaskSet(set: ZooTaskSet): Task[] {
  const ds = getDataset(set.dataset);
  const n = ds.classes.length;
  const out: Task[] = [];
  const seen = new Set<string>();
  const add = (idx: number[]) => {
    const t = makeTask(ds, idx);
    if (!seen.has(t.id)) { seen.add(t.id); out.push(t); }
  };
  if (set.all) add(ds.classes.map((_, i) => i));
  if (set.pairs) for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) add([a, b]);
  for (const { size, count } of set.sample ?? []) {
    if (size >= n) throw new Error(`task set "${ds.name}": samples of ${size} classes, but the dataset has ${n} (use "all": true for the whole set)`);
    const total = binomial(n, size);
    if (count > total) throw new Error(`task set "${ds.name}": ${count} subsets of ${size} classes asked for, but only ${total} exist`);
    const rng = createRng(`taskset/${ds.name}/${set.seed ?? 0}/${size}`);
    const drawn = new Set<string>();
    while (drawn.size < count) {
      const idx = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, size).sort((a, b) => a - b);
      const key = idx.join(',');
      if (drawn.has(key)) continue;
      drawn.add(key);
      add(idx);
    }
  }
  return out;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** A class of a dataset by name or slug, as its index; throws naming the class. */
function classIndex(dataset: string, name: string): number {
  const ds = getDataset(dataset);
  const i = ds.classes.indexOf(name) >= 0 ? ds.classes.indexOf(name) : ds.classes.map(classSlug).indexOf(classSlug(name));
  if (i < 0) throw new Error(`unknown class "${name}" of "${dataset}" (classes: ${ds.classes.join(', ')})`);
  return i;
}

/**
 * The task ids a held-out rule picks from `tasks`: first every task of each `straddle` (it has classes from both
 * groups, so the two groups are never trained together), then `pairs` 2-class and `triples` 3-class tasks drawn
 * with the rule's seed from the others. Throws when there are too few to draw from.
 * @example heldOutByRule(tasks, { seed: 7, pairs: 12, triples: 4 })
 */
export function heldOutByRule(tasks: Task[], rule: ZooHeldOutRule): string[] {
  const picked: string[] = [];
  for (const [i, s] of (rule.straddle ?? []).entries()) {
    const [a, b] = s.groups.map((g) => new Set(g.map((c) => classIndex(s.dataset, c))));
    const both = [...a].filter((c) => b.has(c));
    if (both.length) throw new Error(`straddle ${i}: the two groups share class ${getDataset(s.dataset).classes[both[0]]}; make them disjoint`);
    const hits = tasks.filter((t) => t.dataset === s.dataset && t.classIndices.some((c) => a.has(c)) && t.classIndices.some((c) => b.has(c)));
    if (!hits.length) throw new Error(`straddle ${i} (${s.dataset}): no task has classes from both groups`);
    for (const t of hits) if (!picked.includes(t.id)) picked.push(t.id);
  }
  const draw = (k: number, count: number, what: string) => {
    const pool = tasks.filter((t) => t.classIndices.length === k && !picked.includes(t.id)).map((t) => t.id).sort();
    if (pool.length < count) throw new Error(`${count} held-out ${what} asked for, but only ${pool.length} ${what} are left to draw from`);
    picked.push(...createRng(`heldout/${rule.seed}/${k}`).shuffle(pool).slice(0, count));
  };
  draw(2, rule.pairs, 'pairs');
  draw(3, rule.triples, 'triples');
  return picked;
}
