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
