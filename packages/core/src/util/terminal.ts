// Text that came from users or files (instructions, metadata, client messages) is printed escaped:
// a raw ESC sequence in an instruction would otherwise recolour or rewrite the user's terminal (issue #16).

/** C0 controls, DEL, C1 controls and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Escape every non-printable character as `\xNN` / `\uNNNN` (newline and tab included), so the result is one
 * printable line whatever it holds.
 * @example escapeControl('red\u001b[31m') // 'red\\x1b[31m'
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
