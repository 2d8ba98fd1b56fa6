import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx } from './idx';

// A 2x3 unsigned-byte idx file: 0x00 0x00 type=0x08 ndim=2, dims 2 and 3 (big-endian uint32), then the bytes.
const raw = Uint8Array.from([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);

describe('parseIdx', () => {
  it('parses plain and gzipped idx files', () => {
    for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
      const { dims, data } = parseIdx(bytes);
      expect(dims).toEqual([2, 3]);
      expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 255]);
    }
  });
  it('rejects truncated files, bad magic and non-byte types', () => {
    expect(() => parseIdx(raw.slice(0, raw.length - 1), 'f')).toThrow(/f: 5 data bytes, header says 6/);
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 0]), 'f')).toThrow(/bad magic/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 0]), 'f')).toThrow(/0xd is not supported/);
  });
});
