import { sharedRegistry } from '../sdk/registry';
import { validate } from '../util/config';
import { hashedEncoderSchema, hashedInstructionEncoder, type HashedEncoderConfig, type InstructionEncoder } from './instruction';
import { CONCEPT_ENCODER_KIND, conceptEncoderSchema, conceptInstructionEncoder } from './concepts';

// Instruction encoders by kind, so a prior checkpoint rebuilds the encoder it was trained with from the config the
// encoder saved (InstructionEncoder.config()). A user's own encoder: implement InstructionEncoder, register a factory
// under its kind, and train with { instructionEncoder: { kind, ...config } } (or pass the encoder to new Prior):
//
//   registerInstructionEncoder({ name: 'my-encoder', create: (config) => myEncoder(config) });
//
// `create` must give the same encoder for the same config (checkpoints hold only the config and the variables).

/** A factory of instruction encoders: `create(config, scope)` rebuilds one from its saved config. */
export interface InstructionEncoderFactory {
  /** The encoder kind (InstructionEncoder.kind). */
  name: string;
  /** JSON Schema of its config, if it has one: checkInstructionEncoderSpec validates a spec against it without building. */
  schema?: object;
  create(config: Record<string, unknown>, scope: string): InstructionEncoder;
}

/** What a config asks for: an encoder kind and its config. */
export interface InstructionEncoderSpec {
  kind: string;
  [key: string]: unknown;
}

const factories = sharedRegistry<InstructionEncoderFactory>('instruction encoder');

/** Register an encoder factory; a duplicate kind is an error. */
export function registerInstructionEncoder(factory: InstructionEncoderFactory): InstructionEncoderFactory {
  return factories.register(factory);
}
/** Remove a factory (tests, notebooks). */
export function unregisterInstructionEncoder(kind: string): boolean {
  return factories.unregister(kind);
}

/**
 * The built-in encoders, registered in a loop on first use. A new one: its file (the encoder and its config schema),
 * plus one line here; checkInstructionEncoder (conformance.ts) is its shared test.
 */
export const builtinInstructionEncoders: readonly InstructionEncoderFactory[] = [
  { name: 'hashed-ngrams', schema: hashedEncoderSchema, create: (c, scope) => hashedInstructionEncoder(c as HashedEncoderConfig, scope) },
  { name: CONCEPT_ENCODER_KIND, schema: conceptEncoderSchema, create: (c) => conceptInstructionEncoder(c) },
];

function builtins(): void {
  for (const f of builtinInstructionEncoders) if (!factories.has(f.name)) factories.register(f);
}

/**
 * Build an instruction encoder from a spec; an unknown kind lists the registered ones.
 * @example const enc = createInstructionEncoder({ kind: 'concepts' }, 'prior/instruction');
 */
export function createInstructionEncoder(spec: InstructionEncoderSpec, scope: string): InstructionEncoder {
  builtins();
  if (!spec || typeof spec.kind !== 'string') throw new Error(`instruction encoder: expected {"kind": "<kind>", ...config}, got ${JSON.stringify(spec)}`);
  const { kind, ...config } = spec;
  const encoder = factories.get(kind).create(config, scope);
  if (encoder.kind !== kind) throw new Error(`instruction encoder factory "${kind}" made an encoder of kind "${encoder.kind}"; they must match`);
  return encoder;
}

/**
 * Check an encoder spec without building the encoder (no word vectors loaded): a known kind, and for the built-in
 * kinds a config their schema accepts. Throws naming the problem.
 * @example checkInstructionEncoderSpec({ kind: 'concepts', classDim: 32 });
 */
export function checkInstructionEncoderSpec(spec: unknown): void {
  builtins();
  if (!spec || typeof spec !== 'object' || typeof (spec as InstructionEncoderSpec).kind !== 'string') {
    throw new Error(`instruction encoder: expected {"kind": "<kind>", ...config}, got ${JSON.stringify(spec)}`);
  }
  const { kind, ...config } = spec as InstructionEncoderSpec;
  const { schema } = factories.get(kind); // unknown kind: lists the registered ones
  if (schema) validate(schema, config, `instruction encoder "${kind}" config`);
}
