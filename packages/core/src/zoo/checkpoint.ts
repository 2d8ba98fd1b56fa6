// One trained checkpoint as data: its safetensors bytes and its manifest entry. The local zoo worker
// and the queue worker both make it here, and the local worker and the queue coordinator both record
// it with writeCheckpoint, so a zoo is the same bytes whichever way it was built.
import * as path from 'node:path';
import { writeFileAtomic, sha256 } from '../io/atomic';
import { encodeNetworkSafetensors } from '../io/safetensors';
import { networkWeights } from '../sdk/weights';
import type { ZooJob } from './config';
import { entryStem, weightFile, writeEntry, type ZooEntry } from './manifest';
import type { Checkpoint } from './train';

export interface CheckpointRecord {
  entry: ZooEntry;
  /** The weight file's bytes (safetensors); `entry.weights` holds their size and SHA-256. */
  bytes: Uint8Array;
}

/** Turn a checkpoint of `job` (reported by trainJob) into its weight bytes and entry record. */
export function checkpointRecord(job: ZooJob, c: Checkpoint, backend: string): CheckpointRecord {
  const { epoch, train, test, network, seconds } = c;
  const rel = weightFile(entryStem(job.key, epoch));
  const bytes = encodeNetworkSafetensors(networkWeights(network), {
    metadata: { 'igpg.task': job.task.id, 'igpg.seed': String(job.seed), 'igpg.epoch': String(epoch) },
  });
  const { task } = job;
  const entry: ZooEntry = {
    id: `${job.key}/e${epoch}`,
    job: job.key,
    architecture: { name: job.arch.name, label: job.arch.label, spec: job.arch.spec },
    task: { id: task.id, dataset: task.dataset, classes: task.classes, classIndices: task.classIndices, instructions: task.instructions },
    seed: job.seed,
    epoch,
    optimizer: job.optimizer,
    train,
    test,
    params: job.arch.params,
    weights: { file: rel, size: bytes.length, sha256: sha256(bytes) },
    heldOut: job.heldOut,
    trainingSeconds: +seconds.toFixed(3),
    backend,
    splits: {
      trainSeed: job.dataSeed, testSeed: job.dataSeed, // trainJob loads both subsets with dataSeed
      ...(job.supportSeed !== undefined && { supportSeed: job.supportSeed }),
      ...(job.trainLimit !== undefined && { trainLimit: job.trainLimit }), ...(job.testLimit !== undefined && { testLimit: job.testLimit }),
    },
  };
  return { entry, bytes };
}

/** Record a checkpoint under `out`: the weights first, then the entry (each atomic), so a kill never leaves an entry without its weights. */
export function writeCheckpoint(out: string, rec: CheckpointRecord): void {
  writeFileAtomic(path.join(out, rec.entry.weights.file), rec.bytes);
  writeEntry(out, rec.entry);
}
