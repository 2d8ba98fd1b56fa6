import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../io/atomic';
import { stableHash, type ZooConfig, type ZooJob } from './config';
import { entryFile, entryStem, type ZooEntry } from './manifest';
import { verifyWeightFile } from './weight-check';

// Resuming a zoo build skips the checkpoints already recorded. Before it does, every one of them is checked
// (entry record readable, weight file present with its recorded size and SHA-256, finite values): a corrupt or
// missing checkpoint is dropped, so its job is trained again, and reported, never silently kept (issue #16).

/** A recorded checkpoint that failed verification and will be rebuilt. */
export interface RepairedCheckpoint {
  id: string;
  problem: string;
}

/**
 * Verify the recorded checkpoints of `jobs` under `out`; drop (delete the record and weight file of) each bad one.
 * Returns what was dropped; the caller then retrains the jobs whose checkpoints are no longer all recorded.
 * @example const repaired = verifyRecordedCheckpoints('zoo/default', jobs);
 */
export function verifyRecordedCheckpoints(out: string, jobs: ZooJob[]): RepairedCheckpoint[] {
  const repaired: RepairedCheckpoint[] = [];
  for (const job of jobs) {
    for (const epoch of job.epochs) {
      const record = entryFile(out, entryStem(job.key, epoch));
      if (!fs.existsSync(record)) continue;
      const id = `${job.key}/e${epoch}`;
      let weights: string | undefined;
      try {
        const entry = readJson<ZooEntry>(record);
        if (!entry?.weights || typeof entry.weights.file !== 'string') throw new Error(`${record}: entry record has no weights field`);
        weights = path.join(out, entry.weights.file);
        verifyWeightFile(weights, entry.weights);
      } catch (e) {
        repaired.push({ id, problem: (e as Error).message.split('\n')[0] });
        fs.rmSync(record, { force: true });
        if (weights) fs.rmSync(weights, { force: true });
      }
    }
  }
  return repaired;
}

/**
 * Refuse to build into a folder that holds checkpoints of another config. A folder with a config.json but no
 * recorded checkpoint (an earlier run failed before training anything) takes the new config.
 */
export function checkZooFolderConfig(out: string, configHash: string): void {
  const saved = path.join(out, 'config.json');
  if (!fs.existsSync(saved) || stableHash(readJson<ZooConfig>(saved)) === configHash) return;
  const entries = path.join(out, 'entries');
  const built = fs.existsSync(entries) && (fs.readdirSync(entries, { recursive: true }) as string[]).some((f) => f.endsWith('.json'));
  if (built) throw new Error(`${out} holds a zoo built from another config (${saved}); build into a new folder, or pass --no-resume to move the old one aside`);
}
