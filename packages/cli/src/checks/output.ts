import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanStaleTemps } from '@igpg/core';
import { checkOutFlag } from './paths';

// An output folder a command creates and then fails in, before any resumable work is recorded, is removed
// again: a failed run leaves nothing behind (issue #16). A folder that existed before is never removed.

const claimed: { dir: string; resumable: boolean }[] = [];

/** Files that mean "work worth resuming is here". */
const WORK = /(\.safetensors|^checkpoint\.json|^vqvae\.json)$/;

function holdsWork(dir: string, depth = 0, budget = { left: 10_000 }): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (--budget.left < 0) return true; // too big to look through: keep it
    if (e.isFile() && (WORK.test(e.name) || (path.basename(dir) === 'entries' && e.name.endsWith('.json')))) return true;
    if (e.isDirectory() && depth < 8 && holdsWork(path.join(dir, e.name), depth + 1, budget)) return true;
  }
  return false;
}

/**
 * Check an output folder flag (never creating anything), and prepare it once every other check has passed:
 * with `resume: false` an existing non-empty folder is moved aside to `<dir>.old-<time>` (never deleted);
 * temp files left by killed runs are removed. `resumable: false` (generate, eval): a failed run removes the folder
 * it created even with files in it, since nothing resumes from them. Returns a note for the user, or ''.
 * Call `checkOutFlag` early and this at the end of validation.
 */
export function prepareOutput(flag: string, dir: string, options: { resume?: boolean; resumable?: boolean } = {}): string {
  const { exists } = checkOutFlag(flag, dir);
  const notes: string[] = [];
  if (exists && options.resume === false && fs.readdirSync(dir).length > 0) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${dir.replace(/[\\/]+$/, '')}.old-${stamp}`;
    fs.renameSync(dir, aside);
    notes.push(`--no-resume: moved the previous ${dir} to ${aside}; starting over`);
  } else if (exists) {
    const removed = cleanStaleTemps(dir);
    if (removed.length) notes.push(`removed ${removed.length} stale temp file${removed.length > 1 ? 's' : ''} of killed runs in ${dir}`);
  }
  if (!fs.existsSync(dir)) claimed.push({ dir: path.resolve(dir), resumable: options.resumable ?? true });
  return notes.join('; ');
}

/** After a failed command: remove the output folders it created that hold no resumable work. */
export function releaseFailedOutputs(): void {
  for (const { dir, resumable } of claimed.splice(0)) {
    if (fs.existsSync(dir) && !(resumable && holdsWork(dir))) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** After a successful command: keep everything. */
export function keepOutputs(): void {
  claimed.length = 0;
}
