import { describe, expect, it } from 'vitest';
import { mdTable } from './markdown';

describe('mdTable', () => {
  it('writes header, delimiter and rows, unpadded, with | escaped', () => {
    expect(mdTable(['task', 'accuracy'], [['mnist:all', '97.1']])).toBe('| task | accuracy |\n| - | - |\n| mnist:all | 97.1 |');
    expect(mdTable(['a', 'b'], [['x|y', '']])).toBe('| a | b |\n| - | - |\n| x\\|y | |');
  });
});
