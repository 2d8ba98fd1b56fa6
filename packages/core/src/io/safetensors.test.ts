import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, loadNetworkSafetensors, readSafetensors, saveNetworkSafetensors, writeSafetensors } from './safetensors';
import { linearArch } from '../sdk/testing-arch.fixture';
import { flattenWeights } from '../sdk/weights';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Build a file by hand from a header object and raw data bytes, the way the format describes. */
function rawFile(header: unknown, data: Uint8Array, headerLen?: number): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const f32 = (...xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

describe('safetensors format', () => {
  it('writes the published layout: u64 LE header length, space-padded JSON, F32 LE data', () => {
    const bytes = encodeSafetensors({ w: { shape: [2], data: Float32Array.from([1, -2]) }, b: { shape: [], data: Float32Array.from([0.5]) } }, { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    expect(header).toEqual({ __metadata__: { k: 'v' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [], data_offsets: [8, 12] } });
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, -2, 0.5]);
  });

  it('reads a hand-built file, including F16, BF16 and F64 tensors (as float32)', () => {
    const data = new Uint8Array(4 + 2 * 2 + 2 + 8);
    const dv = new DataView(data.buffer);
    dv.setFloat32(0, 3.25, true);
    dv.setUint16(4, 0x3c00, true); // f16 1.0
    dv.setUint16(6, 0xc000, true); // f16 -2.0
    dv.setUint16(8, 0x4049, true); // bf16 3.140625
    dv.setFloat64(10, 0.125, true);
    const header = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      h: { dtype: 'F16', shape: [2], data_offsets: [4, 8] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [8, 10] },
      d: { dtype: 'F64', shape: [1], data_offsets: [10, 18] },
    };
    const { tensors, metadata } = decodeSafetensors(rawFile(header, data));
    expect(metadata).toEqual({});
    expect(Array.from(tensors.a.data)).toEqual([3.25]);
    expect(Array.from(tensors.h.data)).toEqual([1, -2]);
    expect(Array.from(tensors.b.data)).toEqual([3.140625]);
    expect(Array.from(tensors.d.data)).toEqual([0.125]);
    expect(tensors.h.dtype).toBe('F16');
  });

  it('writes Int32Array as I32 and reads it back as int32 only when asked (training checkpoints)', () => {
    const bytes = encodeSafetensors({ 'var/a': { shape: [2], data: Float32Array.from([1, 2]) }, 'opt/0': { shape: [1], data: Int32Array.from([-7]) } }, { kind: 't' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString())['opt/0']).toEqual({ dtype: 'I32', shape: [1], data_offsets: [8, 12] });
    const { tensors } = decodeSafetensors(bytes, { int32: true, source: 'w.safetensors' });
    expect(tensors['opt/0'].data).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors['opt/0'].data)).toEqual([-7]);
    expect(Array.from(tensors['var/a'].data)).toEqual([1, 2]);
    // network readers get float tensors only: an I32 tensor there is a clear error
    expect(() => decodeSafetensors(bytes, { source: 'w.safetensors' })).toThrow(/^w\.safetensors: tensor "opt\/0": dtype "I32" is not supported \(readable: F32, F16, BF16, F64\)/);
  });

  it('reads the committed prior checkpoint (written by the former checkpoint codec) and re-encodes it byte for byte', () => {
    const file = path.resolve(__dirname, '../../../../runs/default/prior/weights-1500.safetensors');
    const bytes = fs.readFileSync(file);
    const { tensors, metadata } = decodeSafetensors(bytes, { int32: true, source: file });
    expect(metadata.format).toBe('igpg-checkpoint');
    expect(Object.keys(tensors).length).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(encodeSafetensors(tensors, metadata)), bytes)).toBe(0);
  });

  it('round-trips bit-identically through a file written atomically', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e-3);
    const file = path.join(dir, 'x.safetensors');
    writeSafetensors(file, { x: { shape: [10, 100], data } }, { note: 'hi' });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const back = readSafetensors(file);
    expect(Buffer.from(back.tensors.x.data.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    expect(back.metadata).toEqual({ note: 'hi' });
  });

  describe('rejects corrupt input with a clear error', () => {
    const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['too short', () => new Uint8Array(5), /truncated: 5 bytes/],
      ['huge header length', () => rawFile(good, f32(1, 2), 2 ** 40), /bad header length/],
      ['header past the end', () => rawFile(good, f32(1, 2), 500), /header length 500 runs past the end/],
      ['bad JSON', () => rawFile('{"a": [', f32(1, 2)), /header is not valid JSON/],
      ['truncated data', () => rawFile(good, f32(1)), /data_offsets \[0, 8\] run past the 4 data bytes \(truncated file\?\)/],
      ['size mismatch', () => rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(1, 2)), /8 bytes for shape \[3\] of F32, expected 12/],
      ['overlap', () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /overlap/],
      ['gap', () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /gap of 4 bytes/],
      ['trailing bytes', () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)), /cover 4 of 8 data bytes/],
      ['wrong dtype', () => rawFile({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32(1, 2)), /tensor "a": dtype "I64" is not supported/],
      ['NaN', () => rawFile({ 'layer.3.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1, NaN)), /tensor "layer.3.weight" holds a non-finite value \(NaN\)/],
      ['Inf', () => rawFile({ bias: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(-Infinity, 1)), /tensor "bias" holds a non-finite value \(-Infinity\)/],
    ];
    for (const [what, make, message] of cases) it(what, () => expect(() => decodeSafetensors(make())).toThrow(message));

    it('a truncated file on disk names the file', () => {
      const file = path.join(dir, 't.safetensors');
      writeSafetensors(file, { a: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } });
      fs.truncateSync(file, fs.statSync(file).size - 3);
      expect(() => readSafetensors(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: tensor "a".*truncated`));
    });
  });

  it('saves and loads a network in both layouts, with arch and spec in the metadata', () => {
    const arch = linearArch();
    const s = { inputShape: [3], classes: 2, scale: 1 };
    const net = arch.build(s as never, 4);
    const infos = arch.describe(s as never);
    const flat = flattenWeights(net);
    const file = path.join(dir, 'net.safetensors');
    saveNetworkSafetensors(file, { arch: arch.name, spec: s, infos, flat }, { layout: 'torch' });
    const raw = readSafetensors(file);
    expect(raw.tensors['fc.weight'].shape).toEqual([2, 3]); // PyTorch nn.Linear [out, in]
    expect(raw.metadata).toMatchObject({ 'igpg.arch': 'test-linear', 'igpg.layout': 'torch', format: 'pt' });
    const back = loadNetworkSafetensors(file, infos);
    expect(Buffer.from(back.flat.buffer).equals(Buffer.from(flat.buffer))).toBe(true);
    expect(back.spec).toEqual(s);
    expect(() => loadNetworkSafetensors(file, arch.describe({ inputShape: [4], classes: 2 } as never))).toThrow(/"fc.weight" has shape \[2,3\], expected \[2,4\]/);
    net.dispose();
  });
});
