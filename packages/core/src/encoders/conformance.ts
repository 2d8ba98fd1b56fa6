import * as tf from '@tensorflow/tfjs-core';
import type { InstructionEncoder } from './instruction';
import { createInstructionEncoder } from './registry';

// What the prior relies on from an instruction encoder, checked on a real one (a user's own included): the shape and
// values of encode(), rows that do not depend on the rest of the batch (the prior encodes mixed batches), no tensor
// left behind, and a config from which the registered factory rebuilds the same encoder (a prior checkpoint holds only
// the config and the variables' values).

/** Instructions the check encodes by default: worded differently, about different tasks. */
const CONFORMANCE_INSTRUCTIONS = ['classify handwritten digits 0 to 4', 'tell a sandal from a sneaker', 'is it a four or a nine?'];

export interface CheckInstructionEncoderOptions {
  /** Instructions to encode (at least two, not all meaning the same; default CONFORMANCE_INSTRUCTIONS). */
  instructions?: string[];
  /** Rebuild the encoder from config() through its registered factory and compare (default true). */
  rebuild?: boolean;
  /** Largest difference allowed between values that must be equal (default 1e-5). */
  tolerance?: number;
}

/** Plain JSON data: what JSON.stringify writes back unchanged (no functions, class instances, NaN or undefined). */
const isJson = (v: unknown): boolean =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
  || (Array.isArray(v) && v.every(isJson))
  || (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.values(v as object).every(isJson));

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * Check an instruction encoder against the interface the prior uses; throws one error listing every problem found.
 * The encoder itself is left as it was (the rebuilt copy is disposed).
 * @example registerInstructionEncoder({ name: 'keyword-counts', create: (c) => keywords(c) }); checkInstructionEncoder(keywords({ words: ['digit', 'shoe'] }));
 */
export function checkInstructionEncoder(encoder: InstructionEncoder, options: CheckInstructionEncoderOptions = {}): void {
  const texts = options.instructions ?? CONFORMANCE_INSTRUCTIONS;
  const tol = options.tolerance ?? 1e-5;
  if (texts.length < 2) throw new Error('checkInstructionEncoder: give at least two instructions to encode');
  const problems: string[] = [];
  const fail = (p: string) => problems.push(p);
  const kind = (encoder as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !kind) fail(`kind must be a non-empty string, got ${JSON.stringify(kind)}`);
  if (!Number.isInteger(encoder.dim) || encoder.dim < 1) fail(`dim must be a positive integer, got ${JSON.stringify(encoder.dim)}`);
  const vars = encoder.variables ?? {};
  for (const [name, v] of Object.entries(vars)) if (!(v instanceof tf.Variable)) fail(`variables.${name} is not a tf.Variable`);

  /** encode(ts) as plain rows, or null after recording why not. */
  const rows = (enc: InstructionEncoder, ts: string[], what: string): Float32Array[] | null => {
    const before = tf.memory().numTensors;
    let out: tf.Tensor | undefined;
    try {
      out = enc.encode(ts);
      if (!(out instanceof tf.Tensor)) { fail(`${what}: encode() must return a tf.Tensor2D, got ${typeof out}`); return null; }
      if (out.rank !== 2 || out.shape[0] !== ts.length || out.shape[1] !== enc.dim) { fail(`${what}: encode(${ts.length} instructions) gave shape [${out.shape.join(', ')}], expected [${ts.length}, ${enc.dim}]`); return null; }
      if (out.dtype !== 'float32') { fail(`${what}: encode() gave ${out.dtype}, expected float32`); return null; }
      const flat = out.dataSync() as Float32Array;
      if (!flat.every(Number.isFinite)) { fail(`${what}: encode() gave non-finite values`); return null; }
      return ts.map((_, i) => flat.slice(i * enc.dim, (i + 1) * enc.dim));
    } catch (e) {
      fail(`${what}: encode() threw: ${(e as Error).message.split('\n')[0]}`);
      return null;
    } finally {
      out?.dispose?.();
      const left = tf.memory().numTensors - before;
      if (left > 0) fail(`${what}: encode() left ${left} tensor${left > 1 ? 's' : ''} behind (wrap its ops in tf.tidy)`);
    }
  };

  const batch = problems.length ? null : rows(encoder, texts, 'batch');
  if (batch) {
    texts.forEach((t, i) => {
      const one = rows(encoder, [t], `alone ${JSON.stringify(t)}`);
      if (one && maxDiff(one[0], batch[i]) > tol) fail(`row ${i} of a batch differs from the same instruction encoded alone (max |diff| ${maxDiff(one[0], batch[i]).toExponential(2)}): rows must not depend on the rest of the batch`);
    });
    const again = rows(encoder, texts, 'again');
    if (again && again.some((r, i) => maxDiff(r, batch[i]) > tol)) fail('encode() is not deterministic: the same instructions gave different vectors');
    if (batch.every((r) => maxDiff(r, batch[0]) <= tol)) fail(`every instruction gave the same vector: the encoder carries no information about the task (${texts.length} instructions tried)`);
  }

  let config: unknown;
  try {
    config = encoder.config();
  } catch (e) {
    fail(`config() threw: ${(e as Error).message.split('\n')[0]}`);
  }
  const json = isJson(config) && typeof config === 'object' && config !== null && !Array.isArray(config);
  if (!json && config !== undefined) fail('config() must return a plain JSON object (it is saved in the prior checkpoint)');
  if ((options.rebuild ?? true) && batch && typeof kind === 'string' && json) rebuildCheck(encoder, kind, config as Record<string, unknown>, texts, batch, tol, fail, rows);
  if (problems.length) throw new Error(`instruction encoder "${String(kind)}" does not conform:\n  - ${problems.join('\n  - ')}`);
}

let rebuilt = 0;

/** Rebuild from config() through the registry, copy the variables' values (what loadPrior does), compare; dispose. */
function rebuildCheck(encoder: InstructionEncoder, kind: string, config: Record<string, unknown>, texts: string[], batch: Float32Array[], tol: number,
  fail: (p: string) => void, rows: (enc: InstructionEncoder, ts: string[], what: string) => Float32Array[] | null): void {
  const before = tf.memory().numTensors;
  let copy: InstructionEncoder | undefined;
  try {
    copy = createInstructionEncoder({ ...config, kind }, `conformance/${kind}/${rebuilt++}`);
  } catch (e) {
    fail(`rebuilding it from config() through the registry failed: ${(e as Error).message.split('\n')[0]} (a prior checkpoint rebuilds its encoder this way: register a factory that makes it from config(), registerInstructionEncoder({ name: '${kind}', create }))`);
    return;
  }
  try {
    const names = Object.keys(encoder.variables), copyNames = Object.keys(copy.variables);
    if (names.join() !== copyNames.join()) { fail(`the rebuilt encoder has variables [${copyNames.join(', ')}], the original [${names.join(', ')}]`); return; }
    for (const n of names) {
      if (copy.variables[n].shape.join() !== encoder.variables[n].shape.join()) { fail(`variables.${n}: the rebuilt encoder's shape [${copy.variables[n].shape.join(', ')}] differs from [${encoder.variables[n].shape.join(', ')}]`); return; }
      copy.variables[n].assign(encoder.variables[n]);
    }
    const again = rows(copy, texts, 'rebuilt');
    if (again && again.some((r, i) => maxDiff(r, batch[i]) > tol)) fail('the encoder rebuilt from config() (same variable values) encodes differently: config() must hold everything encode() depends on');
  } finally {
    const vars = Object.values(copy.variables);
    copy.dispose();
    if (vars.some((v) => !v.isDisposed)) fail('dispose() left variables undisposed');
    const left = tf.memory().numTensors - before;
    if (left > 0) fail(`building and disposing the encoder left ${left} tensor${left > 1 ? 's' : ''} behind`);
  }
}
