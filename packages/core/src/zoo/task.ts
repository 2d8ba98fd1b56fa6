// Tasks: a dataset restricted to a class subset, with a stable id and natural-language instructions.
// The id is deterministic from the dataset and the class set: `<dataset>:<slug>+<slug>` with the
// classes in the dataset's order, or `<dataset>:all` for every class. Labels of a task are 0..k-1 in
// that same order. Instructions are templated paraphrases; datasets can register nicer wording.

/** A classification task: which dataset, which classes (in label order), and how a user might ask for it. */
export interface Task {
  id: string;
  dataset: string;
  /** Class names in label order (label i = classes[i]). */
  classes: string[];
  /** Indices of those classes in the dataset (pass as `load({ classes })`). */
  classIndices: number[];
  /** Several phrasings of the same request, e.g. "Tell sneakers from sandals". */
  instructions: string[];
  /** Held out of prior training (used to test generation on unseen tasks). */
  heldOut: boolean;
}

/** The part of a dataset plugin a task needs. */
export interface TaskDatasetInfo {
  name: string;
  classes: string[];
}

/** How to talk about a dataset's samples and classes in instructions. */
export interface TaskPhrasing {
  /** Plural noun phrase for the samples, e.g. "handwritten digits". */
  subject: string;
  /** What a sample is, plural, e.g. "photos", "digit images". */
  samples: string;
  /** One class, singular, e.g. "sneaker". Default: the class name. */
  item?: (name: string) => string;
  /** One class, plural, e.g. "sneakers". Default: item + "s". */
  plural?: (name: string) => string;
  /** More words that name the dataset, for instruction encoders (encoders/lexicon.ts), e.g. "digit", "number". */
  keywords?: string[];
  /** Named groups of classes, e.g. { name: 'footwear', classes: ['Sandal', 'Sneaker', 'Ankle boot'] }. */
  groups?: { name: string; aliases?: string[]; classes: string[] }[];
}

// On globalThis (like the plugin registries) so duplicate module copies (dist vs src, notebooks) share it.
const phrasings: Map<string, TaskPhrasing> = ((globalThis as Record<symbol, unknown>)[Symbol.for('igpg.taskPhrasings')] ??= new Map()) as Map<string, TaskPhrasing>;

/** Register instruction wording for a dataset (idempotent: the last one wins). */
export function registerTaskPhrasing(dataset: string, phrasing: TaskPhrasing): void {
  phrasings.set(dataset, phrasing);
}

/** The registered wording of a dataset, or undefined. */
export function getTaskPhrasing(dataset: string): TaskPhrasing | undefined {
  return phrasings.get(dataset);
}

/** A class name as it appears in task ids: lower case, runs of other characters turned into "-". */
export function classSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Resolve class names or slugs (or indices) of `dataset` into sorted, distinct indices; throws naming the bad class. */
export function resolveClasses(dataset: TaskDatasetInfo, classes: (string | number)[]): number[] {
  const slugs = dataset.classes.map(classSlug);
  const out = classes.map((c) => {
    const i = typeof c === 'number' ? (Number.isInteger(c) && c >= 0 && c < dataset.classes.length ? c : -1)
      : dataset.classes.indexOf(c) >= 0 ? dataset.classes.indexOf(c) : slugs.indexOf(classSlug(c));
    if (i < 0) throw new Error(`task on "${dataset.name}": unknown class ${JSON.stringify(c)} (classes: ${dataset.classes.map((n) => JSON.stringify(n)).join(', ')})`);
    return i;
  });
  if (new Set(out).size !== out.length) throw new Error(`task on "${dataset.name}": class list has duplicates: ${JSON.stringify(classes)}`);
  if (out.length < 2) throw new Error(`task on "${dataset.name}": a task needs at least 2 classes, got ${JSON.stringify(classes)}`);
  return out.sort((a, b) => a - b);
}

/** The stable id of a task: `mnist:all`, `fashion-mnist:sandal+sneaker`. */
function taskId(dataset: TaskDatasetInfo, classIndices: number[]): string {
  const sorted = [...classIndices].sort((a, b) => a - b);
  if (sorted.length === dataset.classes.length) return `${dataset.name}:all`;
  return `${dataset.name}:${sorted.map((i) => classSlug(dataset.classes[i])).join('+')}`;
}

/** Split a task id into its dataset name and class part ('all' or slugs). */
function splitTaskId(id: string): { dataset: string; classes: 'all' | string[] } {
  const at = id.lastIndexOf(':');
  if (at <= 0 || at === id.length - 1) throw new Error(`bad task id "${id}": expected "<dataset>:all" or "<dataset>:<class>+<class>..." (e.g. "fashion-mnist:sandal+sneaker")`);
  const rest = id.slice(at + 1);
  return { dataset: id.slice(0, at), classes: rest === 'all' ? 'all' : rest.split('+') };
}

const andList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Templated paraphrases of "classify these classes of this dataset". */
function instructionTexts(dataset: TaskDatasetInfo, classIndices: number[]): string[] {
  const ph: TaskPhrasing = phrasings.get(dataset.name) ?? { subject: `${dataset.name} samples`, samples: `${dataset.name} samples`, item: (c) => `class "${c}"`, plural: (c) => `class "${c}"` };
  const item = ph.item ?? ((c: string) => c);
  const plural = ph.plural ?? ((c: string) => `${item(c)}s`);
  const names = classIndices.map((i) => dataset.classes[i]);
  const items = names.map(item);
  const plurals = names.map(plural);
  const k = names.length;
  if (k === dataset.classes.length) {
    return [
      `Classify ${ph.subject} into all ${k} classes`,
      `A ${k}-way classifier for ${ph.subject}`,
      `Recognise every class of ${ph.subject}: ${andList(items)}`,
      `Tell apart all ${k} kinds of ${ph.samples} in ${dataset.name}`,
    ];
  }
  return [
    `Classify ${ph.samples} of ${andList(plurals)}`,
    k === 2 ? `Tell ${plurals[0]} from ${plurals[1]}` : `Tell apart ${andList(plurals)}`,
    `A classifier that distinguishes ${items.join(' vs ')} ${ph.samples}`,
    `Recognise ${k} classes of ${ph.subject}: ${andList(items)}`,
  ];
}

/**
 * Make the task for a class subset of a dataset (names, slugs or indices; order does not matter).
 * @example makeTask(fashion, ['Sneaker', 'Sandal']).id === 'fashion-mnist:sandal+sneaker'
 */
export function makeTask(dataset: TaskDatasetInfo, classes: (string | number)[] | 'all', options: { heldOut?: boolean } = {}): Task {
  const idx = classes === 'all' ? dataset.classes.map((_, i) => i) : resolveClasses(dataset, classes);
  return {
    id: taskId(dataset, idx),
    dataset: dataset.name,
    classes: idx.map((i) => dataset.classes[i]),
    classIndices: idx,
    instructions: instructionTexts(dataset, idx),
    heldOut: options.heldOut ?? false,
  };
}

/** Resolve a task id against a dataset lookup (e.g. the dataset registry). */
export function taskFromId(id: string, lookup: (name: string) => TaskDatasetInfo, options: { heldOut?: boolean } = {}): Task {
  const { dataset, classes } = splitTaskId(id);
  const ds = lookup(dataset);
  const task = makeTask(ds, classes, options);
  if (task.id !== id) throw new Error(`task id "${id}" is not canonical; use "${task.id}" (classes in dataset order)`);
  return task;
}
