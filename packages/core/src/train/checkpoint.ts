import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readFileVerified, readJson, sha256, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { decodeSafetensors, encodeSafetensors, type SafeInt32Tensor, type SafeTensor } from '../io/safetensors';

/**
 * Checkpoints of a training run, one directory per run:
 *   dir/checkpoint.json              format, version, kind, step, config, extra state, weight file + checksum
 *   dir/config.json                  the run's validated config (for people and tools)
 *   dir/weights-<step>.safetensors   variables (`var/<name>`) and optimizer slots (`opt/<i>`, `optvar/<field>`)
 * The weights are written first, then checkpoint.json is renamed into place: that rename is the commit point,
 * so a kill at any moment leaves the previous checkpoint or the new one, never a mix.
 */
export const CHECKPOINT_FORMAT = 'igpg-checkpoint';
const CHECKPOINT_VERSION = 1;

/** What checkpoint.json records. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** What was trained, e.g. 'vqvae' or 'prior'; loading into another kind is an error. */
  kind: string;
  /** Completed optimisation steps. */
  step: number;
  config: unknown;
  extra: Record<string, unknown>;
  weights: { file: string; size: number; sha256: string };
  variables: string[];
  savedAt: string;
}

/** What to save. Variables must have stable, explicit names (e.g. `tf.variable(x, true, 'vqvae/enc/w0')`). */
export interface CheckpointState {
  kind: string;
  step: number;
  config: unknown;
  variables: tf.Variable[];
  optimizer?: tf.Optimizer;
  /** JSON-serialisable run state: data cursor, RNG seed/labels, schedules, anything the loop needs to resume. */
  extra?: Record<string, unknown>;
}

/** Raised when a checkpoint cannot be loaded into the current run (other format version, kind, config or variables). */
export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

const META = 'checkpoint.json';

/** A checkpointed tensor on the host: float32 (F32) or int32 (I32, e.g. an optimizer's step counter). */
type HostTensor = SafeTensor | SafeInt32Tensor;

async function hostOf(t: tf.Tensor): Promise<HostTensor> {
  if (t.dtype === 'float32') return { shape: t.shape.slice(), data: (await t.data()) as Float32Array };
  if (t.dtype === 'int32') return { shape: t.shape.slice(), data: (await t.data()) as Int32Array };
  throw new Error(`cannot checkpoint a ${t.dtype} tensor`);
}

/** The host tensor back as a tf.Tensor of its own dtype. */
const tensorOf = (h: HostTensor) => tf.tensor(h.data, h.shape, h.data instanceof Int32Array ? 'int32' : 'float32');

/** Scalar variables an optimizer keeps outside getWeights() (Adam's accBeta1/accBeta2): saved so resume is bit-exact. */
function optimizerFieldVariables(opt: tf.Optimizer): [string, tf.Variable][] {
  return Object.entries(opt).filter(([, v]) => v instanceof tf.Variable) as [string, tf.Variable][];
}

function checkNames(variables: tf.Variable[]): void {
  const seen = new Set<string>();
  for (const v of variables) {
    if (seen.has(v.name)) throw new Error(`two checkpoint variables share the name "${v.name}"; give each variable a unique name`);
    seen.add(v.name);
  }
}

/**
 * Save a checkpoint atomically and remove the previous weight file.
 * @example await saveCheckpoint('runs/vq', { kind: 'vqvae', step: 100, config, variables, optimizer, extra: { cursor: 100 } });
 */
export async function saveCheckpoint(dir: string, state: CheckpointState): Promise<CheckpointMeta> {
  checkNames(state.variables);
  const tensors: Record<string, HostTensor> = {};
  for (const v of state.variables) tensors[`var/${v.name}`] = await hostOf(v);
  if (state.optimizer) {
    const slots = await state.optimizer.getWeights();
    for (const [i, s] of slots.entries()) tensors[`opt/${i}`] = await hostOf(s.tensor);
    for (const s of slots) if (s.name === 'iter') s.tensor.dispose(); // saveIterations() made a fresh scalar
    for (const [field, v] of optimizerFieldVariables(state.optimizer)) tensors[`optvar/${field}`] = await hostOf(v);
  }
  const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, kind: state.kind, step: String(state.step) });
  const file = `weights-${state.step}.safetensors`;
  writeFileAtomic(path.join(dir, file), bytes);
  writeJsonAtomic(path.join(dir, 'config.json'), state.config);
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: state.kind,
    step: state.step,
    config: state.config,
    extra: state.extra ?? {},
    weights: { file, size: bytes.length, sha256: sha256(bytes) },
    variables: state.variables.map((v) => v.name),
    savedAt: new Date().toISOString(),
  };
  writeJsonAtomic(path.join(dir, META), meta);
  for (const f of fs.readdirSync(dir)) if (/^weights-\d+\.safetensors$/.test(f) && f !== file) fs.rmSync(path.join(dir, f), { force: true });
  return meta;
}

/** The latest checkpoint's metadata in `dir`, or null when there is none. Checks format and version. */
export function readCheckpointMeta(dir: string): CheckpointMeta | null {
  const file = path.join(dir, META);
  if (!fs.existsSync(file)) return null;
  const meta = readJson<CheckpointMeta>(file);
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointMismatchError(`${file}: not an igpg checkpoint (format "${meta.format}")`);
  if (meta.version !== CHECKPOINT_VERSION) {
    throw new CheckpointMismatchError(`${file}: checkpoint format version ${meta.version}, this code reads version ${CHECKPOINT_VERSION}; retrain or convert it`);
  }
  return meta;
}

/** Differences between two JSON configs as `key: saved -> current` lines (top-level and nested paths). */
export function configDiff(saved: unknown, current: unknown, prefix = ''): string[] {
  if (JSON.stringify(saved) === JSON.stringify(current)) return [];
  const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(saved) || !isObj(current)) return [`${prefix || '/'}: ${JSON.stringify(saved)} -> ${JSON.stringify(current)}`];
  const a = saved as Record<string, unknown>, b = current as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => configDiff(a[k], b[k], `${prefix}/${k}`));
}

export interface LoadCheckpointOptions {
  kind: string;
  /** The current run's config; must equal the saved one except under `configMayDiffer` paths (e.g. ['/steps']). */
  config?: unknown;
  configMayDiffer?: string[];
  /** Variables to restore in place, matched by name. */
  variables: tf.Variable[];
  /** A fresh optimizer of the same kind and settings; its slots are restored. */
  optimizer?: tf.Optimizer;
}

/**
 * Restore the latest checkpoint in `dir` into existing variables and optimizer. Returns its metadata, or null if
 * there is none. Errors clearly on other format versions, another kind, a changed config or missing variables.
 * @example const meta = await loadCheckpoint('runs/vq', { kind: 'vqvae', config, variables, optimizer });
 */
export async function loadCheckpoint(dir: string, opts: LoadCheckpointOptions): Promise<CheckpointMeta | null> {
  const meta = readCheckpointMeta(dir);
  if (!meta) return null;
  if (meta.kind !== opts.kind) throw new CheckpointMismatchError(`${dir}: holds a "${meta.kind}" checkpoint, not "${opts.kind}"`);
  if (opts.config !== undefined) {
    const allowed = opts.configMayDiffer ?? [];
    const diff = configDiff(meta.config, opts.config).filter((d) => !allowed.some((p) => d.startsWith(p + ':') || d.startsWith(p + '/')));
    if (diff.length) {
      throw new CheckpointMismatchError(`${dir}: config differs from the checkpoint's, so it cannot resume:\n  ${diff.join('\n  ')}\n` +
        `use the saved config (${path.join(dir, 'config.json')}) or a fresh directory`);
    }
  }
  const bytes = readFileVerified(path.join(dir, meta.weights.file), { size: meta.weights.size, sha256: meta.weights.sha256 });
  const { tensors } = decodeSafetensors(bytes, { int32: true, source: path.join(dir, meta.weights.file) });
  checkNames(opts.variables);
  const missing = opts.variables.filter((v) => !tensors[`var/${v.name}`]).map((v) => v.name);
  if (missing.length) {
    const list = (names: string[]) => names.slice(0, 3).map((n) => `"${n}"`).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
    throw new CheckpointMismatchError(`${path.join(dir, meta.weights.file)}: lacks ${missing.length} of the ${opts.variables.length} variables this model needs (${list(missing)}); ` +
      `it was saved by another model or config: retrain, or point at the matching checkpoint`);
  }
  for (const v of opts.variables) {
    const h = tensors[`var/${v.name}`];
    if (h.shape.join('x') !== v.shape.join('x')) {
      throw new CheckpointMismatchError(`${dir}: variable "${v.name}" has shape [${h.shape}] in the checkpoint but [${v.shape}] here`);
    }
    tf.tidy(() => v.assign(tensorOf(h)));
  }
  if (opts.optimizer) await restoreOptimizer(opts.optimizer, tensors, dir);
  return meta;
}

async function restoreOptimizer(opt: tf.Optimizer, tensors: Record<string, HostTensor>, dir: string): Promise<void> {
  const slots: { name: string; tensor: tf.Tensor }[] = [];
  for (let i = 0; tensors[`opt/${i}`]; i++) {
    const h = tensors[`opt/${i}`];
    slots.push({ name: i === 0 ? 'iter' : `slot${i}`, tensor: tensorOf(h) });
  }
  if (!slots.length) throw new CheckpointMismatchError(`${dir}: checkpoint has no optimizer state but an optimizer was given`);
  await opt.setWeights(slots);
  tf.dispose(slots.map((s) => s.tensor)); // setWeights made its own variables from them
  // Adam's setWeights recomputes accBeta as beta^(t+1), which can differ from the running product in the last bit.
  for (const [field, v] of optimizerFieldVariables(opt)) {
    const h = tensors[`optvar/${field}`];
    if (h) tf.tidy(() => v.assign(tensorOf(h)));
  }
}
