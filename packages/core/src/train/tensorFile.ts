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

/**
 * Decode safetensors bytes into named host tensors (copies, so they outlive the buffer). Every defect is named
 * with the file and the tensor: truncation, bad header, offsets that overlap, leave gaps or run past the end,
 * a size that does not fit the shape, non-finite values (issue #16: a NaN checkpoint used to load silently).
 */
export function decodeTensors(bytes: Uint8Array, what = 'tensor file'): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new Error(`${what}: ${msg}`);
  };
  if (bytes.length < 8) fail(`truncated (${bytes.length} bytes; too short to be a safetensors file)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) fail(`header length ${n} runs past the ${bytes.length}-byte file (truncated?)`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return fail('header is not a JSON object');
  const base = 8 + n;
  const dataBytes = bytes.length - base;
  const spans: { name: string; a: number; b: number }[] = [];
  const tensors: Record<string, HostTensor> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = FROM_ST[h?.dtype];
    if (!dtype) fail(`tensor "${name}" has dtype ${JSON.stringify(h?.dtype)}; only F32 and I32 are supported`);
    const shape = h.shape as number[];
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`tensor "${name}": bad shape ${JSON.stringify(h.shape)}`);
    const offs = h.data_offsets as [number, number];
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isInteger(o) || o < 0) || offs[0] > offs[1]) fail(`tensor "${name}": bad data_offsets ${JSON.stringify(offs)}`);
    const [a, b] = offs;
    if (b > dataBytes) fail(`tensor "${name}": data_offsets [${a}, ${b}] run past the ${dataBytes} data bytes (truncated?)`);
    const want = shape.reduce((x, y) => x * y, 1) * 4;
    if (b - a !== want) fail(`tensor "${name}": ${b - a} bytes for shape [${shape}], expected ${want}`);
    spans.push({ name, a, b });
    const raw = new Uint8Array(bytes.subarray(base + a, base + b)); // a copy (Buffer.slice would be a view): aligned, owned
    const data = dtype === 'float32' ? new Float32Array(raw.buffer) : new Int32Array(raw.buffer);
    if (dtype === 'float32') {
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) fail(`tensor "${name}" holds a non-finite value (${data[bad]}) at flat index ${bad}; the checkpoint is corrupt: retrain or restore it`);
    }
    tensors[name] = { dtype, shape, data };
  }
  spans.sort((x, y) => x.a - y.a);
  let at = 0;
  for (const sp of spans) {
    if (sp.a < at) fail(`tensor "${sp.name}": data_offsets [${sp.a}, ${sp.b}] overlap the previous tensor (which ends at ${at})`);
    at = sp.b;
  }
  return { tensors, metadata: (header as Record<string, any>).__metadata__ ?? {} };
}
