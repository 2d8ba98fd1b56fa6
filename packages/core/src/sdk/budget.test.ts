import { describe, expect, it } from 'vitest';
import { checkParamBudget, DEFAULT_MAX_PARAMS } from './budget';

describe('checkParamBudget', () => {
  it('passes models within the limit and names count, limit and the way to raise it otherwise', () => {
    expect(() => checkParamBudget('mlp', DEFAULT_MAX_PARAMS, { raise: '--max-params' })).not.toThrow();
    expect(() => checkParamBudget('mlp', 7.84e9, { raise: '--max-params' })).toThrow(/^mlp: 7,840,000,000 parameters \(~125 GB to train\) exceed the limit of 20,000,000; .*--max-params/);
    expect(() => checkParamBudget('net', 101, { limit: 100, raise: '"maxParams"' })).toThrow(/limit of 100; .*"maxParams"/);
    expect(() => checkParamBudget('net', NaN, { raise: 'x' })).toThrow(/exceed/);
  });
});
