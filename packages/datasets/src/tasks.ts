import { makeTask, registerTaskPhrasing, type Task, type TaskDatasetInfo } from '@igpg/core';

export type { Task } from '@igpg/core';

// Wording for instructions ("Tell sneakers from sandals"), per built-in dataset.
const FASHION_PLURAL: Record<string, string> = {
  'T-shirt/top': 't-shirts/tops', Trouser: 'trousers', Pullover: 'pullovers', Dress: 'dresses', Coat: 'coats',
  Sandal: 'sandals', Shirt: 'shirts', Sneaker: 'sneakers', Bag: 'bags', 'Ankle boot': 'ankle boots',
};

/** Register the instruction wording of the built-in datasets (idempotent). */
export function registerBuiltinPhrasings(): void {
  registerTaskPhrasing('mnist', {
    subject: 'handwritten digits', samples: 'digit images', item: (c) => c, plural: (c) => `${c}s`,
    keywords: ['digits', 'handwritten digits', 'handwritten numbers', 'numbers'],
  });
  registerTaskPhrasing('fashion-mnist', {
    subject: 'Fashion-MNIST clothing images', samples: 'photos',
    keywords: ['fashion', 'clothing', 'clothes', 'garments', 'apparel'],
    groups: [ // the CURATED_GROUPS below, by what people call them
      { name: 'footwear', aliases: ['shoe'], classes: ['Sandal', 'Sneaker', 'Ankle boot'] },
      { name: 'upper-body garment', aliases: ['upper body clothing', 'upper-body clothes'], classes: ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'] },
    ],
    item: (c) => c.toLowerCase(), plural: (c) => FASHION_PLURAL[c] ?? `${c.toLowerCase()}s`,
  });
  registerTaskPhrasing('iris', { subject: 'iris flowers', samples: 'flower measurements', item: (c) => `Iris ${c}`, plural: (c) => `Iris ${c} flowers` });
  for (const kind of ['spirals', 'blobs']) {
    for (let k = 2; k <= 26; k++) {
      registerTaskPhrasing(`${kind}-${k}`, { subject: `2-D ${kind} points`, samples: 'points', item: (c) => c, plural: (c) => `${c} points` });
    }
  }
}

/** Hand-picked meaningful class groups per dataset (class names), derived as tasks by default. */
const CURATED_GROUPS: Record<string, string[][]> = {
  'fashion-mnist': [
    ['Sandal', 'Sneaker', 'Ankle boot'], // footwear
    ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'], // upper-body garments, the hard confusions
    ['Trouser', 'Dress', 'Bag'],
  ],
  mnist: [['3', '5', '8'], ['1', '7'], ['4', '9']], // classic confusions
};

/** What to derive from a dataset. */
export interface DeriveTasksOptions {
  /** The full task (all classes). Default true. */
  full?: boolean;
  /** Every pair of classes (45 for 10 classes). Default true. */
  pairs?: boolean;
  /** First half / second half of the classes (e.g. digits 0-4, 5-9). Default true. */
  halves?: boolean;
  /** Include CURATED_GROUPS for this dataset. Default true. */
  curated?: boolean;
  /** Extra class subsets (names, slugs or indices). */
  groups?: (string | number)[][];
  /** Task ids to mark as held out; an id that is not derived is an error. */
  heldOut?: string[];
}

/**
 * Derive class-subset tasks from a dataset, each with a stable id and instruction paraphrases.
 * Duplicates are dropped; order: full, halves, curated, pairs, extra groups.
 * @example deriveTasks(fashionMnistDataset(), { pairs: false, heldOut: ['fashion-mnist:sandal+sneaker+ankle-boot'] })
 */
export function deriveTasks(dataset: TaskDatasetInfo, options: DeriveTasksOptions = {}): Task[] {
  registerBuiltinPhrasings();
  const o = { full: true, pairs: true, halves: true, curated: true, groups: [], heldOut: [], ...options };
  const n = dataset.classes.length;
  const subsets: (string | number)[][] = [];
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  if (o.full) subsets.push(range(0, n));
  if (o.halves && n >= 4) subsets.push(range(0, n >> 1), range(n >> 1, n));
  if (o.curated) subsets.push(...(CURATED_GROUPS[dataset.name] ?? []));
  if (o.pairs) for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) subsets.push([a, b]);
  subsets.push(...o.groups);
  const byId = new Map<string, Task>();
  for (const s of subsets) {
    const t = makeTask(dataset, s);
    if (!byId.has(t.id)) byId.set(t.id, t);
  }
  for (const id of o.heldOut) {
    const t = byId.get(id);
    if (!t) throw new Error(`deriveTasks(${dataset.name}): held-out task "${id}" is not among the derived tasks (e.g. ${[...byId.keys()].slice(0, 3).join(', ')})`);
    t.heldOut = true;
  }
  return [...byId.values()];
}
