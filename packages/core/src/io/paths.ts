import * as fs from 'node:fs';
import * as path from 'node:path';

// Output folders are checked before anything is created. Node's recursive mkdir loops forever on a kernel
// pseudo-filesystem (`mkdirSync('/proc/x', { recursive: true })` never returns, issue #16), and its errors
// ("EEXIST: file already exists, mkdir ...") name neither the problem nor the fix. This walk is bounded.

/** Raised for an output or input path that cannot be used; the message names the path and what to do. */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/** Deepest path walked up before giving up (Linux PATH_MAX allows about 2,000 components; real paths have < 50). */
const MAX_DEPTH = 256;

/** statfs magic numbers of kernel pseudo-filesystems, where folders of our own cannot be made. */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x1cd1: 'devpts', 0x64626720: 'debugfs', 0x73636673: 'securityfs',
  0x63677270: 'cgroup2', 0x27e0eb: 'cgroup', 0x74726163: 'tracefs', 0xcafe4a11: 'bpf',
};

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EACCES') throw new PathError(`${p}: permission denied; choose a folder you can write to`);
    if (code === 'ELOOP') throw new PathError(`${p}: too many symbolic links (a loop?); choose another folder`);
    if (code === 'ENAMETOOLONG') throw new PathError(`${p}: path too long; choose a shorter one`);
    throw new PathError(`${p}: cannot be used (${(e as Error).message})`);
  }
}

/**
 * Check, without creating anything, that `dir` is or can become a writable output folder: walks up (at most
 * 256 levels) to the nearest existing ancestor, which must be a writable folder on a real filesystem.
 * Returns whether `dir` exists already.
 * @example checkOutputDir('zoo/mine'); // throws PathError "zoo/mine: is a file, not a folder; ..."
 */
export function checkOutputDir(dir: string): { exists: boolean } {
  if (typeof dir !== 'string' || dir.trim() === '') throw new PathError('output folder is empty; give a folder path');
  if (dir.includes('\0')) throw new PathError(`${JSON.stringify(dir)}: a path cannot hold a NUL character`);
  const target = path.resolve(dir);
  let p = target;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new PathError(`${dir}: more than ${MAX_DEPTH} missing folder levels; choose a shorter path`);
    const st = lstatOrNull(p);
    if (st) {
      const isDir = st.isDirectory() || (st.isSymbolicLink() && isDirectoryTarget(p));
      if (!isDir) {
        throw new PathError(p === target
          ? `${dir}: is a file, not a folder; give a folder path (or move the file away)`
          : `${dir}: cannot be created because ${p} is a file, not a folder`);
      }
      const kind = PSEUDO_FS[fsType(p)];
      if (kind) throw new PathError(`${dir}: ${p} is on the kernel's ${kind} filesystem, where no folder can be made; choose a folder on a disk`);
      try {
        fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new PathError(code === 'EROFS'
          ? `${dir}: ${p} is on a read-only filesystem; choose a writable folder`
          : `${dir}: ${p} is not writable (${code === 'EACCES' ? 'permission denied' : code}); choose a folder you can write to`);
      }
      return { exists: p === target };
    }
    const parent = path.dirname(p);
    if (parent === p) throw new PathError(`${dir}: no existing folder above it; give a folder path`);
    p = parent;
  }
}

function isDirectoryTarget(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function fsType(p: string): number {
  try {
    return Number(fs.statfsSync(p).type);
  } catch {
    return 0;
  }
}

/**
 * Check an input path: it must exist and be a file (or a folder). The message names `what`, e.g. "--config".
 * @example checkInputPath('zoo/default.json', 'file');
 */
export function checkInputPath(p: string, kind: 'file' | 'folder'): void {
  if (typeof p !== 'string' || p.trim() === '') throw new PathError(`path is empty; give a ${kind}`);
  if (p.includes('\0')) throw new PathError(`${JSON.stringify(p)}: a path cannot hold a NUL character`);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathError(`${p}: ${kind} not found`);
    if (code === 'EACCES') throw new PathError(`${p}: permission denied`);
    throw new PathError(`${p}: cannot be read (${code ?? (e as Error).message})`);
  }
  if (kind === 'file' && st.isDirectory()) throw new PathError(`${p}: is a folder, expected a file`);
  if (kind === 'folder' && !st.isDirectory()) throw new PathError(`${p}: is a file, expected a folder`);
  if (kind === 'file' && !st.isFile()) throw new PathError(`${p}: is not a regular file`);
  try {
    fs.accessSync(p, fs.constants.R_OK);
  } catch {
    throw new PathError(`${p}: not readable (permission denied)`);
  }
}
