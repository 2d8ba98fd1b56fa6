import { describe, expect, it } from 'vitest';
import { decodeTensors, encodeTensors } from './tensorFile';

const bytesOf = () => encodeTensors({
  'var/a': { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
  'opt/0': { dtype: 'int32', shape: [1], data: new Int32Array([7]) },
});

/** Rewrite the JSON header of encoded bytes (same length, so the data stays in place). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const h = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
  edit(h);
  const json = JSON.stringify(h).padEnd(n, ' ');
  const out = new Uint8Array(bytes);
  out.set(Buffer.from(json), 8);
  return out;
}

describe('checkpoint tensor files', () => {
  it('round-trips float32 and int32', () => {
    const { tensors } = decodeTensors(bytesOf(), 'w.safetensors');
    expect([...tensors['var/a'].data]).toEqual([1, 2]);
    expect(tensors['opt/0'].data).toBeInstanceOf(Int32Array);
  });
  it('names the file, the tensor and the defect: NaN, overlap, truncation, bad header', () => {
    const nan = bytesOf();
    const n = Number(new DataView(nan.buffer).getBigUint64(0, true));
    new DataView(nan.buffer).setFloat32(8 + n, NaN, true);
    expect(() => decodeTensors(nan, 'w.safetensors')).toThrow(/^w\.safetensors: tensor "var\/a" holds a non-finite value \(NaN\) at flat index 0/);
    const overlap = withHeader(bytesOf(), (h) => { h['opt/0'].data_offsets = [4, 8]; });
    expect(() => decodeTensors(overlap, 'w.safetensors')).toThrow(/w\.safetensors: tensor "opt\/0": data_offsets \[4, 8\] overlap/);
    expect(() => decodeTensors(bytesOf().subarray(0, bytesOf().length - 2), 'w.safetensors')).toThrow(/w\.safetensors: tensor ".*": data_offsets .* run past .*truncated/);
    expect(() => decodeTensors(new Uint8Array(5), 'w.safetensors')).toThrow(/w\.safetensors: truncated/);
    const garbage = withHeader(bytesOf(), (h) => { h['var/a'].shape = [3]; });
    expect(() => decodeTensors(garbage, 'w.safetensors')).toThrow(/tensor "var\/a": 8 bytes for shape \[3\], expected 12/);
  });
});
