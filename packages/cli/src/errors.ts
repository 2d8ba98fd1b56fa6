/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** One line for the user; the stack only with --verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const lines = e.message.split('\n');
  process.stderr.write(`igpg: error: ${lines.join('\n  ')}\n`);
  if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!(e instanceof UsageError)) process.stderr.write('  (run with --verbose for details)\n');
  return e instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
}
