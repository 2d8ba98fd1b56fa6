import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** A parsed idx file (the MNIST file format): unsigned-byte data and its dimensions. */
interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parse an idx file (optionally gzipped). Only unsigned-byte data (type 0x08) is supported, which is
 * what MNIST and Fashion-MNIST use. Header: 0x00 0x00 type ndim, then ndim big-endian uint32 sizes.
 */
export function parseIdx(bytes: Uint8Array, what = 'idx file'): IdxArray {
  const buf = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${what}: not an idx file (bad magic number)`);
  if (buf[2] !== 0x08) throw new Error(`${what}: idx data type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const ndim = buf[3];
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * ndim;
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - start !== count) throw new Error(`${what}: ${buf.length - start} data bytes, header says ${count} (truncated file?)`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

/** Read and parse an idx(.gz) file from disk. */
export function readIdx(file: string): IdxArray {
  return parseIdx(fs.readFileSync(file), file);
}
