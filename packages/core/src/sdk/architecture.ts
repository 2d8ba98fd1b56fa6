import type * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { sharedRegistry } from './registry';
import type { Network, ParamInfo } from './types';
import { checkPermutationGroups, type PermutationSymmetry } from './permutations';
import type { KerasLayer } from './keras';

/** Every spec carries the input shape (without batch) and the number of classes. */
export interface BaseSpec {
  inputShape: number[];
  classes: number;
}

/**
 * The JSON Schema of an architecture spec: the BaseSpec fields first (inputShape, without the batch axis, as
 * `minItems`..`maxItems` positive integers; classes ≥ 2; both required), then the architecture's own properties.
 * Unknown keys are rejected.
 * @example const schema = specSchema({ minItems: 1, maxItems: 3 }, { hidden: { type: 'integer', minimum: 1, default: 32 } });
 */
export function specSchema(inputShape: { minItems: number; maxItems?: number; description?: string }, properties: Record<string, object>): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['inputShape', 'classes'],
    properties: {
      inputShape: { type: 'array', items: { type: 'integer', minimum: 1 }, ...inputShape },
      classes: { type: 'integer', minimum: 2 },
      ...properties,
    },
  };
}

/**
 * An architecture plugin: a plain object made by `defineArchitecture`.
 * `describe(spec)` is the canonical parameter order; `build(spec, seed).params` follows it exactly.
 */
export interface ArchitecturePlugin<S extends BaseSpec = BaseSpec> {
  name: string;
  /** JSON Schema of the spec (additionalProperties:false; defaults allowed). */
  schema: object;
  /** Build a network with seeded initial weights. Same spec + seed gives the same weights. */
  build(spec: S, seed: number): Network;
  /** The canonical, ordered list of parameter tensors. */
  describe(spec: S): ParamInfo[];
  /** A short English description, used in instructions. */
  summary(spec: S): string;
  /**
   * Optional: the permutation symmetries of the spec's network (sdk/permutations.ts). Declaring them is what lets
   * the canonicalizer align a zoo of this architecture before tokenizing; without them networks are used as trained.
   */
  symmetry?(spec: S): PermutationSymmetry;
  /**
   * Optional: the network as Keras layers (sdk/keras.ts), input side first. With it, the tfjs export is a real
   * tfjs Layers model that `tf.loadLayersModel()` opens; without it, a weights-only tfjs file.
   */
  layers?(spec: S): KerasLayer[];
  /**
   * Optional: grow a network of a shallower spec into one of `deep` with the same function (Net2DeeperNet, Chen et
   * al. 2016), returning the map from the shallow flat weights to the deep ones. Throws, naming why, when `deep` is
   * not `shallow` with layers it can insert as identities. Lets a generator make depths it was not trained on.
   */
  deepen?(shallow: S, deep: S): (flat: Float32Array) => Float32Array;
  /**
   * Optional: the forward pass of S networks of this spec at once (zoo/train-batch.ts trains a zoo's seeds together
   * with it). `params[i]` is parameter i of `describe(spec)` with the networks stacked on a new leading axis,
   * (S, ...shape); `x` is (S, N, ...inputShape), network s seeing x[s]; returns logits (S, N, classes). Network s's
   * logits must depend only on its own slices. Without it, the zoo trains networks one by one.
   */
  applyBatched?(spec: S, params: tf.Tensor[], x: tf.Tensor): tf.Tensor3D;
}

/** Any architecture, whatever its spec type (what the registry holds). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyArchitecture = ArchitecturePlugin<any>;

/**
 * Make an architecture plugin: checks its fields and wraps build/describe/summary so that
 * every spec is validated (defaults filled in) before use and built parameters match `describe`.
 * @example export const mlp = defineArchitecture<MlpSpec>({ name: 'mlp', schema, build, describe, summary });
 */
export function defineArchitecture<S extends BaseSpec>(plugin: ArchitecturePlugin<S>): ArchitecturePlugin<S> {
  const { name, schema } = plugin;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new Error(`architecture name must be lowercase letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`);
  }
  for (const fn of ['build', 'describe', 'summary'] as const) {
    if (typeof plugin[fn] !== 'function') throw new Error(`architecture "${name}": ${fn} must be a function`);
  }
  if (!schema || typeof schema !== 'object') throw new Error(`architecture "${name}": schema must be a JSON Schema object`);
  if (plugin.symmetry !== undefined && typeof plugin.symmetry !== 'function') throw new Error(`architecture "${name}": symmetry must be a function`);
  if (plugin.layers !== undefined && typeof plugin.layers !== 'function') throw new Error(`architecture "${name}": layers must be a function`);
  if (plugin.deepen !== undefined && typeof plugin.deepen !== 'function') throw new Error(`architecture "${name}": deepen must be a function`);
  if (plugin.applyBatched !== undefined && typeof plugin.applyBatched !== 'function') throw new Error(`architecture "${name}": applyBatched must be a function`);
  const check = (spec: S) => validate<S>(schema, spec, `${name} spec`);
  const symmetry = plugin.symmetry;
  const layers = plugin.layers;
  const deepen = plugin.deepen;
  const applyBatched = plugin.applyBatched;
  return {
    name,
    schema,
    ...(layers ? { layers: (spec: S) => layers(check(spec)) } : {}),
    ...(deepen ? { deepen: (shallow: S, deep: S) => deepen(check(shallow), check(deep)) } : {}),
    ...(applyBatched ? { applyBatched: (spec: S, params: tf.Tensor[], x: tf.Tensor) => applyBatched(check(spec), params, x) } : {}),
    describe: (spec) => plugin.describe(check(spec)),
    summary: (spec) => plugin.summary(check(spec)),
    ...(symmetry ? {
      symmetry(spec: S) {
        const full = check(spec);
        const sym = symmetry(full);
        checkPermutationGroups(name, plugin.describe(full), sym.groups);
        return sym;
      },
    } : {}),
    build(spec, seed) {
      if (!Number.isInteger(seed)) throw new Error(`architecture "${name}": seed must be an integer, got ${seed}`);
      const full = check(spec);
      const net = plugin.build(full, seed);
      try {
        checkParamsMatch(name, plugin.describe(full), net.params);
      } catch (e) {
        net.dispose();
        throw e;
      }
      return net;
    },
  };
}

function checkParamsMatch(name: string, infos: ParamInfo[], params: tf.Variable[]): void {
  if (infos.length !== params.length) {
    throw new Error(`architecture "${name}": build() made ${params.length} parameters but describe() lists ${infos.length}`);
  }
  infos.forEach((info, i) => {
    const shape = params[i].shape;
    if (shape.length !== info.shape.length || shape.some((d, j) => d !== info.shape[j])) {
      throw new Error(`architecture "${name}": parameter ${i} "${info.name}" has shape [${shape}] but describe() says [${info.shape}]`);
    }
  });
}

/**
 * Validate a spec against a plugin's schema and return it with defaults filled in.
 * Errors name the path and the rule, e.g. `/hidden/0: must be >= 1`.
 */
export function validateSpec<S extends BaseSpec>(plugin: ArchitecturePlugin<S>, spec: unknown): S {
  return validate<S>(plugin.schema, spec, `${plugin.name} spec`);
}

/** Total number of scalar parameters. */
export function countParams(infos: ParamInfo[]): number {
  return infos.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

const architectures = sharedRegistry<AnyArchitecture>('architecture');

/** Register an architecture; a duplicate name is an error. */
export function registerArchitecture<S extends BaseSpec>(plugin: ArchitecturePlugin<S>): ArchitecturePlugin<S> {
  return architectures.register(plugin) as ArchitecturePlugin<S>;
}
/** Look an architecture up by name; an unknown name lists the registered ones. */
export function getArchitecture(name: string): AnyArchitecture {
  return architectures.get(name);
}
/** All registered architectures, sorted by name. */
export function listArchitectures(): AnyArchitecture[] {
  return architectures.list();
}
/** Remove an architecture (tests, notebooks). Returns whether it was registered. */
export function unregisterArchitecture(name: string): boolean {
  return architectures.unregister(name);
}
/** Whether an architecture of this name is registered. */
export function hasArchitecture(name: string): boolean {
  return architectures.has(name);
}
