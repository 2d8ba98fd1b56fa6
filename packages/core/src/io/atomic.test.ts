import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileVerified, readJson, sha256, writeFileAtomic } from './atomic';

describe('atomic writes and verified reads', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-atomic-'));
  it('writes, leaves no temp file, and verifies size and checksum', () => {
    const f = path.join(dir, 'a', 'b.bin');
    const data = new Uint8Array([1, 2, 3, 4]);
    writeFileAtomic(f, data);
    expect(fs.readdirSync(path.dirname(f))).toEqual(['b.bin']);
    expect([...readFileVerified(f, { size: 4, sha256: sha256(data) })]).toEqual([1, 2, 3, 4]);
  });
  it('detects truncation, corruption and bad JSON', () => {
    const f = path.join(dir, 'c.bin');
    writeFileAtomic(f, new Uint8Array([9, 9, 9]));
    expect(() => readFileVerified(f, { size: 4 })).toThrow(/size 3 bytes, expected 4/);
    expect(() => readFileVerified(f, { sha256: sha256('x') })).toThrow(/checksum/);
    fs.writeFileSync(path.join(dir, 'd.json'), '{oops');
    expect(() => readJson(path.join(dir, 'd.json'))).toThrow(/not valid JSON/);
    expect(() => readJson(path.join(dir, 'nope.json'))).toThrow(/cannot read \(ENOENT\)/);
  });
});

describe('cleanStaleTemps', () => {
  it('removes temp files of dead writers only, at any depth', async () => {
    const { cleanStaleTemps } = await import('./atomic');
    const { spawnSync } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-stale-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout; // exited: its pid is free
    fs.mkdirSync(path.join(dir, 'run'));
    const stale = path.join(dir, 'run', `weights-10.safetensors.${dead}.0a1b2c3d.tmp`);
    const live = path.join(dir, `checkpoint.json.${process.pid}.deadbeef.tmp`);
    const other = path.join(dir, 'notes.tmp');
    for (const f of [stale, live, other]) fs.writeFileSync(f, 'x');
    expect(cleanStaleTemps(dir)).toEqual([stale]);
    expect(fs.existsSync(live) && fs.existsSync(other)).toBe(true);
  });
});
