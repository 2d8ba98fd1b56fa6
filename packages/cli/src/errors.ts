import { escapeControl } from '@igpg/core';

/** Bad command-line usage (flags, missing or wrong paths given on the command line): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
/** A failure while working (corrupt file found mid-run, training diverged, ...). */
const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** Core errors that mean "the input given on the command line is wrong", not "the work failed". */
const USAGE_KINDS = new Set(['UsageError', 'PathError', 'ResourceLimitError', 'ValidationError']);

const exitCodeOf = (e: unknown) => (e instanceof Error && USAGE_KINDS.has(e.name) ? EXIT_USAGE : EXIT_ERROR);

/** Any message as one printable line: lines joined with "; ", control characters escaped. */
export function oneLine(message: string): string {
  return escapeControl(message.split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean).join('; '));
}

/** Exactly one line for the user (issue #16); the stack only with --verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = exitCodeOf(e);
  process.stderr.write(`igpg: error: ${oneLine(e.message)}${code === EXIT_ERROR && !verbose ? ' (--verbose for details)' : ''}\n`);
  if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
  return code;
}
