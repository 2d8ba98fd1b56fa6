import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInputPath, checkOutputDir } from './paths';
import { writeFileAtomic } from './atomic';

describe('output and input path checks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-paths-'));
  const file = path.join(dir, 'f.txt');
  fs.writeFileSync(file, 'x');

  it('accepts existing and creatable folders without creating anything', () => {
    expect(checkOutputDir(dir)).toEqual({ exists: true });
    expect(checkOutputDir(path.join(dir, 'a/b/c'))).toEqual({ exists: false });
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('answers at once, naming the path, for a file, a path under a file, /proc and an empty path', () => {
    expect(() => checkOutputDir(file)).toThrow(/f\.txt: is a file, not a folder/);
    expect(() => checkOutputDir(path.join(file, 'sub'))).toThrow(/because .*f\.txt is a file/);
    const t0 = Date.now();
    expect(() => checkOutputDir('/proc/x/y')).toThrow(/\/proc\/x\/y: \/proc is on the kernel's proc filesystem/);
    expect(() => checkOutputDir('/sys/igpg')).toThrow(/sysfs/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(() => checkOutputDir('  ')).toThrow(/empty/);
    expect(() => checkOutputDir('a\0b')).toThrow(/NUL/);
  });

  it('writeFileAtomic refuses a /proc target instead of hanging in recursive mkdir', () => {
    expect(() => writeFileAtomic('/proc/igpg-x/f.json', '{}')).toThrow(/proc filesystem/);
  });

  it('checks input files and folders', () => {
    expect(() => checkInputPath(file, 'file')).not.toThrow();
    expect(() => checkInputPath(dir, 'folder')).not.toThrow();
    expect(() => checkInputPath(dir, 'file')).toThrow(/is a folder, expected a file/);
    expect(() => checkInputPath(file, 'folder')).toThrow(/is a file, expected a folder/);
    expect(() => checkInputPath(path.join(dir, 'nope'), 'folder')).toThrow(/nope: folder not found/);
    expect(() => checkInputPath('/dev/null', 'file')).toThrow(/not a regular file/);
  });
});
