import { readFileSync, existsSync } from 'node:fs';
import { writeFileAtomic, FileIntegrityError } from './atomic';
import { getArchitecture } from '../sdk/architecture';
import { fromLayout, layoutShape, toLayout, type WeightLayout } from '../sdk/layout';
import type { ParamInfo } from '../sdk/types';
import { flattenRecord, weightRecord, type NetworkWeights } from '../sdk/weights';

/**
 * safetensors, hand-written from the published format (https://github.com/huggingface/safetensors), on purpose:
 * npm has no maintained reader/writer of the format (the packages there are unmaintained wrappers or stubs), the
 * format is small and fully specified, and we need its every structural check (offsets tiling the buffer, header
 * limits, dtypes) to turn a corrupt file into a clear error instead of garbage weights.
 *   [8 bytes: N, u64 little-endian][N bytes: JSON header, space-padded][tensor bytes]
 * The header maps tensor names to { dtype, shape, data_offsets: [begin, end] } (offsets relative
 * to the start of the tensor bytes) plus an optional "__metadata__" string -> string map.
 * Tensors must exactly tile the byte buffer: no gaps, no overlaps. All data is little-endian.
 * We write F32 and I32, and read F32, F16, BF16 and F64 (converted to float32) and, when asked (`int32: true`,
 * training checkpoints: optimizer step counters), I32 as Int32Array.
 */

/** A tensor read from or written to a safetensors file (values as float32). */
export interface SafeTensor {
  shape: number[];
  data: Float32Array;
  /** The dtype in the file (what was read); writing a Float32Array always uses F32. */
  dtype?: SafeDtype;
}

/** An int32 tensor (written as I32; read back only with `int32: true`). */
export interface SafeInt32Tensor {
  shape: number[];
  data: Int32Array;
  dtype?: 'I32';
}

export type SafeDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32';
const DTYPE_BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4 };
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];
const MAX_HEADER = 100_000_000; // the reference implementation's limit

/** Raised for a malformed or corrupt safetensors buffer. */
export class SafetensorsError extends FileIntegrityError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Serialize named float32 (F32) and int32 (I32) tensors (in the given key order) with string metadata.
 * @example const bytes = encodeSafetensors({ 'fc.weight': { shape: [2, 3], data } }, { arch: 'mlp' });
 */
export function encodeSafetensors(tensors: Record<string, SafeTensor | SafeInt32Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`tensor "${name}": ${t.data.length} values do not fill shape [${t.shape}]`);
    if (!(t.data instanceof Float32Array) && !(t.data instanceof Int32Array)) throw new Error(`tensor "${name}": data must be a Float32Array or an Int32Array`);
    header[name] = { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8; // align the tensor bytes to 8
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of Object.values(tensors)) {
    const bytes = LITTLE_ENDIAN ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : toLE(t.data);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/** Options for `decodeSafetensors` / `readSafetensors`. */
export interface SafetensorsReadOptions {
  /** Accept NaN/Inf values (default false: a non-finite weight is an error naming the tensor). */
  allowNonFinite?: boolean;
  /** Name used in error messages (a file path). */
  source?: string;
  /** Return I32 tensors as Int32Array (training checkpoints); without it an I32 tensor is an error. */
  int32?: boolean;
}

/**
 * Parse a safetensors buffer, checking every structural rule; returns tensors (as float32, and I32 as Int32Array
 * with `int32: true`) in file order.
 * @example const { tensors, metadata } = decodeSafetensors(fs.readFileSync('w.safetensors'));
 */
export function decodeSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions & { int32: true }): { tensors: Record<string, SafeTensor | SafeInt32Tensor>; metadata: Record<string, string> };
export function decodeSafetensors(bytes: Uint8Array, options?: SafetensorsReadOptions): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> };
export function decodeSafetensors(
  bytes: Uint8Array,
  options: SafetensorsReadOptions = {},
): { tensors: Record<string, SafeTensor | SafeInt32Tensor>; metadata: Record<string, string> } {
  const src = options.source ?? 'safetensors buffer';
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${src}: ${msg}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(`bad header length ${n} (over the ${MAX_HEADER}-byte limit; not a safetensors file?)`);
  if (n > BigInt(bytes.length - 8)) fail(`header length ${n} runs past the end of the ${bytes.length}-byte file (truncated or not safetensors)`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header must be a JSON object');
  const body = bytes.subarray(8 + headerLen);

  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!value || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string')) fail('__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!v || typeof v !== 'object') fail(`tensor "${name}": entry must be an object`);
    const { dtype, shape, data_offsets: offs } = v;
    const readable = options.int32 ? Object.keys(DTYPE_BYTES) : FLOAT_DTYPES;
    if (typeof dtype !== 'string' || !readable.includes(dtype)) {
      fail(`tensor "${name}": dtype ${JSON.stringify(dtype)} is not supported (readable: ${readable.join(', ')})`);
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isInteger(o) || o < 0)) fail(`tensor "${name}": data_offsets must be [begin, end], got ${JSON.stringify(offs)}`);
    const [begin, end] = offs as number[];
    if (begin > end) fail(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
    if (end > body.length) fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the ${body.length} data bytes (truncated file?)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = count * DTYPE_BYTES[dtype as SafeDtype];
    if (end - begin !== want) fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype}, expected ${want}`);
    entries.push({ name, dtype: dtype as SafeDtype, shape: shape as number[], begin, end });
  }
  // The tensors must tile the data exactly: sorted by offset, each starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${at})`);
    if (e.begin > at) fail(`tensor "${e.name}": gap of ${e.begin - at} bytes before it at offset ${at} (offsets do not cover the buffer)`);
    at = e.end;
  }
  if (at !== body.length) fail(`tensors cover ${at} of ${body.length} data bytes (trailing bytes; offsets do not cover the buffer)`);

  const tensors: Record<string, SafeTensor | SafeInt32Tensor> = {};
  for (const e of entries) {
    if (e.dtype === 'I32') {
      tensors[e.name] = { shape: e.shape, data: toInt32(body.subarray(e.begin, e.end)), dtype: 'I32' };
      continue;
    }
    const data = toFloat32(body.subarray(e.begin, e.end), e.dtype);
    if (!options.allowNonFinite) {
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) fail(`tensor "${e.name}" holds a non-finite value (${data[bad]}) at flat index ${bad}; refusing to import`);
    }
    tensors[e.name] = { shape: e.shape, data, dtype: e.dtype };
  }
  return { tensors, metadata };
}

/** Write tensors + metadata to a .safetensors file atomically. */
export function writeSafetensors(file: string, tensors: Record<string, SafeTensor | SafeInt32Tensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Read and check a .safetensors file (float tensors; see decodeSafetensors for `int32`). */
export function readSafetensors(file: string, options: SafetensorsReadOptions = {}): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (!existsSync(file)) throw new SafetensorsError(`${file}: file not found`);
  return decodeSafetensors(readFileSync(file), { allowNonFinite: options.allowNonFinite, source: options.source ?? file });
}

function toLE(data: Float32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  if (data instanceof Int32Array) data.forEach((x, i) => dv.setInt32(4 * i, x, true));
  else data.forEach((x, i) => dv.setFloat32(4 * i, x, true));
  return out;
}

function toInt32(bytes: Uint8Array): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(new Uint8Array(bytes).buffer); // a copy: aligned, owned
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int32Array.from({ length: bytes.length / 4 }, (_, i) => dv.getInt32(4 * i, true));
}

function toFloat32(bytes: Uint8Array, dtype: SafeDtype): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / DTYPE_BYTES[dtype];
  if (dtype === 'F32' && LITTLE_ENDIAN) return new Float32Array(new Uint8Array(bytes).buffer); // copy (Buffer.slice would not copy): aligned, owned
  const out = new Float32Array(n);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (dtype === 'F32') out[i] = dv.getFloat32(4 * i, true);
    else if (dtype === 'F64') out[i] = dv.getFloat64(8 * i, true);
    else if (dtype === 'BF16') u32[i] = dv.getUint16(2 * i, true) << 16;
    else out[i] = halfToFloat(dv.getUint16(2 * i, true));
  }
  return out;
}

/** IEEE 754 half precision -> number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// ---- networks: canonical names, optional PyTorch layout, arch + spec in the metadata ----

/** Options for `saveNetworkSafetensors`. */
export interface SafetensorsExportOptions {
  /** 'tfjs' (default) stores our layout; 'torch' stores PyTorch layout so `load_state_dict` takes it by name. */
  layout?: WeightLayout;
  /** Extra metadata (string values). */
  metadata?: Record<string, string>;
}

/**
 * Save a network's weights as safetensors, named by its canonical (PyTorch state_dict) names.
 * With layout 'torch': `model.load_state_dict(safetensors.torch.load_file(file))` in PyTorch.
 * @example saveNetworkSafetensors('cnn.safetensors', networkWeights(net), { layout: 'torch' });
 */
export function saveNetworkSafetensors(file: string, weights: NetworkWeights, options: SafetensorsExportOptions = {}): void {
  writeFileAtomic(file, encodeNetworkSafetensors(weights, options));
}

/** The bytes `saveNetworkSafetensors` writes (the zoo queue ships them from worker to coordinator). */
export function encodeNetworkSafetensors(weights: NetworkWeights, options: SafetensorsExportOptions = {}): Uint8Array {
  const layout = options.layout ?? 'tfjs';
  if (layout !== 'tfjs' && layout !== 'torch') throw new Error(`layout must be "tfjs" or "torch", got ${JSON.stringify(layout)}`);
  const record = weightRecord(weights.infos, weights.flat);
  const tensors: Record<string, SafeTensor> = {};
  for (const info of weights.infos) {
    tensors[info.name] = { shape: layoutShape(info, layout), data: toLayout(info, record[info.name].data, layout) };
  }
  const metadata: Record<string, string> = {
    ...options.metadata,
    'igpg.arch': weights.arch,
    'igpg.spec': JSON.stringify(weights.spec),
    'igpg.layout': layout,
  };
  if (layout === 'torch') metadata.format = 'pt';
  return encodeSafetensors(tensors, metadata);
}

/**
 * Load network weights saved by `saveNetworkSafetensors` (either layout; read from the metadata),
 * returned in tfjs layout and canonical order. `infos` defaults to the registered architecture's description.
 * @example const w = loadNetworkSafetensors('cnn.safetensors'); assignWeights(net, w.flat);
 */
export function loadNetworkSafetensors(file: string, infos?: ParamInfo[]): NetworkWeights & { layout: WeightLayout; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(file);
  const arch = metadata['igpg.arch'];
  const layout = (metadata['igpg.layout'] ?? 'tfjs') as WeightLayout;
  if (layout !== 'tfjs' && layout !== 'torch') throw new SafetensorsError(`${file}: unknown layout "${layout}" in metadata`);
  let spec: Record<string, unknown> = {};
  if (metadata['igpg.spec'] !== undefined) {
    try {
      spec = JSON.parse(metadata['igpg.spec']);
    } catch (e) {
      throw new SafetensorsError(`${file}: metadata "igpg.spec" is not valid JSON (${(e as Error).message})`);
    }
  }
  if (!infos && !arch) throw new SafetensorsError(`${file}: no "igpg.arch" in the metadata; pass the parameter list (describe(spec)) explicitly`);
  const list = infos ?? getArchitecture(arch).describe(spec);
  const record: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const info = list.find((i) => i.name === name);
    if (!info) {
      record[name] = t; // flattenRecord reports it as unexpected
      continue;
    }
    const want = layoutShape(info, layout);
    if (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
      throw new SafetensorsError(`${file}: tensor "${name}" has shape [${t.shape}], expected [${want}] (${layout} layout)`);
    }
    record[name] = { shape: [...info.shape], data: fromLayout(info, t.data, layout) };
  }
  let flat: Float32Array;
  try {
    flat = flattenRecord(list, record);
  } catch (e) {
    throw new SafetensorsError(`${file}: ${(e as Error).message}`);
  }
  return { arch: arch ?? '', spec, infos: list, flat, layout, metadata };
}
