import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import { FileIntegrityError, processAlive, readJson, sha256, writeFileAtomic } from '../io/atomic';
import type { ZooManifest } from './manifest';
import { verifyWeightFile } from './weight-check';

// A zoo shipped packed, as one file in git instead of thousands:
//   <dir>.tar.gz          the folder as one reproducible archive (entries under <name>/, sorted, fixed mtime, mode, owner)
//   <dir>.tar.gz.sha256   its SHA-256, in `sha256sum` format (`cd zoo && sha256sum -c default.tar.gz.sha256`)
//   <dir>/.pack-sha256    in an unpacked folder: the SHA-256 of the pack it came from
// The folder is a cache of the pack. It is unpacked on first read into a temp folder beside it, verified, then renamed
// into place, so a kill at any moment leaves no folder, the old one or the whole new one (and a temp folder that the
// next call removes). A folder from an older pack is replaced; a folder that no pack made is used only when its
// manifest is the pack's (the manifest pins every weight file's SHA-256), never silently otherwise.

const MARK = '.pack-sha256';
/** Fixed mtime of every entry, so that packing the same folder twice gives the same bytes. */
const EPOCH = new Date(0);
/** Temp folders beside `<dir>`: `.<name>.<pid>.<8 hex>.unpacking` (being written) and `.stale` (an old copy being removed). */
const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.(unpacking|stale)$/;

/** What `packZoo` wrote. */
export interface ZooPack {
  file: string;
  sha256: string;
  bytes: number;
  /** Files in the archive. */
  files: number;
}

/** What `unpackZoo` found or did. */
export type UnpackOutcome = 'no pack' | 'current' | 'unpacked' | 'replaced' | 'adopted';

const trimDir = (dir: string) => dir.replace(/(.)[\\/]+$/, '$1');
export const zooPackFile = (dir: string) => `${trimDir(dir)}.tar.gz`;
const sumFile = (dir: string) => `${zooPackFile(dir)}.sha256`;
const tempBeside = (dir: string, kind: 'unpacking' | 'stale') =>
  path.join(path.dirname(dir), `.${path.basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.${kind}`);

/**
 * Pack a zoo folder into `<dir>.tar.gz` and record its SHA-256 in `<dir>.tar.gz.sha256` (both written atomically).
 * The weights are verified first. The same folder gives the same bytes (with the same Node, whose zlib compresses).
 * @example const { file, bytes } = packZoo('zoo/default'); // zoo/default.tar.gz
 */
export function packZoo(dir: string): ZooPack {
  const d = trimDir(dir);
  verifyZooFolder(d, (why) => new Error(`${d}: cannot pack this zoo (${why}); rebuild it with \`igpg zoo build\``));
  const files = listFiles(d);
  const file = zooPackFile(d);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    tar.c({
      file: tmp, cwd: d, prefix: path.basename(d), sync: true, strict: true, noDirRecurse: true,
      portable: true, // no uid, gid, user names, atime, ctime; gzip header without time and OS
      mtime: EPOCH, gzip: { level: 9 },
      onWriteEntry: (e) => { if (e.stat) e.stat.mode = 0o100644; }, // one mode for all: a checkout's umask must not change the bytes
    }, files);
    const bytes = fs.readFileSync(tmp);
    const digest = sha256(bytes);
    fs.renameSync(tmp, file);
    writeFileAtomic(sumFile(d), `${digest}  ${path.basename(file)}\n`);
    writeFileAtomic(path.join(d, MARK), `${digest}\n`); // the folder now is what the pack holds
    return { file, sha256: digest, bytes: bytes.length, files: files.length };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Make `dir` hold the contents of `<dir>.tar.gz` when that pack exists (a no-op otherwise): unpack it if the folder
 * is missing, replace a folder unpacked from an older pack, and refuse a folder the pack did not make unless it has
 * the pack's manifest. `openZoo` and `readManifest` call this, so every reader of a zoo works from the pack alone.
 * @example unpackZoo('zoo/default'); // 'unpacked' the first time, 'current' after
 */
export function unpackZoo(dir: string): UnpackOutcome {
  const d = trimDir(dir);
  const file = zooPackFile(d);
  if (!fs.existsSync(file)) return 'no pack';
  const recorded = recordedSum(d);
  removeDeadTemps(d);
  const mark = readMark(d);
  if (isCurrent(d, recorded)) return 'current';
  const fail = (why: string) => new FileIntegrityError(
    `${file}: corrupt zoo pack (${why}); restore it (\`git checkout -- ${file} ${sumFile(d)}\`) or rebuild it `
    + `(\`igpg zoo build --config ${fs.existsSync(`${d}.json`) ? `${d}.json` : '<zoo config>'} --out ${d}\`, then \`igpg zoo pack ${d}\`)`);
  const bytes = fs.readFileSync(file);
  const actual = sha256(bytes);
  if (actual !== recorded) throw fail(`sha256 ${actual.slice(0, 12)}…, ${sumFile(d)} records ${recorded.slice(0, 12)}…`);
  const tmp = tempBeside(d, 'unpacking');
  fs.mkdirSync(tmp);
  try {
    extract(bytes, tmp, path.basename(d), fail);
    verifyZooFolder(tmp, fail);
    if (fs.existsSync(d) && mark === undefined) return adopt(d, tmp, file, recorded);
    fs.writeFileSync(path.join(tmp, MARK), `${recorded}\n`);
    return install(tmp, d, recorded);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every regular file of the folder as a sorted relative posix path, without temp files or the unpack mark. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (!e.isFile()) throw new Error(`${path.join(root, p)}: not a plain file (a link or device); a zoo pack holds files only`);
      else if (p !== MARK && !e.name.endsWith('.tmp')) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

/** The manifest is there and every weight file it names has its recorded size, SHA-256 and finite values. */
function verifyZooFolder(dir: string, fail: (why: string) => Error): void {
  let m: ZooManifest;
  try {
    m = readJson<ZooManifest>(path.join(dir, 'manifest.json'));
    if (!Array.isArray(m.entries) || !m.entries.length) throw new Error('the manifest has no entries');
    for (const e of m.entries) verifyWeightFile(path.join(dir, e.weights.file), e.weights);
  } catch (e) {
    throw fail((e as Error).message.replace(`${dir}${path.sep}`, ''));
  }
}

function extract(bytes: Buffer, into: string, name: string, fail: (why: string) => Error): void {
  const problems: string[] = [];
  try {
    const unpack = tar.x({
      cwd: into, sync: true, strict: true, strip: 1, noMtime: true, // files get the time they were unpacked
      filter: (p) => p.startsWith(`${name}/`), // only the zoo's own entries
      onwarn: (_code, message) => problems.push(String(message)),
    });
    unpack.on('error', (e: Error) => problems.push(e.message));
    unpack.end(bytes);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length) throw fail(`cannot unpack: ${problems[0]}`);
}

/** Move the verified copy into place: over a missing folder, or in exchange for a stale one. */
function install(tmp: string, dir: string, recorded: string): UnpackOutcome {
  let old: string | undefined;
  if (fs.existsSync(dir)) {
    if (isCurrent(dir, recorded)) return 'current'; // another process replaced it meanwhile
    old = tempBeside(dir, 'stale');
    fs.renameSync(dir, old);
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'EEXIST' || code === 'ENOTEMPTY') && isCurrent(dir, recorded)) return 'current'; // another process won the race
    throw e;
  } finally {
    if (old) fs.rmSync(old, { recursive: true, force: true });
  }
  return old ? 'replaced' : 'unpacked';
}

/** A folder no pack made (built here, or checked in before packing): take it as the pack's when the manifests agree. */
function adopt(dir: string, unpacked: string, file: string, recorded: string): UnpackOutcome {
  const same = fs.existsSync(path.join(dir, 'manifest.json'))
    && fs.readFileSync(path.join(dir, 'manifest.json')).equals(fs.readFileSync(path.join(unpacked, 'manifest.json')));
  if (!same) {
    throw new Error(`${dir}: this zoo folder differs from ${file} and was not unpacked from it; if it is a rebuild, pack it `
      + `(\`igpg zoo pack ${dir}\`); otherwise move it away to use the packed zoo`);
  }
  writeFileAtomic(path.join(dir, MARK), `${recorded}\n`);
  return 'adopted';
}

function recordedSum(dir: string): string {
  let text = '';
  try {
    text = fs.readFileSync(sumFile(dir), 'utf8');
  } catch {
    // reported below
  }
  const m = /^([0-9a-f]{64})\s/.exec(text);
  if (!m) throw new FileIntegrityError(`${sumFile(dir)}: missing or not a sha256 line, so ${zooPackFile(dir)} cannot be checked; restore both (\`git checkout -- ${zooPackFile(dir)} ${sumFile(dir)}\`) or re-pack (\`igpg zoo pack ${dir}\`)`);
  return m[1];
}

/**
 * Unpacked from this pack and still whole at the top. A git checkout that removes a tracked zoo/default (the switch to
 * the pack) leaves the untracked mark alone: that folder is not current, and is replaced.
 */
const isCurrent = (dir: string, recorded: string) => readMark(dir) === recorded && fs.existsSync(path.join(dir, 'manifest.json'));

function readMark(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, MARK), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Temp folders of unpacks whose process is gone (killed mid-unpack or mid-swap). */
function removeDeadTemps(dir: string): void {
  const parent = path.dirname(dir), name = path.basename(dir);
  for (const f of fs.readdirSync(parent)) {
    const m = TEMP.exec(f);
    if (m && m[1] === name && Number(m[2]) !== process.pid && !processAlive(Number(m[2]))) {
      fs.rmSync(path.join(parent, f), { recursive: true, force: true });
    }
  }
}
