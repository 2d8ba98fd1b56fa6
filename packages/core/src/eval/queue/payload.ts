// What travels on the queue for an evaluation row: the job names the input set (by digest, see inputs.ts),
// the row and the settings; the result carries the row's results and its generated networks (float32 bytes,
// base64) for the report's cross-row sections. Both are checked on arrival, as zoo jobs and results are.
import { samplerOptionsSchema } from '../../sampler';
import { validate } from '../../util/config';
import { evalResultsSchema, type RowResult } from '../results';
import type { RowOutput } from '../rows';
import { rowRef, type RowJobSettings, type RowRef } from '../row-job';
import type { RowKey } from '../zoo-index';
import { stableHash } from '../../zoo/config';
import { MAX_PAYLOAD_BYTES } from '../../queue/payload';

export interface EvalRowPayload {
  kind: 'eval-row';
  version: 1;
  /** Digest of the published zoo + generator files. */
  inputs: string;
  /** The coordinator's backend: a worker on another one would not reproduce a local run's numbers, so it refuses. */
  backend: { name: string; native: string | null };
  settings: RowJobSettings;
  row: RowRef;
}

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const nullableInt = { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] };
const str = { type: 'string', minLength: 1, maxLength: 400 };

/** JSON Schema of an eval row job. No defaults: a payload must be complete. */
const evalRowPayloadSchema = {
  type: 'object', additionalProperties: false, required: ['kind', 'version', 'inputs', 'backend', 'settings', 'row'],
  properties: {
    kind: { const: 'eval-row' },
    version: { const: 1 },
    inputs: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    backend: { type: 'object', additionalProperties: false, required: ['name', 'native'], properties: { name: str, native: { oneOf: [str, { type: 'null' }] } } },
    settings: {
      type: 'object', additionalProperties: false,
      required: ['seed', 'n', 'trainLimit', 'testLimit', 'supportShots', 'supportSeed', 'sampler', 'guidance', 'finetuneEpochs', 'randomEpochs', 'paraphrases'],
      properties: {
        seed: int(0, 2 ** 31), n: int(1, 256), trainLimit: nullableInt, testLimit: nullableInt, supportShots: int(0, 1000), supportSeed: int(0, 2 ** 31),
        sampler: { oneOf: [samplerOptionsSchema, { type: 'null' }] }, guidance: { oneOf: [{ type: 'number' }, { type: 'null' }] },
        // caps on what a bad payload can make a worker do
        finetuneEpochs: { type: 'array', minItems: 1, maxItems: 20, items: int(1, 1000) }, randomEpochs: { type: 'array', minItems: 1, maxItems: 20, items: int(1, 1000) }, paraphrases: int(0, 50),
      },
    },
    row: { type: 'object', additionalProperties: false, required: ['group', 'task', 'architecture'], properties: { group: { enum: ['seen', 'heldOutSeed', 'heldOutTask'] }, task: str, architecture: str } },
  },
} as const;

/** The payload of one row job. */
export function evalRowPayload(inputs: string, backend: EvalRowPayload['backend'], settings: RowJobSettings, row: RowKey): EvalRowPayload {
  return { kind: 'eval-row', version: 1, inputs, backend, settings, row: rowRef(row) };
}

/** Check an eval row payload taken off the queue; throws one message naming what is wrong. */
export function checkEvalRowPayload(data: unknown): EvalRowPayload {
  const size = Buffer.byteLength(JSON.stringify(data ?? null));
  if (size > MAX_PAYLOAD_BYTES) throw new Error(`job payload is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`);
  // validate works on a copy and would fill the sampler's defaults: keep the payload's own settings (they are hashed)
  validate(evalRowPayloadSchema, data, 'eval row job payload');
  return structuredClone(data) as EvalRowPayload;
}

/** What a worker sends back for a row. */
export interface EvalRowResult {
  version: 1;
  kind: 'eval-row';
  row: RowRef;
  /** host/pid of the worker (for logs). */
  worker: string;
  result: RowResult;
  /** The row's generated networks as little-endian float32 bytes, base64; null for a held-out-seed row. */
  generated: string[] | null;
}

const evalRowResultSchema = {
  type: 'object', additionalProperties: false, required: ['version', 'kind', 'row', 'worker', 'result', 'generated'],
  properties: {
    version: { const: 1 }, kind: { const: 'eval-row' }, row: evalRowPayloadSchema.properties.row, worker: { type: 'string' },
    result: evalResultsSchema.properties.rows.items,
    generated: { oneOf: [{ type: 'array', maxItems: 256, items: { type: 'string' } }, { type: 'null' }] },
  },
} as const;

const toBase64 = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');

/** Serialize a row's output as a job result. */
export function toEvalRowResult(row: RowKey, worker: string, out: RowOutput): EvalRowResult {
  return { version: 1, kind: 'eval-row', row: rowRef(row), worker, result: out.result, generated: out.generated?.map(toBase64) ?? null };
}

/**
 * Check a worker's result for `row` and decode it; throws the reason it is rejected. Checked: shape (the report's
 * row schema), identity (group, task, architecture) and the generated networks (count, size, finite values).
 */
export function verifyEvalRowResult(row: RowKey, settings: RowJobSettings, raw: unknown): RowOutput {
  const what = `result of eval row ${row.group} ${row.task.id} [${row.architecture.label}]`;
  validate(evalRowResultSchema, raw, what);
  const r = raw as EvalRowResult;
  if (stableHash(r.row) !== stableHash(rowRef(row))) throw new Error(`${what}: it is for ${JSON.stringify(r.row)}`);
  const res = r.result;
  if (res.group !== row.group || res.task !== row.task.id || res.architecture.label !== row.architecture.label) throw new Error(`${what}: the results are of ${res.group} ${res.task} [${res.architecture.label}]`);
  if ((r.generated === null) !== (row.group === 'heldOutSeed')) throw new Error(`${what}: generated networks ${r.generated === null ? 'missing' : 'sent for a held-out-seed row'}`);
  const params = row.finals[0].params;
  const generated = r.generated?.map((b64, i) => {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64') !== b64) throw new Error(`${what}: generated network ${i} is not valid base64`);
    if (bytes.length !== params * 4) throw new Error(`${what}: generated network ${i} has ${bytes.length / 4} weights, the architecture has ${params}`);
    const f = new Float32Array(params);
    Buffer.from(f.buffer).set(bytes);
    const bad = f.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`${what}: generated network ${i} has a non-finite weight at ${bad}`);
    return f;
  }) ?? null;
  if (generated && generated.length !== settings.n) throw new Error(`${what}: ${generated.length} generated networks, the evaluation asks for ${settings.n}`);
  return { result: structuredClone(res), generated };
}
