import { describe, expect, it } from 'vitest';
import { escapeControl } from './terminal';

describe('escapeControl', () => {
  it('escapes ESC, newlines, DEL, C1 and line separators; keeps printable text and emoji', () => {
    expect(escapeControl('a\u001b[31mb')).toBe('a\\x1b[31mb');
    expect(escapeControl('x\ny\tz\r')).toBe('x\\ny\\tz\\r');
    expect(escapeControl('\u007f\u009b\u2028')).toBe('\\x7f\\x9b\\u2028');
    expect(escapeControl('classify 🐱 ünïcode')).toBe('classify 🐱 ünïcode');
  });
});
