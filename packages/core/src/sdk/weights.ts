import * as tf from '@tensorflow/tfjs-core';
import { countParams, getArchitecture } from './architecture';
import type { Network, ParamInfo } from './types';

/** One named tensor's values in tfjs layout. */
interface WeightEntry {
  shape: number[];
  data: Float32Array;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * All parameters of a network concatenated in canonical order (tfjs layout, row-major).
 * @example const flat = flattenWeights(net); // Float32Array(2464) for cnn-s
 */
export function flattenWeights(network: Network): Float32Array {
  const total = network.params.reduce((n, p) => n + p.size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const p of network.params) {
    flat.set(p.dataSync() as Float32Array, offset);
    offset += p.size;
  }
  return flat;
}

/**
 * Split a flat vector back into named tensors, in canonical order (the inverse of `flattenWeights`).
 * The arrays are views into `flat` (no copy).
 */
export function unflattenWeights(infos: ParamInfo[], flat: Float32Array): Map<string, Float32Array> {
  const expected = countParams(infos);
  if (flat.length !== expected) {
    throw new Error(`weight vector has ${flat.length} values but the architecture has ${expected} parameters`);
  }
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const info of infos) {
    const n = size(info.shape);
    out.set(info.name, flat.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

/** The inverse of `unflattenWeights`: named tensors (every name of `infos`) concatenated in canonical order. */
export function flattenWeightMap(infos: ParamInfo[], tensors: Map<string, Float32Array>): Float32Array {
  const flat = new Float32Array(countParams(infos));
  let offset = 0;
  for (const info of infos) {
    const t = tensors.get(info.name);
    if (!t) throw new Error(`missing tensor "${info.name}"`);
    flat.set(t, offset);
    offset += t.length;
  }
  return flat;
}

/** Named tensors with shapes: name -> { shape, data }, in canonical order. */
export function weightRecord(infos: ParamInfo[], flat: Float32Array): Record<string, WeightEntry> {
  const parts = unflattenWeights(infos, flat);
  const record: Record<string, WeightEntry> = {};
  for (const info of infos) record[info.name] = { shape: [...info.shape], data: parts.get(info.name)! };
  return record;
}

/** Concatenate named tensors back into a flat vector in canonical order, checking names and shapes. */
export function flattenRecord(infos: ParamInfo[], record: Record<string, { shape: number[]; data: Float32Array }>): Float32Array {
  const flat = new Float32Array(countParams(infos));
  const extra = Object.keys(record).filter((k) => !infos.some((i) => i.name === k));
  if (extra.length) throw new Error(`unexpected tensors ${extra.join(', ')} (expected: ${infos.map((i) => i.name).join(', ')})`);
  let offset = 0;
  for (const info of infos) {
    const entry = record[info.name];
    if (!entry) throw new Error(`missing tensor "${info.name}" (have: ${Object.keys(record).join(', ') || 'none'})`);
    if (entry.shape.length !== info.shape.length || entry.shape.some((d, j) => d !== info.shape[j])) {
      throw new Error(`tensor "${info.name}" has shape [${entry.shape}], expected [${info.shape}]`);
    }
    flat.set(entry.data, offset);
    offset += entry.data.length;
  }
  return flat;
}

/**
 * Overwrite a network's parameters from a flat vector in canonical order.
 * @example assignWeights(net, flattenWeights(trained));
 */
export function assignWeights(network: Network, flat: Float32Array): void {
  const total = network.params.reduce((n, p) => n + p.size, 0);
  if (flat.length !== total) throw new Error(`weight vector has ${flat.length} values but network "${network.arch}" has ${total} parameters`);
  let offset = 0;
  for (const p of network.params) {
    const values = tf.tensor(flat.subarray(offset, offset + p.size), p.shape, 'float32');
    p.assign(values);
    values.dispose();
    offset += p.size;
  }
}

/** Everything needed to store a network's weights and rebuild it: architecture name, spec, canonical params, values. */
export interface NetworkWeights {
  arch: string;
  spec: Record<string, unknown>;
  infos: ParamInfo[];
  flat: Float32Array;
}

/**
 * Snapshot a network's weights. `infos` defaults to the registered architecture's `describe(spec)`.
 * @example saveNetworkSafetensors('net.safetensors', networkWeights(net), { layout: 'torch' });
 */
export function networkWeights(network: Network, infos?: ParamInfo[]): NetworkWeights {
  const list = infos ?? getArchitecture(network.arch).describe(network.spec);
  const flat = flattenWeights(network);
  if (flat.length !== countParams(list)) throw new Error(`network "${network.arch}" has ${flat.length} values but its description lists ${countParams(list)}`);
  return { arch: network.arch, spec: network.spec, infos: list, flat };
}
