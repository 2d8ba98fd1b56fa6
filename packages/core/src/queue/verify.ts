// The coordinator's check of a worker's result before anything reaches the zoo folder: shape (schema),
// identity (every field that follows from the job must be what the job says), integrity (size and
// SHA-256 of the weight bytes) and sanity (a valid safetensors file of finite weights of the right size).
import { sha256 } from '../io/atomic';
import { decodeSafetensors } from '../io/safetensors';
import { validate } from '../util/config';
import type { CheckpointRecord } from '../zoo/checkpoint';
import { stableHash, type ZooJob } from '../zoo/config';
import { entryStem, weightFile, zooEntrySchema, type ZooEntry } from '../zoo/manifest';
import { zooJobResultSchema, type ZooJobResult } from './payload';

/** The entry fields that depend only on the job, never on the worker. */
function expectedFields(job: ZooJob, epoch: number) {
  const { task } = job;
  return {
    id: `${job.key}/e${epoch}`, job: job.key,
    architecture: { name: job.arch.name, label: job.arch.label, spec: job.arch.spec },
    task: { id: task.id, dataset: task.dataset, classes: task.classes, classIndices: task.classIndices, instructions: task.instructions },
    seed: job.seed, epoch, optimizer: job.optimizer, params: job.arch.params, heldOut: job.heldOut, file: weightFile(entryStem(job.key, epoch)),
  };
}

/** Verify a result for `job`; returns its checkpoints ready for writeCheckpoint, or throws the reason it is rejected. */
export function verifyZooResult(job: ZooJob, raw: unknown): CheckpointRecord[] {
  const result = validate<ZooJobResult>(zooJobResultSchema, raw, `result of ${job.key}`);
  if (result.key !== job.key) throw new Error(`result is for job "${result.key}", expected "${job.key}"`);
  const epochs = result.checkpoints.map((c) => (c.entry as { epoch?: unknown }).epoch);
  if (stableHash(epochs) !== stableHash(job.epochs)) throw new Error(`result of ${job.key} has checkpoints at epochs ${JSON.stringify(epochs)}, expected [${job.epochs.join(', ')}]`);
  return result.checkpoints.map((c, i) => {
    const epoch = job.epochs[i];
    const entry = validate<ZooEntry>(zooEntrySchema, c.entry, `result entry ${job.key}/e${epoch}`);
    const { file, ...want } = expectedFields(job, epoch);
    const got = { id: entry.id, job: entry.job, architecture: entry.architecture, task: entry.task, seed: entry.seed, epoch: entry.epoch, optimizer: entry.optimizer, params: entry.params, heldOut: entry.heldOut };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (stableHash(got[k]) !== stableHash(want[k])) throw new Error(`result entry ${want.id}: field "${k}" is ${JSON.stringify(got[k])}, the job says ${JSON.stringify(want[k])}`);
    }
    if (entry.weights.file !== file) throw new Error(`result entry ${want.id}: weight file "${entry.weights.file}", expected "${file}"`);
    const bytes = Buffer.from(c.weights, 'base64');
    if (bytes.toString('base64') !== c.weights) throw new Error(`result entry ${want.id}: weights are not valid base64`);
    if (bytes.length !== entry.weights.size) throw new Error(`result entry ${want.id}: ${bytes.length} weight bytes, the entry says ${entry.weights.size}`);
    const digest = sha256(bytes);
    if (digest !== entry.weights.sha256) throw new Error(`result entry ${want.id}: weights checksum ${digest.slice(0, 12)}… does not match the entry's ${entry.weights.sha256.slice(0, 12)}…`);
    const { tensors, metadata } = decodeSafetensors(bytes, { source: `result entry ${want.id}` }); // rejects NaN/Inf
    const count = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
    if (count !== job.arch.params) throw new Error(`result entry ${want.id}: ${count} weights, the architecture has ${job.arch.params}`);
    if (metadata['igpg.arch'] !== job.arch.name) throw new Error(`result entry ${want.id}: weights are of architecture "${metadata['igpg.arch']}", expected "${job.arch.name}"`);
    return { entry, bytes };
  });
}
