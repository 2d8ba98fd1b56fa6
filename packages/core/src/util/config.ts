import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** One shared ajv instance: all errors, defaults filled in, unknown keys rejected by each schema's additionalProperties:false. */
export const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/** Raised when a config, spec or manifest entry breaks its schema. The message names each path and rule. */
export class ValidationError extends Error {
  constructor(readonly what: string, readonly problems: string[]) {
    super(`invalid ${what}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ValidationError';
  }
}

/** Turn ajv errors into lines like `/layers/0/width: must be >= 1` or `/: unknown key "foo" (allowed: a, b)`. */
function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath || '/';
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return `${path}: unknown key "${key}"`;
    }
    if (e.keyword === 'enum') return `${path}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
    return `${path}: ${e.message}`;
  });
}

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Validate `value` against a JSON Schema and return it typed, with schema defaults filled in (on a copy).
 * @example const cfg = validate<MyConfig>(mySchema, JSON.parse(text), 'tokenizer config');
 */
export function validate<T>(schema: object, value: unknown, what: string): T {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  const copy = value === undefined ? {} : structuredClone(value);
  if (!fn(copy)) throw new ValidationError(what, formatAjvErrors(fn.errors));
  return copy as T;
}
