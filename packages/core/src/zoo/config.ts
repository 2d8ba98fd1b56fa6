import { createHash } from 'node:crypto';
import { getArchitecture, validateSpec, countParams } from '../sdk/architecture';
import { getDataset } from '../sdk/dataset';
import { validate } from '../util/config';
import { checkParamBudget, DEFAULT_MAX_PARAMS } from '../sdk/budget';
import { makeTask, taskFromId, type Task } from './task';
import { expandTaskSet, heldOutByRule } from './held-out';

// A zoo config says which networks to train: tasks x architectures x seeds, checkpointed at `epochs`.
// It is validated twice before any training: by the JSON Schema below (types, unknown keys), then
// against the registries (datasets, class names, architecture specs filled from each task).

/** A task in a config: a task id ("fashion-mnist:sandal+sneaker", "mnist:all") or a dataset + class names. */
export type ZooTaskRef = string | { dataset: string; classes?: string[] | 'all'; heldOut?: boolean };

export interface ZooArchitectureRef {
  name: string;
  /** Spec without inputShape/classes (filled from each task); schema defaults fill the rest. */
  spec?: Record<string, unknown>;
  /** Short name used in entry ids and paths; default `<name>-<8 hex of the spec hash>`. */
  label?: string;
  /** Train this architecture only on these task ids (default: every task). */
  tasks?: string[];
  /** Seeds for this architecture (count or list; default: the config's). Slow architectures get fewer. */
  seeds?: number | number[];
}

/**
 * Tasks derived from one dataset by rule: every pair, seeded samples of k-class subsets, the all-class task.
 * Sampling draws distinct subsets with createRng(`taskset/<dataset>/<seed>/<size>`), so the list is fixed by the config.
 */
export interface ZooTaskSet {
  dataset: string;
  all?: boolean;
  pairs?: boolean;
  /** Seeded samples: `count` distinct subsets of `size` classes each. */
  sample?: { size: number; count: number }[];
  seed?: number;
}

/**
 * Held-out tasks chosen by a seeded rule (zoo/held-out.ts): every task of `straddle` (classes from both groups of a
 * dataset: a combination never trained together), then `pairs` pairs and `triples` triples drawn from the rest.
 */
export interface ZooHeldOutRule {
  seed: number;
  pairs: number;
  triples: number;
  straddle?: { dataset: string; groups: [string[], string[]] }[];
}

export interface ZooConfig {
  name?: string;
  tasks: ZooTaskRef[];
  /** Derived task lists, added after `tasks` (duplicates of listed tasks are dropped). */
  taskSets?: ZooTaskSet[];
  /** A seeded held-out rule; `heldOut.tasks` must then list exactly what it picks (the config shows them). */
  heldOutRule?: ZooHeldOutRule;
  architectures: ZooArchitectureRef[];
  /** A count n (seeds 0..n-1) or an explicit list. */
  seeds: number | number[];
  /** Epochs after which a checkpoint is saved, strictly increasing; training runs to the last. */
  epochs: number[];
  optimizer: { name: 'adam' | 'sgd'; learningRate: number; batchSize: number };
  /** Train on a seeded random subset of this many samples per task (default: the whole split). */
  trainLimit?: number;
  /** Evaluate on at most this many test samples per task (default: the whole split). */
  testLimit?: number;
  /** Mixed into every network's seeds: a different baseSeed gives a different zoo. */
  baseSeed: number;
  /** Held-out marks (for testing generation on unseen tasks / seeds). */
  heldOut: { tasks: string[]; seeds: number[] };
  /** Largest network (parameters) the config may ask for, checked before training (default DEFAULT_MAX_PARAMS). */
  maxParams?: number;
}

const taskRef = {
  oneOf: [
    { type: 'string', minLength: 3 },
    {
      type: 'object', additionalProperties: false, required: ['dataset'],
      properties: {
        dataset: { type: 'string', minLength: 1 },
        classes: { oneOf: [{ const: 'all' }, { type: 'array', minItems: 2, uniqueItems: true, items: { type: 'string' } }] },
        heldOut: { type: 'boolean' },
      },
    },
  ],
};

/** JSON Schema of a zoo config (unknown keys rejected, defaults filled in). */
export const zooConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['architectures', 'seeds', 'epochs'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    tasks: { type: 'array', items: taskRef, default: [] },
    taskSets: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['dataset'],
        properties: {
          dataset: { type: 'string', minLength: 1 }, all: { type: 'boolean', default: false }, pairs: { type: 'boolean', default: false },
          sample: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['size', 'count'], properties: { size: { type: 'integer', minimum: 2 }, count: { type: 'integer', minimum: 1 } } } },
          seed: { type: 'integer', minimum: 0, default: 0 },
        },
      },
    },
    heldOutRule: {
      type: 'object', additionalProperties: false, required: ['seed', 'pairs', 'triples'],
      properties: {
        seed: { type: 'integer', minimum: 0 }, pairs: { type: 'integer', minimum: 0 }, triples: { type: 'integer', minimum: 0 },
        straddle: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['dataset', 'groups'],
            properties: { dataset: { type: 'string' }, groups: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'array', minItems: 1, items: { type: 'string' } } } },
          },
        },
      },
    },
    architectures: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: {
          name: { type: 'string' }, spec: { type: 'object' }, label: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
          tasks: { type: 'array', minItems: 1, items: { type: 'string' } },
          seeds: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } }] },
        },
      },
    },
    seeds: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } }] },
    epochs: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1 } },
    optimizer: {
      type: 'object', additionalProperties: false, default: {},
      properties: {
        name: { enum: ['adam', 'sgd'], default: 'adam' },
        learningRate: { type: 'number', exclusiveMinimum: 0, default: 3e-3 }, // Adam 3e-3: small CNNs converge in a few epochs
        batchSize: { type: 'integer', minimum: 1, default: 64 },
      },
    },
    trainLimit: { type: 'integer', minimum: 1 },
    testLimit: { type: 'integer', minimum: 1 },
    baseSeed: { type: 'integer', minimum: 0, default: 0 },
    maxParams: { type: 'integer', minimum: 1 },
    heldOut: {
      type: 'object', additionalProperties: false, default: {},
      properties: {
        tasks: { type: 'array', items: { type: 'string' }, default: [] },
        seeds: { type: 'array', items: { type: 'integer', minimum: 0 }, default: [] },
      },
    },
  },
} as const;

/** One network to train: a task, an architecture with its full spec, a seed; checkpoints at `epochs`. */
export interface ZooJob {
  /** `<task id>/<arch label>/s<seed>`; entry ids append `/e<epoch>`. */
  key: string;
  task: Task;
  arch: { name: string; label: string; spec: Record<string, unknown>; params: number };
  seed: number;
  epochs: number[];
  optimizer: ZooConfig['optimizer'];
  trainLimit?: number;
  testLimit?: number;
  /** Seeds derived from (baseSeed, task, arch, seed) only, so a job trains the same in any worker. */
  initSeed: number;
  /** Seed of the train and test subsets (and the batch order). */
  dataSeed: number;
  /** Seed of the task's support set (the dataset condition), the same for every network of a task. */
  supportSeed?: number;
  heldOut: { task: boolean; seed: boolean };
}

/** A stable short hash of a JSON value (keys sorted). */
export function stableHash(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

function seedOf(label: string): number {
  return 1 + (parseInt(stableHash(label).slice(0, 8), 16) % 2_147_483_646); // never 0: tfjs reads 0 as "unseeded"
}

function resolveTask(ref: ZooTaskRef): Task {
  if (typeof ref === 'string') return taskFromId(ref, getDataset);
  const ds = getDataset(ref.dataset);
  if (ref.classes !== undefined && ref.classes !== 'all' && ref.classes.length > ds.classes.length) {
    throw new Error(`task on "${ds.name}": ${ref.classes.length} classes asked for, but the dataset has only ${ds.classes.length}`);
  }
  return makeTask(ds, ref.classes ?? 'all', { heldOut: ref.heldOut });
}

/**
 * Validate a zoo config and expand it into jobs. Every problem (schema, unknown dataset, class,
 * architecture, bad spec, epochs not increasing, held-out marks that match nothing) is reported here,
 * before any training. Needs the datasets and architectures registered.
 * @example const { config, jobs } = resolveZooConfig(JSON.parse(fs.readFileSync('zoo.json', 'utf8')));
 */
export function resolveZooConfig(raw: unknown, options: { maxParams?: number } = {}): { config: ZooConfig; jobs: ZooJob[] } {
  const config = validate<ZooConfig>(zooConfigSchema, raw, 'zoo config');
  const problems: string[] = [];
  const tryDo = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  config.epochs.forEach((e, i) => {
    if (i > 0 && e <= config.epochs[i - 1]) problems.push(`/epochs: must be strictly increasing, got [${config.epochs.join(', ')}]`);
  });
  const seedList = (s: number | number[]) => (typeof s === 'number' ? Array.from({ length: s }, (_, i) => i) : s);
  const seeds = seedList(config.seeds);
  const tasks: Task[] = [];
  config.tasks.forEach((ref, i) => {
    const t = tryDo(`/tasks/${i}`, () => resolveTask(ref));
    if (!t) return;
    if (tasks.some((o) => o.id === t.id)) problems.push(`/tasks/${i}: task "${t.id}" is listed twice`);
    else tasks.push(t);
  });
  (config.taskSets ?? []).forEach((set, i) => {
    for (const t of tryDo(`/taskSets/${i}`, () => expandTaskSet(set)) ?? []) if (!tasks.some((o) => o.id === t.id)) tasks.push(t);
  });
  if (!tasks.length && !problems.length) problems.push('/tasks: no tasks; list some in "tasks" or derive them with "taskSets"');
  if (config.heldOutRule) {
    const picked = tryDo('/heldOutRule', () => heldOutByRule(tasks, config.heldOutRule!));
    if (picked) {
      const listed = new Set(config.heldOut.tasks);
      const missing = picked.filter((id) => !listed.has(id)), extra = config.heldOut.tasks.filter((id) => !picked.includes(id));
      if (missing.length || extra.length) {
        problems.push(`/heldOut/tasks: must list exactly the ${picked.length} tasks /heldOutRule picks${missing.length ? `; missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` : ''}${extra.length ? `; not picked: ${extra.slice(0, 5).join(', ')}` : ''} (print the list with \`igpg zoo tasks --config FILE\`)`);
      }
    }
  }
  for (const id of config.heldOut.tasks) {
    const t = tasks.find((o) => o.id === id);
    if (t) t.heldOut = true;
    else problems.push(`/heldOut/tasks: "${id}" is not one of the config's tasks (${tasks.map((o) => o.id).join(', ')})`);
  }
  const allSeeds = new Set([...seeds, ...config.architectures.flatMap((a) => (a.seeds === undefined ? [] : seedList(a.seeds)))]);
  for (const s of config.heldOut.seeds) if (!allSeeds.has(s)) problems.push(`/heldOut/seeds: seed ${s} is not one of the config's seeds`);
  config.architectures.forEach((a, i) => a.tasks?.forEach((id) => {
    if (!tasks.some((t) => t.id === id)) problems.push(`/architectures/${i}/tasks: "${id}" is not one of the config's tasks`);
  }));
  const archs = config.architectures.map((ref, i) => {
    const label = ref.label ?? `${ref.name}-${stableHash(ref.spec ?? {}).slice(0, 8)}`;
    if (config.architectures.slice(0, i).some((o) => (o.label ?? `${o.name}-${stableHash(o.spec ?? {}).slice(0, 8)}`) === label)) {
      problems.push(`/architectures/${i}: label "${label}" is used twice; give each a distinct "label"`);
    }
    return { ref, label, plugin: tryDo(`/architectures/${i}`, () => getArchitecture(ref.name)) };
  });
  const jobs: ZooJob[] = [];
  for (const task of tasks) {
    const ds = getDataset(task.dataset);
    archs.forEach(({ ref, label, plugin }, i) => {
      if (!plugin || (ref.tasks && !ref.tasks.includes(task.id))) return;
      const where = `/architectures/${i} (${ref.name}) on task "${task.id}"`;
      const spec = tryDo(where, () => validateSpec(plugin, { ...ref.spec, inputShape: ds.inputShape, classes: task.classes.length }));
      const params = spec && tryDo(where, () => countParams(plugin.describe(spec)));
      if (!spec || params === undefined) return;
      const limit = options.maxParams ?? config.maxParams ?? DEFAULT_MAX_PARAMS;
      if (!(params <= limit)) { // before any worker allocates it
        tryDo(where, () => checkParamBudget('network', params, { limit, raise: '"maxParams" in the zoo config (or --max-params)' }));
        return;
      }
      for (const seed of ref.seeds === undefined ? seeds : seedList(ref.seeds)) {
        const key = `${task.id}/${label}/s${seed}`;
        jobs.push({
          key, task, arch: { name: ref.name, label, spec: spec as unknown as Record<string, unknown>, params }, seed,
          epochs: config.epochs, optimizer: config.optimizer, trainLimit: config.trainLimit, testLimit: config.testLimit,
          initSeed: seedOf(`${config.baseSeed}/${key}/init`), dataSeed: seedOf(`${config.baseSeed}/${key}/data`),
          supportSeed: seedOf(`${config.baseSeed}/${task.id}/support`),
          heldOut: { task: task.heldOut, seed: config.heldOut.seeds.includes(seed) },
        });
      }
    });
  }
  if (problems.length) throw new Error(`invalid zoo config:\n  - ${problems.join('\n  - ')}`);
  return { config, jobs };
}
