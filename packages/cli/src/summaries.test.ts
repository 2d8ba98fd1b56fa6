import { describe, expect, it } from 'vitest';
import { spread, table } from './summaries';

describe('CLI summaries', () => {
  it('table: header, dashed rule, first column left and the rest right aligned, no trailing spaces', () => {
    expect(table(['task', 'acc %'], [['mnist:all', '97.1'], ['iris', 9]])).toBe([
      'task       acc %',
      '---------  -----',
      'mnist:all   97.1',
      'iris           9',
    ].join('\n'));
  });
  it('spread: median of odd and even counts, min and max', () => {
    expect(spread([3, 1, 2])).toEqual({ n: 3, median: 2, min: 1, max: 3 });
    expect(spread([3, 1, 2, 10])).toEqual({ n: 4, median: 2.5, min: 1, max: 10 });
  });
});
