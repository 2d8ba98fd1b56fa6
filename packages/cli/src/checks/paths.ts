import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkInputPath, checkOutputDir } from '@igpg/core';
import { UsageError } from '../errors';

// Paths given on the command line are checked before any work, each as a usage error (exit 2) naming the flag.

/** `--out` must be, or be creatable as, a writable folder (a bounded walk: never hangs on /proc). Creates nothing. */
export function checkOutFlag(flag: string, dir: string): { exists: boolean } {
  try {
    return checkOutputDir(dir);
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message}`);
  }
}

/** An input file given by a flag must exist and be a readable file. */
export function checkFileFlag(flag: string, file: string): void {
  try {
    checkInputPath(file, 'file');
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message}`);
  }
}

/**
 * An input folder given by a flag must exist, be a folder, and hold `marker` (what makes it the right kind);
 * `hint` says how to make one, e.g. "build one with `igpg zoo build`".
 */
export function checkFolderFlag(flag: string, dir: string, marker: string | string[], hint: string): void {
  try {
    checkInputPath(dir, 'folder');
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message}; ${hint}`);
  }
  const markers = Array.isArray(marker) ? marker : [marker];
  if (!markers.some((m) => fs.existsSync(path.join(dir, m)))) {
    throw new UsageError(`${flag} ${dir}: not the right kind of folder (no ${markers.join(' or ')} in it); ${hint}`);
  }
}
