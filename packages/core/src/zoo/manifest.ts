import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeJsonAtomic } from '../io/atomic';
import { validate } from '../util/config';
import type { ZooJob } from './config';
import { unpackZoo } from './pack';
import { verifyWeightFile } from './weight-check';

// The zoo on disk:
//   <out>/config.json                 the config it was built from
//   <out>/weights/<job path>-e<N>.safetensors
//   <out>/entries/<job path>-e<N>.json  one record per finished checkpoint, written atomically AFTER its weights
//   <out>/manifest.json               all entries, regenerated atomically from entries/
// A kill at any moment leaves whole files only: at worst a weight file without its record, which is redone.

const metrics = {
  type: 'object', additionalProperties: false, required: ['accuracy', 'loss', 'samples'],
  properties: { accuracy: { type: 'number', minimum: 0, maximum: 1 }, loss: { type: 'number' }, samples: { type: 'integer', minimum: 1 } },
};

/** JSON Schema of one manifest entry (one checkpoint of one network). */
export const zooEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'job', 'architecture', 'task', 'seed', 'epoch', 'optimizer', 'train', 'test', 'params', 'weights', 'heldOut', 'trainingSeconds'],
  properties: {
    id: { type: 'string' },
    job: { type: 'string' },
    architecture: {
      type: 'object', additionalProperties: false, required: ['name', 'label', 'spec'],
      properties: { name: { type: 'string' }, label: { type: 'string' }, spec: { type: 'object' } },
    },
    task: {
      type: 'object', additionalProperties: false, required: ['id', 'dataset', 'classes', 'classIndices', 'instructions'],
      properties: {
        id: { type: 'string' }, dataset: { type: 'string' },
        classes: { type: 'array', items: { type: 'string' }, minItems: 2 },
        classIndices: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2 },
        instructions: { type: 'array', items: { type: 'string' }, minItems: 1 },
      },
    },
    seed: { type: 'integer', minimum: 0 },
    epoch: { type: 'integer', minimum: 1 },
    optimizer: {
      type: 'object', additionalProperties: false, required: ['name', 'learningRate', 'batchSize'],
      properties: { name: { type: 'string' }, learningRate: { type: 'number' }, batchSize: { type: 'integer' } },
    },
    train: metrics,
    test: metrics,
    params: { type: 'integer', minimum: 1 },
    weights: {
      type: 'object', additionalProperties: false, required: ['file', 'size', 'sha256'],
      properties: { file: { type: 'string' }, size: { type: 'integer', minimum: 1 }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    },
    heldOut: {
      type: 'object', additionalProperties: false, required: ['task', 'seed'],
      properties: { task: { type: 'boolean' }, seed: { type: 'boolean' } },
    },
    trainingSeconds: { type: 'number', minimum: 0 },
    backend: { type: 'string' },
    splits: {
      type: 'object', additionalProperties: false, required: ['trainSeed', 'testSeed'],
      properties: {
        trainSeed: { type: 'integer', minimum: 1 }, testSeed: { type: 'integer', minimum: 1 }, supportSeed: { type: 'integer', minimum: 1 },
        trainLimit: { type: 'integer', minimum: 1 }, testLimit: { type: 'integer', minimum: 1 },
      },
    },
  },
} as const;

export interface ZooEntry {
  id: string;
  job: string;
  architecture: { name: string; label: string; spec: Record<string, unknown> };
  task: { id: string; dataset: string; classes: string[]; classIndices: number[]; instructions: string[] };
  seed: number;
  epoch: number;
  optimizer: ZooJob['optimizer'];
  train: { accuracy: number; loss: number; samples: number };
  test: { accuracy: number; loss: number; samples: number };
  params: number;
  /** `file` is relative to the zoo folder. */
  weights: { file: string; size: number; sha256: string };
  heldOut: { task: boolean; seed: boolean };
  trainingSeconds: number;
  backend?: string;
  /**
   * The builder's data: the train/test subsets were loaded with these seeds and limits, and the task's support set
   * is drawn with supportSeed (zoo/splits.ts loads them). Absent in zoos built before this was recorded.
   */
  splits?: { trainSeed: number; testSeed: number; supportSeed?: number; trainLimit?: number; testLimit?: number };
}

export interface ZooManifest {
  version: 1;
  name?: string;
  /** Hash of the resolved config: a rebuild with another config into the same folder is refused. */
  configHash: string;
  entries: ZooEntry[];
}

/** A job's checkpoint as a relative path stem: `mnist__all/cnn-s/s3-e5` (":" is not portable in file names). */
export function entryStem(jobKey: string, epoch: number): string {
  return `${jobKey.replace(/:/g, '__')}-e${epoch}`;
}

export const entryFile = (out: string, stem: string) => path.join(out, 'entries', `${stem}.json`);
export const weightFile = (stem: string) => path.posix.join('weights', `${stem}.safetensors`);

/** Record a finished checkpoint (after its weight file is in place). Atomic. */
export function writeEntry(out: string, entry: ZooEntry): void {
  validate(zooEntrySchema, entry, `zoo entry ${entry.id}`);
  writeJsonAtomic(entryFile(out, entryStem(entry.job, entry.epoch)), entry);
}

/** Every finished checkpoint recorded under `<out>/entries`, sorted by id. Temp files of a killed write are ignored. */
function readEntries(out: string): ZooEntry[] {
  const dir = path.join(out, 'entries');
  if (!fs.existsSync(dir)) return [];
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json'));
  return files.map((f) => readJson<ZooEntry>(path.join(dir, f))).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Regenerate `<out>/manifest.json` from the entry records. Atomic. */
export function writeManifest(out: string, name: string | undefined, configHash: string): ZooManifest {
  const manifest: ZooManifest = { version: 1, name, configHash, entries: readEntries(out) };
  writeJsonAtomic(path.join(out, 'manifest.json'), manifest);
  return manifest;
}

/**
 * Read a zoo's manifest, validating every entry; with `verify`, also check each weight file's size, SHA-256 and finiteness.
 * A packed zoo (`<out>.tar.gz`) is unpacked first, as `openZoo` does.
 * @example const { entries } = readManifest('zoo/', { verify: true });
 */
export function readManifest(out: string, options: { verify?: boolean } = {}): ZooManifest {
  unpackZoo(out);
  const m = readJson<ZooManifest>(path.join(out, 'manifest.json'));
  if (m.version !== 1 || !Array.isArray(m.entries)) throw new Error(`${path.join(out, 'manifest.json')}: not a zoo manifest (version ${m.version})`);
  for (const e of m.entries) {
    validate(zooEntrySchema, e, `zoo entry ${e.id}`);
    if (options.verify) verifyWeightFile(path.join(out, e.weights.file), e.weights);
  }
  return m;
}
