import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { readJson, sha256 } from '../io/atomic';
import type { ZooManifest } from './manifest';
import { packZoo, unpackZoo, zooPackFile } from './pack';
import { openZoo } from './reader';

// Real files: a small zoo cut from the shipped default zoo (its config, 8 entries and their weight files).
const shipped = path.resolve(__dirname, '../../../../zoo/default');
let root = '';

/** A fresh zoo folder `<root>/<name>` holding 8 real checkpoints. */
function smallZoo(name: string): string {
  const dir = path.join(root, name);
  const m = readJson<ZooManifest>(path.join(shipped, 'manifest.json'));
  const entries = m.entries.filter((e) => e.architecture.name === 'mlp').slice(0, 8);
  for (const e of entries) {
    fs.mkdirSync(path.dirname(path.join(dir, e.weights.file)), { recursive: true });
    fs.copyFileSync(path.join(shipped, e.weights.file), path.join(dir, e.weights.file));
  }
  fs.copyFileSync(path.join(shipped, 'config.json'), path.join(dir, 'config.json'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, entries }, null, 2));
  return dir;
}

/** A pid that is surely free: a process that has exited. */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

beforeAll(() => {
  unpackZoo(shipped); // the repository ships zoo/default packed
  registerBuiltinArchitectures();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-pack-'));
});

describe('packZoo / unpackZoo', () => {
  it('packs, and openZoo unpacks a deleted folder and reads verified weights', () => {
    const dir = smallZoo('a');
    const before = openZoo(dir).finals().map((e) => e.id);
    const p = packZoo(dir);
    expect(p).toMatchObject({ file: `${dir}.tar.gz`, files: 10 });
    expect(fs.readFileSync(`${p.file}.sha256`, 'utf8')).toBe(`${sha256(fs.readFileSync(p.file))}  a.tar.gz\n`);
    fs.rmSync(dir, { recursive: true });
    const zoo = openZoo(dir);
    expect(zoo.finals().map((e) => e.id)).toEqual(before);
    expect(zoo.flat(zoo.finals()[0]).length).toBe(zoo.finals()[0].params);
    expect(unpackZoo(dir)).toBe('current');
    expect(fs.readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]); // no temp folder left
    // the reader still checks each weight file against the manifest
    const e = zoo.finals()[1];
    const w = path.join(dir, e.weights.file);
    const bytes = fs.readFileSync(w);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(w, bytes);
    expect(() => openZoo(dir).flat(e)).toThrow(new RegExp(`${path.basename(w)}: checksum`));
  });

  it('gives the same bytes for the same folder, whatever the mtimes and modes', () => {
    const dir = smallZoo('b');
    const first = fs.readFileSync(packZoo(dir).file);
    fs.chmodSync(path.join(dir, 'config.json'), 0o755);
    fs.utimesSync(path.join(dir, 'manifest.json'), new Date(), new Date(2_000_000_000_000));
    fs.writeFileSync(path.join(dir, `manifest.json.${deadPid()}.0a1b2c3d.tmp`), 'a killed write'); // left out
    expect(fs.readFileSync(packZoo(dir).file).equals(first)).toBe(true);
    fs.writeFileSync(path.join(dir, 'config.json'), '{}\n');
    expect(fs.readFileSync(packZoo(dir).file).equals(first)).toBe(false);
  });

  it('cleans a killed unpack and does it again', () => {
    const dir = smallZoo('c');
    packZoo(dir);
    fs.rmSync(dir, { recursive: true });
    const pid = deadPid();
    const killed = path.join(root, `.c.${pid}.0123abcd.unpacking`), swapped = path.join(root, `.c.${pid}.4567abcd.stale`);
    fs.mkdirSync(path.join(killed, 'weights'), { recursive: true });
    fs.writeFileSync(path.join(killed, 'config.json'), '{"name": "half'); // torn
    fs.mkdirSync(swapped);
    const live = path.join(root, `.c.${process.pid}.89abcdef.unpacking`); // this process: not removed
    fs.mkdirSync(live);
    expect(unpackZoo(dir)).toBe('unpacked');
    expect(fs.existsSync(killed) || fs.existsSync(swapped)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live, { recursive: true });
    expect(openZoo(dir).entries).toHaveLength(8);
  });

  it('refuses a corrupt pack with one line naming it and the fix', () => {
    const dir = smallZoo('d');
    const { file } = packZoo(dir);
    fs.rmSync(dir, { recursive: true });
    const good = fs.readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] ^= 0xff;
    fs.writeFileSync(file, bad);
    let message = '';
    try {
      openZoo(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(new RegExp(`^${file}: corrupt zoo pack \\(sha256 .*git checkout -- ${file} .*igpg zoo build --config <zoo config> --out ${dir}.*igpg zoo pack ${dir}`));
    expect(message).not.toContain('\n');
    expect(fs.existsSync(dir)).toBe(false);
    // a pack whose checksum record matches but whose bytes are not a gzip tar: the same message, from the unpack
    fs.writeFileSync(file, 'not a tar');
    fs.writeFileSync(`${file}.sha256`, `${sha256('not a tar')}  d.tar.gz\n`);
    expect(() => openZoo(dir)).toThrow(/corrupt zoo pack \(.*igpg zoo pack/);
    fs.rmSync(`${file}.sha256`);
    expect(() => openZoo(dir)).toThrow(/d\.tar\.gz\.sha256: missing or not a sha256 line/);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('.d.'))).toEqual([]);
  });

  it('replaces a copy unpacked from an older pack, and never silently uses a folder the pack did not make', () => {
    const dir = smallZoo('e');
    const oldSha = packZoo(dir).sha256; // 8 entries
    const manifest = fs.readFileSync(path.join(dir, 'manifest.json'));
    const m = readJson<ZooManifest>(path.join(dir, 'manifest.json'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, entries: m.entries.slice(1) }, null, 2));
    const q = packZoo(dir); // the newer pack (a pull brings it): 7 entries
    // the folder as it was unpacked from the older pack
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifest);
    fs.writeFileSync(path.join(dir, '.pack-sha256'), `${oldSha}\n`);
    expect(unpackZoo(dir)).toBe('replaced');
    expect(fs.readFileSync(path.join(dir, '.pack-sha256'), 'utf8').trim()).toBe(q.sha256);
    expect(openZoo(dir).entries).toHaveLength(7);
    // a checkout that deleted the files but left the mark (untracked) behind: replaced, not taken as current
    for (const f of fs.readdirSync(dir)) if (f !== '.pack-sha256') fs.rmSync(path.join(dir, f), { recursive: true });
    expect(unpackZoo(dir)).toBe('replaced');
    expect(openZoo(dir).entries).toHaveLength(7);
    // a folder without the mark: the same zoo is adopted, another one is refused and left alone
    fs.rmSync(path.join(dir, '.pack-sha256'));
    expect(unpackZoo(dir)).toBe('adopted');
    fs.rmSync(dir, { recursive: true });
    smallZoo('e'); // 8 entries, no mark: a local rebuild, say
    expect(() => openZoo(dir)).toThrow(/e: this zoo folder differs from .*e\.tar\.gz and was not unpacked from it; .*igpg zoo pack/);
    expect(readJson<ZooManifest>(path.join(dir, 'manifest.json')).entries).toHaveLength(8);
  });
});
