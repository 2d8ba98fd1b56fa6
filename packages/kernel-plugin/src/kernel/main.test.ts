import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { expandShorthandProperties } from './main';

// The kernel writes out shorthand properties before tslab sees a cell (tslab misses `{ x }` for an earlier cell's x).
describe('expandShorthandProperties', () => {
  const expand = (code: string) => expandShorthandProperties(ts, code);
  it('writes out shorthand properties of object literals, nested ones too', () => {
    expect(expand('show({ x })')).toBe('show({ x: x })');
    expect(expand('const o = { a, b: 2, c, d: { e } };')).toBe('const o = { a: a, b: 2, c: c, d: { e: e } };');
    expect(expand('f({ instruction, n: 4 }).then((r) => ({ r }))')).toBe('f({ instruction: instruction, n: 4 }).then((r) => ({ r: r }))');
  });
  it('leaves destructuring, defaults and code without shorthand alone', () => {
    for (const code of ['const { a, b } = o;', '({ a, b } = o);', 'for ({ a } of xs) {}', 'function f({ a = 1 }) {}', '({ a = 1 } = o);', 'const x = { a: 1 };', 'let [p, q] = [q, p];']) {
      expect(expand(code), code).toBe(code);
    }
  });
});
