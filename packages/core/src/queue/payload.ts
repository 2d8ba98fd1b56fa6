// What travels on the zoo queue. A job carries everything a worker needs (no shared filesystem): the
// zoo's config hash and the full ZooJob (task, architecture spec, seeds, split seeds, optimizer).
// Workers trust nothing in it: the payload is size-capped, schema-checked, and checked against the
// worker's own registries before anything runs. Plugins are never named by a payload (that would let
// a queue client load code on a worker): a worker registers the plugins it was started with.
import { countParams, getArchitecture, hasArchitecture, validateSpec } from '../sdk/architecture';
import { getDataset, hasDataset } from '../sdk/dataset';
import { validate } from '../util/config';
import { stableHash, type ZooJob } from '../zoo/config';
import { taskFromId } from '../zoo/task';

/** Largest job payload a worker accepts (a default-zoo job is ~1.5 KB as JSON). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Longest training a payload may ask for: a cap on what a bad payload can make a worker do. */
const MAX_EPOCH = 1000;

interface ZooJobPayload {
  kind: 'zoo-train';
  version: 1;
  /** stableHash of the resolved zoo config the job belongs to. */
  zoo: string;
  job: ZooJob;
}

const int0 = { type: 'integer', minimum: 0 };
const str = (max = 200) => ({ type: 'string', minLength: 1, maxLength: max });

/** JSON Schema of a zoo job payload. No defaults: a payload must be complete. */
const zooJobPayloadSchema = {
  type: 'object', additionalProperties: false, required: ['kind', 'version', 'zoo', 'job'],
  properties: {
    kind: { const: 'zoo-train' },
    version: { const: 1 },
    zoo: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    job: {
      type: 'object', additionalProperties: false,
      required: ['key', 'task', 'arch', 'seed', 'epochs', 'optimizer', 'initSeed', 'dataSeed', 'heldOut'],
      properties: {
        key: str(400),
        task: {
          type: 'object', additionalProperties: false, required: ['id', 'dataset', 'classes', 'classIndices', 'instructions', 'heldOut'],
          properties: {
            id: str(), dataset: str(),
            classes: { type: 'array', minItems: 2, maxItems: 1000, items: str() },
            classIndices: { type: 'array', minItems: 2, maxItems: 1000, items: int0 },
            instructions: { type: 'array', minItems: 1, maxItems: 50, items: str(1000) },
            heldOut: { type: 'boolean' },
          },
        },
        arch: {
          type: 'object', additionalProperties: false, required: ['name', 'label', 'spec', 'params'],
          properties: { name: str(), label: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' }, spec: { type: 'object' }, params: { type: 'integer', minimum: 1 } },
        },
        seed: int0,
        epochs: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'integer', minimum: 1, maximum: MAX_EPOCH } },
        optimizer: {
          type: 'object', additionalProperties: false, required: ['name', 'learningRate', 'batchSize'],
          properties: { name: { enum: ['adam', 'sgd'] }, learningRate: { type: 'number', exclusiveMinimum: 0 }, batchSize: { type: 'integer', minimum: 1, maximum: 65536 } },
        },
        trainLimit: { type: 'integer', minimum: 1 },
        testLimit: { type: 'integer', minimum: 1 },
        initSeed: { type: 'integer', minimum: 1 },
        dataSeed: { type: 'integer', minimum: 1 },
        supportSeed: { type: 'integer', minimum: 1 },
        heldOut: {
          type: 'object', additionalProperties: false, required: ['task', 'seed'],
          properties: { task: { type: 'boolean' }, seed: { type: 'boolean' } },
        },
      },
    },
  },
} as const;

/** The payload for one zoo job. */
export function zooJobPayload(zoo: string, job: ZooJob): ZooJobPayload {
  return { kind: 'zoo-train', version: 1, zoo, job };
}

/**
 * Check a payload taken off the queue before running it; throws one message naming what is wrong.
 * Beyond the schema: the dataset and architecture must be registered here, the task must be what its
 * id says, the spec must be complete and valid, and the key and parameter count must match.
 */
export function checkZooJobPayload(data: unknown): ZooJobPayload {
  const size = Buffer.byteLength(JSON.stringify(data ?? null));
  if (size > MAX_PAYLOAD_BYTES) throw new Error(`job payload is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`);
  const p = validate<ZooJobPayload>(zooJobPayloadSchema, data, 'zoo job payload');
  const { job } = p;
  if (!hasDataset(job.task.dataset)) throw new Error(`zoo job payload: dataset "${job.task.dataset}" is not registered on this worker`);
  if (!hasArchitecture(job.arch.name)) throw new Error(`zoo job payload: architecture "${job.arch.name}" is not registered on this worker`);
  const task = taskFromId(job.task.id, getDataset);
  if (task.dataset !== job.task.dataset || stableHash(task.classes) !== stableHash(job.task.classes) || stableHash(task.classIndices) !== stableHash(job.task.classIndices)) {
    throw new Error(`zoo job payload: task "${job.task.id}" does not match its dataset/classes/classIndices`);
  }
  const plugin = getArchitecture(job.arch.name);
  const spec = validateSpec(plugin, job.arch.spec);
  if (stableHash(spec) !== stableHash(job.arch.spec)) throw new Error(`zoo job payload: architecture spec of ${job.key} is not complete (defaults missing)`);
  const params = countParams(plugin.describe(spec));
  if (params !== job.arch.params) throw new Error(`zoo job payload: ${job.key} says ${job.arch.params} parameters, the spec has ${params}`);
  if (job.key !== `${job.task.id}/${job.arch.label}/s${job.seed}`) throw new Error(`zoo job payload: key "${job.key}" does not match its task, label and seed`);
  if (job.epochs.some((e, i) => i > 0 && e <= job.epochs[i - 1])) throw new Error(`zoo job payload: epochs must be strictly increasing, got [${job.epochs.join(', ')}]`);
  return p;
}

/** What a worker sends back: every checkpoint's entry and its safetensors bytes (base64). */
export interface ZooJobResult {
  version: 1;
  key: string;
  /** host/pid of the worker (for logs). */
  worker: string;
  checkpoints: { entry: unknown; weights: string }[];
}

export const zooJobResultSchema = {
  type: 'object', additionalProperties: false, required: ['version', 'key', 'worker', 'checkpoints'],
  properties: {
    version: { const: 1 },
    key: { type: 'string' },
    worker: { type: 'string' },
    checkpoints: {
      type: 'array', minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['entry', 'weights'], properties: { entry: { type: 'object' }, weights: { type: 'string' } } },
    },
  },
} as const;

/** The stable BullMQ job id of a zoo job (BullMQ ids may not contain ":"). Same config + key -> same id. */
export function zooJobId(zoo: string, key: string): string {
  return `${zoo.slice(0, 16)}-${key.replace(/:/g, '__')}`;
}
