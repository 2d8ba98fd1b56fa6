/**
 * Named tensors <-> bytes, in the safetensors layout (8-byte little-endian header length, JSON header,
 * raw little-endian data), so checkpoints open in Python's `safetensors` too.
 * Kept private to train/: core's io/safetensors.ts is the public reader/writer; this one only serves checkpoints.
 */

export type TensorDType = 'float32' | 'int32';

/** A tensor's data on the host. */
export interface HostTensor {
  dtype: TensorDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

const ST_DTYPE: Record<TensorDType, string> = { float32: 'F32', int32: 'I32' };
const FROM_ST: Record<string, TensorDType> = { F32: 'float32', I32: 'int32' };

/** Encode named host tensors (insertion order kept) as safetensors bytes. */
export function encodeTensors(tensors: Record<string, HostTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`tensor "${name}": shape [${t.shape}] holds ${size} values but data has ${t.data.length}`);
    header[name] = { dtype: ST_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as the spec recommends
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Decode safetensors bytes into named host tensors (copies, so they outlive the buffer). */
export function decodeTensors(bytes: Uint8Array, what = 'tensor file'): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${what}: too short to be a safetensors file`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${what}: header length ${n} exceeds the file size`);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, any>;
  const base = 8 + n;
  const tensors: Record<string, HostTensor> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = FROM_ST[h.dtype];
    if (!dtype) throw new Error(`${what}: tensor "${name}" has dtype ${h.dtype}; only F32 and I32 are supported`);
    const [a, b] = h.data_offsets as [number, number];
    const raw = new Uint8Array(bytes.subarray(base + a, base + b)); // a copy (Buffer.slice would be a view): aligned, owned
    tensors[name] = { dtype, shape: h.shape, data: dtype === 'float32' ? new Float32Array(raw.buffer) : new Int32Array(raw.buffer) };
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
