import { describe, expect, it } from 'vitest';
import { validate, ValidationError } from './config';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: { lr: { type: 'number', exclusiveMinimum: 0, default: 0.001 }, name: { type: 'string' } },
  required: ['name'],
};

describe('validate', () => {
  it('fills defaults on a copy', () => {
    const input = { name: 'a' };
    expect(validate<{ lr: number }>(schema, input, 'cfg').lr).toBe(0.001);
    expect(input).toEqual({ name: 'a' });
  });
  it('names the path and the rule, and rejects unknown keys', () => {
    try {
      validate(schema, { name: 'a', lr: -1, extra: 1 }, 'cfg');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(/\/lr: must be > 0/);
      expect((e as Error).message).toMatch(/unknown key "extra"/);
    }
  });
});
